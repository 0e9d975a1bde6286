"""The reproduce line always parses back into the very same run: every parameter of the table, at its
extremes and at random values, through Config.command() and the soak flags, gives an identical Config.
(tests/test_cli.py's round trip covers a scheme file by its absolute path.)"""

import os
import shlex
from dataclasses import asdict

from hypothesis import HealthCheck, example, given, settings, strategies as st

from harness.cli import build_parser, config_from_args
from harness.soak.config import Config
from harness.build.core import BUILTIN
from harness.soak.parse import FLAVORS, WORKLOADS, WRITER_OPS

ALLOWED = sorted(os.sched_getaffinity(0))
U32 = 2**32 - 1

# durations: the smallest and largest the parser reads, round numbers, and any float in between
positive_s = st.one_of(st.sampled_from([5e-324, 1e-9, 1.5e-5, 0.1, 1.0, 3.0, 600.0, 1e300]),
                       st.floats(min_value=5e-324, max_value=1e300, allow_nan=False, allow_infinity=False))
u32 = st.one_of(st.sampled_from([0, 1, 999, 1000, U32]), st.integers(0, U32))
per_mille = st.integers(0, 1000)
stutter_s = st.one_of(st.sampled_from([5e-324, 1e-9, 0.5, 4294967.0]),   # milliseconds in 32 bits in C
                      st.floats(min_value=5e-324, max_value=4294967.0, allow_nan=False, allow_infinity=False))
stutter = st.one_of(st.just([0.0, 0.0]), st.lists(stutter_s, min_size=2, max_size=2))
fault = st.one_of(
    st.builds(lambda at, f: f"arena-exhaust@{at}:{f}", st.sampled_from(["0", "0.000000001", "1ms"]),
              st.sampled_from(["1ns", "0.5", "2s"])),
    st.builds(lambda at: f"worker-crash@{at}", st.sampled_from(["0", "0.25s", "1"])))


@st.composite
def configs(draw):  # type: ignore[no-untyped-def]
    cpus = draw(st.permutations(ALLOWED).flatmap(lambda p: st.integers(1, len(p)).map(lambda n: p[:n])))
    oversubscribe = draw(st.booleans())
    most = 256 if oversubscribe else len(cpus)
    writers = draw(st.integers(0, most - 1))
    readers = draw(st.integers(1, most - writers))
    checks = draw(st.booleans())
    nodes = draw(st.integers(1, 64))
    duration, ops = draw(positive_s), draw(st.one_of(st.just(0), st.integers(1, 2**63)))
    return Config(
        scheme=draw(st.sampled_from([s.name for s in BUILTIN.schemes])), rcu=draw(st.sampled_from(FLAVORS)),
        memory_model=draw(st.sampled_from(["native", "weak"] if checks else ["native"])),
        workload=draw(st.sampled_from(WORKLOADS)), cpus=list(cpus), readers=readers, writers=writers,
        duration=duration, ops=ops,
        seed=draw(st.one_of(st.sampled_from([0, 2**64 - 1]), st.integers(0, 2**64 - 1))), checks=checks,
        until_violation=draw(st.booleans()), oversubscribe=oversubscribe, nodes=nodes,
        pages_per_node=draw(st.integers(16, 2**31 - 1)), job_nodes=draw(st.integers(0, nodes)),
        read_delay=draw(st.none() | st.tuples(per_mille, u32).map(list)),
        writer_delay=draw(st.none() | u32), access_delay=draw(st.none() | st.tuples(per_mille, u32).map(list)),
        adversarial=draw(st.none() | st.booleans()), writer_period=draw(u32),
        writer_ops=draw(st.lists(st.sampled_from(WRITER_OPS), min_size=1, unique=True)),
        stall_bound=draw(st.sampled_from([1, U32]) | st.integers(1, U32)),
        shuffle=draw(st.none() | st.just(0.0) | positive_s), stutter=draw(st.none() | stutter),
        inject=draw(st.lists(fault, max_size=1)) if ops or duration > 2 else [])   # each fault fits in the run


@settings(max_examples=150, deadline=None, database=None, derandomize=True,   # the same cases every run
          suppress_health_check=[HealthCheck.too_slow])
@given(configs())
@example(Config(scheme="global-lock", cpus=ALLOWED[:1], readers=1, writers=0, duration=1e300, seed=0,
                inject=["arena-exhaust@0:1ns"]))   # a fault's end beyond what a ns count holds
def test_every_reproduce_line_parses_back_into_the_same_config(config):
    c = config.resolved(BUILTIN)
    words = shlex.split(c.command())
    assert words[:4] == ["python", "-m", "harness", "soak"]
    back = config_from_args(build_parser().parse_args(words[3:])).resolved(BUILTIN)
    assert asdict(back) == asdict(c), c.command()

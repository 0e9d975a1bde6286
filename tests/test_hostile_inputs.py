"""Hostile input, as a table: every case is a command line (run in-process through harness.cli.main) with the
exit status it must get and the one line it must print on stderr; nothing may be left in /dev/shm or as a
process (the autouse fixture in conftest.py checks that after every case), and no case may print a traceback.

{d} in a case is the directory of prepared files (the `files` fixture): reports that parse but lie about
their types, campaign files, scheme files, campaign directories."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest

import harness
from harness.campaign.store import Store
from harness.cli import main
from harness.soak.parse import allowed_cpus

NCPUS = len(allowed_cpus())
OUTSIDE = max(allowed_cpus()) + 1   # a CPU this process may not run on
SYNTAX_ERROR = """#include "harness.h"
static inline void r(struct h_ctx *ctx, struct h_task *t, struct h_snap *s, const int flavor, const int checks)
{ h_cpuset_read(ctx, h_ptr(ctx, t->cpuset), s, checks) }
HARNESS_SCHEME(harness_user_scheme, r, .name = "x", .attach = h_publish, .destroy = h_cpuset_free);
"""
WRONG_SYMBOL = SYNTAX_ERROR.replace("s, checks) }", "s, checks); }").replace("(harness_user_scheme", "(mine")

# --- reports that parse as JSON but are no harness report: (file name, how the good report is changed) ---
REPORT_EDITS = {
    "negative-violations": lambda r: r.update(violations=-3),
    "negative-ops-per-s": lambda r: r.update(ops_per_s=-1e9),
    "ops-a-string": lambda r: r.update(ops="many"),
    "verdict-unknown": lambda r: r.update(verdict="MAYBE"),
    "no-verdict": lambda r: r.pop("verdict"),
    "no-config": lambda r: r.pop("config"),
    "workers-an-object": lambda r: r.update(workers={}),
    "worker-ops-a-string": lambda r: r["workers"][0].update(ops="x"),
    "worker-role-unknown": lambda r: r["workers"][0].update(role="boss"),
    "gp-count-null": lambda r: r["gp"].update(count=None),
    "gp-a-list": lambda r: r.update(gp=[]),
    "config-readers-a-string": lambda r: r["config"].update(readers="x"),
    "config-cpus-strings": lambda r: r["config"].update(cpus=["0"]),
    "command-a-number": lambda r: r.update(command=3),
    "violations-by-kind-negative": lambda r: r["violations_by_kind"].update(identity=-1),
    "first-violation-kind-a-number": lambda r: r.update(first_violation={"kind": 3, "t_s": 0.1, "worker": 0}),
    "flight-event-a-number": lambda r: r.update(flight_recorder=[{"t_s": 0, "worker": 0, "event": 5}]),
    "stalls-not-a-list": lambda r: r.update(stalls="none"),
    "crashes-how-missing": lambda r: r.update(crashes=[{"worker": 0}]),
    "series-ops-negative": lambda r: r.update(series=[{"t_s": 0.1, "ops": -1}]),
    "run-time-a-string": lambda r: r.update(run_time_s="1s"),
    "status-unknown": lambda r: r.update(status="exploded"),
}
REPORT_ERRORS = {
    "negative-violations": "$.violations: -3 is less than the minimum of 0",
    "negative-ops-per-s": "$.ops_per_s: -1000000000.0 is less than the minimum of 0",
    "ops-a-string": "$.ops: 'many' is not of type 'integer'",
    "verdict-unknown": "$.verdict: 'MAYBE' is not one of ['SUCCESS', 'FAILURE', 'INTERRUPTED']",
    "no-verdict": "no 'verdict' at $",
    "no-config": "no 'config' at $",
    "workers-an-object": "$.workers: {} is not of type 'array'",
    "worker-ops-a-string": "$.workers[0].ops: 'x' is not of type 'integer'",
    "worker-role-unknown": "$.workers[0].role: 'boss' is not one of ['reader', 'writer']",
    "gp-count-null": "$.gp.count: None is not of type 'integer'",
    "gp-a-list": "$.gp: [] is not of type 'object'",
    "config-readers-a-string": "$.config.readers: 'x' is not of type 'integer', 'null'",
    "config-cpus-strings": "$.config.cpus[0]: '0' is not of type 'integer'",
    "command-a-number": "$.command: 3 is not of type 'string'",
    "violations-by-kind-negative": "$.violations_by_kind.identity: -1 is less than the minimum of 0",
    "first-violation-kind-a-number": "$.first_violation.kind: 3 is not of type 'string'",
    "flight-event-a-number": "$.flight_recorder[0].event: 5 is not of type 'string'",
    "stalls-not-a-list": "$.stalls: 'none' is not of type 'array'",
    "crashes-how-missing": "no 'how' at $.crashes[0]",
    "series-ops-negative": "$.series[0].ops: -1 is less than the minimum of 0",
    "run-time-a-string": "$.run_time_s: '1s' is not of type 'number'",
    "status-unknown": "$.status: 'exploded' is not one of ['completed', 'interrupted']",
}
TOML = {
    "binary.toml": b"\xff\xfe\x00[matrix]",
    "huge-replicas.toml": b"replicas = 100000000\nbudget = '2s'\n[matrix]\nscheme = 'rcu-typesafe'\nduration = '1s'\n",
    "huge-matrix.toml": ("[matrix]\nscheme = 'rcu-typesafe'\n" + "".join(
        f"{k} = [{', '.join(str(i) for i in range(1, 60))}]\n" for k in ("nodes", "job_nodes", "readers"))).encode(),
    "replicas-zero.toml": b"replicas = 0\n[matrix]\nscheme = 'rcu-typesafe'\n",
    "replicas-string.toml": b"replicas = 'three'\n[matrix]\nscheme = 'rcu-typesafe'\n",
    "cpu-hours-string.toml": b"cpu_hours = 'lots'\n[matrix]\nscheme = 'rcu-typesafe'\n",
    "budget-malformed.toml": b"budget = 'soon'\n[matrix]\nscheme = 'rcu-typesafe'\n",
    "readers-out-of-range.toml": b"[matrix]\nscheme = 'rcu-typesafe'\nreaders = 100000\n",
    "ops-out-of-range.toml": b"[matrix]\nscheme = 'rcu-typesafe'\nops = 18446744073709551617\n",
    "seed-owned.toml": b"[matrix]\nscheme = 'rcu-typesafe'\nseed = 3\n",
    "matrix-a-string.toml": b"matrix = 'all of them'\n",
    "value-a-table.toml": b"[matrix]\nscheme = 'rcu-typesafe'\nrcu = {flavor = 'qsbr'}\n",
    "scheme-file-missing.toml": b"[matrix]\nscheme_file = 'nope.c'\n",
    "good.toml": b"[matrix]\nscheme = 'rcu-typesafe'\nduration = '0.2s'\n",
}


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("hostile")
    good = json.loads(json.dumps(harness.run(harness.Config(duration=0.2, seed=3)).report))
    (d / "good.json").write_text(json.dumps(good))
    for name, edit in REPORT_EDITS.items():
        r = copy.deepcopy(good)
        edit(r)
        (d / f"{name}.json").write_text(json.dumps(r))
    gone = copy.deepcopy(good)
    gone["config"]["scheme_file"] = str(d / "deleted.c")
    (d / "scheme-file-gone.json").write_text(json.dumps(gone))
    (d / "two-runs.json").write_text(json.dumps([good, good]))
    (d / "one-bad-of-two.json").write_text(json.dumps([good, {**good, "ops": -1}]))
    failed_unchecked = copy.deepcopy(good)
    failed_unchecked.update(verdict="FAILURE")
    failed_unchecked["config"].update(checks=False)
    (d / "failed-unchecked.json").write_text(json.dumps(failed_unchecked))
    (d / "config-out-of-range.json").write_text(json.dumps({**good, "config": {**good["config"], "readers": 100000}}))
    (d / "config-wrong-type.json").write_text(json.dumps({**good, "config": {**good["config"], "checks": 1}}))
    (d / "not-json.json").write_text("{verdict: SUCCESS")
    (d / "empty.json").write_text("")
    (d / "binary.json").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    (d / "a-string.json").write_text('"SUCCESS"')
    (d / "no-runs.json").write_text('{"runs": []}')
    (d / "empty-list.json").write_text("[]")
    for name, text in TOML.items():
        (d / name).write_bytes(text)
    (d / "syntax-error.c").write_text(SYNTAX_ERROR)
    (d / "wrong-symbol.c").write_text(WRONG_SYMBOL)
    (d / "a-dir").mkdir()
    (d / "a-file").write_text("not a directory")
    for name, verdict, scenario in (("camp-a", "SUCCESS", "rcu-typesafe_alloc_1r1w_1s"),
                                    ("camp-b", "SUCCESS", "task-lock_alloc_1r1w_1s"),
                                    ("camp-empty", None, "rcu-typesafe_alloc_1r1w_1s")):
        store = Store(str(d / name))
        store.plan("test", "", [{"scenario": scenario, "replica": 0, "args": ["--duration", "1s"], "cpus": 2,
                                 "duration": 1.0}])
        if verdict:
            store.save({"scenario": scenario, "replica": 0, "verdict": verdict, "report": None, "log": ""})
        store.db.close()
    return d


def case(id: str, argv: str | list[str], code: int, says: str, lines: int = 1):
    """`says`: a part of the first stderr line; `lines`: how many lines stderr holds (a compiler's messages
    follow the first line of a scheme file that does not compile: 0 there means 'at least one')."""
    return pytest.param(argv.split() if isinstance(argv, str) else argv, code, says, lines, id=id)


R = "error: {d}/"   # a report's path as the error names it
SOAK = [
    case("scheme-unknown", "soak --scheme nope", 2, "unknown scheme 'nope' (known: "),
    case("rcu-unknown", "soak --rcu srcu", 2, "unknown --rcu 'srcu' (known: qsbr, mb, membarrier)"),
    case("workload-unknown", "soak --workload idle", 2, "unknown --workload 'idle'"),
    case("memory-model-unknown", "soak --memory-model strong", 2, "unknown --memory-model 'strong'"),
    case("weak-without-checks", "soak --memory-model weak --no-checks", 2, "--memory-model weak needs the checks on"),
    case("cpus-malformed", "soak --cpus 0-x", 2, "malformed CPU list '0-x'"),
    case("cpus-backwards", "soak --cpus 3-1", 2, "range 3-1 runs backwards"),
    case("cpus-twice", "soak --cpus 0,0", 2, "names a CPU twice"),
    case("cpus-empty", ["soak", "--cpus", ""], 2, "malformed CPU list ''"),
    case("cpu-not-allowed", f"soak --cpus {OUTSIDE}", 2, f"CPU {OUTSIDE} does not exist or is not allowed here"),
    case("cpus-huge-range", "soak --cpus 0-99999999", 2, f"CPU {OUTSIDE} does not exist or is not allowed here"),
    case("cpus-huge-number", "soak --cpus 99999999999999999999", 2, "CPU 99999999999999999999 does not exist"),
    case("cpus-negative", "soak --cpus=-1", 2, "malformed CPU list '-1'"),
    case("readers-not-int", "soak --readers x", 2, "not an integer: 'x'"),
    case("readers-float", "soak --readers 1.5", 2, "not an integer: '1.5'"),
    case("readers-zero", "soak --readers 0", 2, "--readers 0 is out of range: must be 1 .. 256"),
    case("readers-too-many", "soak --readers 257 --oversubscribe", 2, "--readers 257 is out of range"),
    case("readers-more-than-cpus", f"soak --readers {NCPUS + 1}", 2, "use fewer or pass --oversubscribe"),
    case("workers-too-many", "soak --readers 200 --writers 100 --oversubscribe", 2, "at most 256 workers, not 300"),
    case("writers-negative", "soak --writers -1", 2, "--writers -1 is out of range: must be 0 .. 255"),
    case("writers-not-int", "soak --writers one", 2, "not an integer: 'one'"),
    case("duration-malformed", "soak --duration abc", 2, "malformed duration 'abc'"),
    case("duration-zero", "soak --duration 0", 2, "duration must be positive, not 0"),
    case("duration-negative", "soak --duration -5", 2, "duration must be positive, not -5"),
    case("duration-exponent", "soak --duration 1e3", 2, "malformed duration '1e3'"),
    case("duration-unknown-unit", "soak --duration 5d", 2, "malformed duration '5d'"),
    case("ops-not-int", "soak --ops lots", 2, "not an integer: 'lots'"),
    case("ops-negative", "soak --ops -1", 2, "--ops -1 is out of range: must be 0 .. 2**64-1"),
    case("ops-2-64-plus-1", f"soak --ops {2**64 + 1}", 2, f"--ops {2**64 + 1} is out of range"),
    case("seed-negative", "soak --seed -5", 2, "--seed -5 is out of range: must be 0 .. 2**64-1"),
    case("seed-2-64", f"soak --seed {2**64}", 2, f"--seed {2**64} is out of range"),
    case("seed-hex", "soak --seed 0x10", 2, "not an integer: '0x10'"),
    case("checks-with-value", "soak --checks=yes", 2, "ignored explicit argument 'yes'"),
    case("until-violation-with-value", "soak --until-violation=1", 2, "ignored explicit argument '1'"),
    case("nodes-zero", "soak --nodes 0", 2, "--nodes 0 is out of range: must be 1 .. 64"),
    case("nodes-65", "soak --nodes 65", 2, "--nodes 65 is out of range: must be 1 .. 64"),
    case("nodes-not-int", "soak --nodes four", 2, "not an integer: 'four'"),
    case("pages-too-few", "soak --pages-per-node 15", 2, "--pages-per-node 15 is out of range: must be 16 .. 2**31-1"),
    case("pages-past-int", f"soak --pages-per-node {2**31}", 2, f"--pages-per-node {2**31} is out of range"),
    case("pages-past-memory", "soak --pages-per-node 10000000", 2,
         "4 nodes x 10000000 pages need an arena of 54,"),
    case("nodes-and-pages-past-memory", "soak --nodes 64 --pages-per-node 100000000", 2,
         "64 nodes x 100000000 pages need an arena of"),
    case("job-nodes-more-than-nodes", "soak --job-nodes 5", 2, "job nodes must be 0..nodes (4), not 5"),
    case("job-nodes-negative", "soak --job-nodes -1", 2, "--job-nodes -1 is out of range: must be 0 .. 64"),
    case("writer-period-malformed", "soak --writer-period often", 2, "malformed duration 'often'"),
    case("writer-period-negative", "soak --writer-period -1us", 2, "expected one argument (a value that starts "
                                                                  "with '-' is written --writer-period=VALUE)"),
    case("writer-period-negative-as-told", "soak --writer-period=-1us", 2, "--writer-period -1us is out of range"),
    case("writer-period-past-32-bits", "soak --writer-period 5s", 2, "--writer-period 5s is out of range: must be "
                                                                    "0 .. 4.29 s"),
    case("writer-ops-unknown", "soak --writer-ops attach,bogus", 2, "malformed --writer-ops 'attach,bogus'"),
    case("writer-ops-empty", ["soak", "--writer-ops", ""], 2, "malformed --writer-ops ''"),
    case("writer-ops-empty-item", "soak --writer-ops create,,attach", 2, "malformed --writer-ops 'create,,attach'"),
    case("writer-delay-past-32-bits", "soak --writer-delay 5s", 2, "--writer-delay 5s is out of range"),
    case("writer-delay-malformed", "soak --writer-delay x", 2, "malformed duration 'x'"),
    case("read-delay-malformed", "soak --read-delay x", 2, "malformed --read-delay 'x'"),
    case("read-delay-rate-2000", "soak --read-delay 2000", 2, "--read-delay 2000 is out of range: must be 0 .. 1000"),
    case("read-delay-max-malformed", "soak --read-delay 5:soon", 2, "malformed duration 'soon'"),
    case("read-delay-max-past-32-bits", "soak --read-delay 5:5s", 2, "--read-delay 5:5s is out of range"),
    case("read-delay-rate-negative", "soak --read-delay=-1", 2, "--read-delay -1 is out of range"),
    case("access-delay-malformed", "soak --access-delay x", 2, "malformed --access-delay 'x'"),
    case("access-delay-rate-2000", "soak --access-delay 2000", 2, "--access-delay 2000 is out of range"),
    case("access-delay-max-past-32-bits", "soak --access-delay 2:5s", 2, "--access-delay 2:5s is out of range"),
    case("adversarial-with-value", "soak --adversarial=on", 2, "ignored explicit argument 'on'"),
    case("shuffle-negative", "soak --shuffle -1", 2, "shuffle and stutter times must be >= 0"),
    case("shuffle-malformed", "soak --shuffle often", 2, "malformed duration 'often'"),
    case("stutter-no-pause", "soak --stutter 5s", 2, "malformed --stutter '5s': expected RUN:PAUSE"),
    case("stutter-malformed", "soak --stutter x:y", 2, "malformed duration 'x'"),
    case("stutter-half-off", "soak --stutter 5s:0", 2, "stutter needs both a run and a pause time"),
    case("stutter-past-32-bits", "soak --stutter 5000000s:1s", 2, "stutter times must be at most 4294967 s"),
    case("stall-bound-zero", "soak --stall-bound 0", 2, "--stall-bound 0 is out of range: must be 1 ms"),
    case("stall-bound-malformed", "soak --stall-bound soon", 2, "malformed duration 'soon'"),
    case("stall-bound-past-32-bits", "soak --stall-bound 5000000s", 2, "--stall-bound 5000000s is out of range"),
    case("inject-unknown", "soak --inject bogus", 2, "bogus"),
    case("inject-at-malformed", "soak --inject reader-stall@x", 2, "malformed duration 'x'"),
    case("inject-for-on-a-crash", "soak --inject worker-crash:2s", 2, "worker-crash:2s"),
    case("inject-kill-one-reader", "soak --inject reader-kill --readers 1", 2, "reader-kill needs at least 2 readers"),
    case("inject-stall-no-rcu", "soak --inject reader-stall --scheme task-lock", 2, "needs a scheme with RCU readers"),
    case("inject-after-the-end", "soak --inject arena-exhaust@20s --duration 1", 2, "would fire after the run ends"),
    case("inject-overlap", "soak --inject reader-stall@0.5:2s --inject worker-crash@1", 2, "overlap on worker 0"),
    case("scheme-file-missing", "soak --scheme-file {d}/nope.c", 2, "{d}/nope.c: no such scheme file"),
    case("scheme-file-a-directory", "soak --scheme-file {d}/a-dir", 2,
         "{d}/a-dir: not a scheme file (a C source file): it is a directory"),
    case("scheme-file-dev-zero", "soak --scheme-file /dev/zero", 2,
         "/dev/zero: not a scheme file (a C source file): it is a device or other special file"),
    case("scheme-file-compile-error", "soak --scheme-file {d}/syntax-error.c", 2, "{d}/syntax-error.c: compile failed:",
         lines=0),
    case("scheme-file-wrong-symbol", "soak --scheme-file {d}/wrong-symbol.c", 2, "does not define harness_user_scheme"),
    case("json-empty", ["soak", "--json", ""], 2, "--json: the path is empty"),
    case("json-dev-full", "soak --json /dev/full", 2, "--json /dev/full: is not a regular file"),
    case("json-a-directory", "soak --json {d}/a-dir", 2, "--json {d}/a-dir: is a directory"),
    case("json-no-directory", "soak --json /nonexistent-dir/r.json", 2, "directory /nonexistent-dir does not exist"),
    case("interval-negative", "soak --interval -1s", 2, "argument --interval: expected one argument (a value that "
                                                       "starts with '-' is written --interval=VALUE)"),
    case("interval-negative-as-told", "soak --interval=-1s", 2, "--interval must be positive, not '-1s'"),
    case("interval-zero", "soak --interval 0", 2, "--interval must be positive, not '0'"),
    case("interval-malformed", "soak --interval often", 2, "malformed duration 'often'"),
    case("flag-unknown", "soak --speed 11", 2, "unrecognized arguments: --speed 11"),
    case("command-unknown", "torture", 2, "invalid choice: 'torture'"),
    case("no-command", [], 2, "the following arguments are required: command"),
    case("list-scheme-file-missing", "list --scheme-file {d}/nope.c", 2, "no such scheme file"),
    case("list-scheme-file-a-directory", "list --scheme-file {d}/a-dir", 2, "it is a directory"),
]
REPORT = [
    case("report-missing", "report {d}/nope.json", 2, "cannot read {d}/nope.json: No such file or directory"),
    case("report-a-directory", "report {d}/a-dir", 2, "cannot read {d}/a-dir: Is a directory"),
    case("report-not-json", "report {d}/not-json.json", 2, "{d}/not-json.json is not JSON"),
    case("report-empty", "report {d}/empty.json", 2, "{d}/empty.json is not JSON"),
    case("report-binary", "report {d}/binary.json", 2, "{d}/binary.json is not JSON"),
    case("report-a-string", "report {d}/a-string.json", 2, "$: 'SUCCESS' is not of type 'object'"),
    case("report-no-runs", "report {d}/no-runs.json", 2, "{d}/no-runs.json holds no runs"),
    case("report-empty-list", "report {d}/empty-list.json", 2, "{d}/empty-list.json holds no runs"),
    case("report-one-bad-of-two", "report {d}/one-bad-of-two.json", 2,
         "run 1 of {d}/one-bad-of-two.json is not a harness report (report-v1.json): $.ops: -1 is less than"),
    *(case(f"report-{name}", f"report {{d}}/{name}.json", 2,
           f"{{d}}/{name}.json is not a harness report (report-v1.json): {says}")
      for name, says in REPORT_ERRORS.items()),
    case("compare-one-wrong-type", "report {d}/good.json {d}/ops-a-string.json", 2, "$.ops: 'many' is not of type"),
    case("compare-one-missing", "report {d}/good.json {d}/nope.json", 2, "cannot read {d}/nope.json"),
    case("trace-wrong-type", "report {d}/worker-ops-a-string.json --trace {d}/t.json", 2, "$.workers[0].ops"),
    case("trace-dev-full", "report {d}/good.json --trace /dev/full", 2, "--trace /dev/full: is not a regular file"),
    case("trace-empty", ["report", "{d}/good.json", "--trace", ""], 2, "--trace: the path is empty"),
    case("trace-a-directory", "report {d}/good.json --trace {d}/a-dir", 2, "--trace {d}/a-dir: is a directory"),
    case("plot-a-file", "report {d}/good.json --plot {d}/a-file", 2,
         "--plot {d}/a-file: exists and is not a directory"),
    case("plot-under-a-file", "report {d}/good.json --plot {d}/a-file/plots", 2,
         "--plot {d}/a-file/plots: cannot be created in {d}/a-file"),
    case("plot-empty", ["report", "{d}/good.json", "--plot", ""], 2, "--plot: the path is empty"),
]
REPRO = [
    case("repro-missing", "repro {d}/nope.json", 2, "cannot read {d}/nope.json"),
    case("repro-not-json", "repro {d}/not-json.json", 2, "is not JSON"),
    case("repro-wrong-type", "repro {d}/ops-a-string.json", 2, "$.ops: 'many' is not of type 'integer'"),
    case("repro-negative-count", "repro {d}/negative-violations.json", 2, "$.violations: -3 is less than"),
    case("repro-two-runs", "repro {d}/two-runs.json", 2, "holds 2 runs: give the report of one run"),
    case("repro-scheme-file-gone", "repro {d}/scheme-file-gone.json", 2, "its scheme file {d}/deleted.c is gone"),
    case("repro-config-out-of-range", "repro {d}/config-out-of-range.json --runs 1", 2,
         "100001 workers (100000 readers + 1 writers) but only"),
    case("repro-config-wrong-type", "repro {d}/config-wrong-type.json --runs 1", 2,
         "$.config.checks: 1 is not of type 'boolean'"),
    case("repro-runs-zero", "repro {d}/good.json --runs 0", 2, "expected a count >= 1, not '0'"),
    case("repro-runs-malformed", "repro {d}/good.json --runs many", 2, "expected a count >= 1, not 'many'"),
    case("repro-json-dev-full", "repro {d}/good.json --json /dev/full", 2, "--json /dev/full: is not a regular file"),
    case("repro-json-empty", ["repro", "{d}/good.json", "--json", ""], 2, "--json: the path is empty"),
    case("shrink-a-success", "shrink {d}/good.json", 2, "records a SUCCESS run: there is no failure to shrink"),
    case("shrink-checks-off", "shrink {d}/failed-unchecked.json", 2, "ran with checks off: nothing could fail"),
    case("shrink-rate-2", "shrink {d}/good.json --rate 2", 2, "expected a rate in (0, 1], not '2'"),
    case("shrink-trials-zero", "shrink {d}/good.json --trials 0", 2, "expected a count >= 1, not '0'"),
    case("shrink-wrong-type", "shrink {d}/gp-a-list.json", 2, "$.gp: [] is not of type 'object'"),
    case("shrink-json-dev-full", "shrink {d}/good.json --json /dev/full", 2, "--json /dev/full: is not a regular"),
]
CAMPAIGN = [
    case("campaign-file-missing", "campaign run {d}/nope.toml --out {d}/o", 2,
         "cannot read campaign file {d}/nope.toml"),
    case("campaign-file-a-directory", "campaign run {d}/a-dir --out {d}/o", 2, "cannot read campaign file {d}/a-dir"),
    case("campaign-file-binary", "campaign run {d}/binary.toml --out {d}/o", 2, "is not UTF-8 text (byte 0)"),
    case("campaign-huge-replicas", "campaign run {d}/huge-replicas.toml --out {d}/o", 2,
         "1 scenarios x replicas = 100000000 is 100,000,000 runs: at most 100,000"),
    case("campaign-huge-matrix", "campaign run {d}/huge-matrix.toml --out {d}/o", 2,
         "205,379 scenarios x replicas = 1 is 205,379 runs: at most 100,000"),
    case("campaign-replicas-zero", "campaign run {d}/replicas-zero.toml --out {d}/o", 2, "replicas = 0: expected an "
                                                                                       "integer >= 1"),
    case("campaign-replicas-string", "campaign run {d}/replicas-string.toml --out {d}/o", 2, "replicas = 'three'"),
    case("campaign-cpu-hours-string", "campaign run {d}/cpu-hours-string.toml --out {d}/o", 2,
         "cpu_hours = 'lots': expected a positive number"),
    case("campaign-budget-malformed", "campaign run {d}/budget-malformed.toml --out {d}/o", 2, "malformed duration"),
    case("campaign-readers-out-of-range", "campaign run {d}/readers-out-of-range.toml --out {d}/o", 2,
         "readers: --readers 100000 is out of range"),
    case("campaign-ops-out-of-range", "campaign run {d}/ops-out-of-range.toml --out {d}/o", 2,
         f"ops: --ops {2**64 + 1} is out of range"),
    case("campaign-seed-owned", "campaign run {d}/seed-owned.toml --out {d}/o", 2, "sets --seed itself"),
    case("campaign-matrix-a-string", "campaign run {d}/matrix-a-string.toml --out {d}/o", 2, "is empty"),
    case("campaign-value-a-table", "campaign run {d}/value-a-table.toml --out {d}/o", 2,
         "expected a string, number or boolean"),
    case("campaign-scheme-file-missing", "campaign run {d}/scheme-file-missing.toml --out {d}/o", 2,
         "scheme_file {d}/nope.c does not exist"),
    case("campaign-out-in-proc", "campaign run {d}/good.toml --out /proc/camp", 2, "/proc/camp"),
    case("campaign-out-a-file", "campaign run {d}/good.toml --out {d}/a-file", 2,
         "--out {d}/a-file: exists and is not a directory"),
    case("campaign-out-empty", ["campaign", "run", "{d}/good.toml", "--out", ""], 2, "--out: the path is empty"),
    case("campaign-file-and-resume", "campaign run {d}/good.toml --resume {d}/camp-a", 2, "not both"),
    case("campaign-neither-file-nor-resume", "campaign run", 2, "give a campaign FILE, or --resume DIR"),
    case("campaign-resume-not-a-campaign", "campaign run --resume {d}/a-dir", 2,
         "{d}/a-dir is not a campaign directory (no index.sqlite)"),
    case("campaign-summary-missing", "campaign summary {d}/nope", 2, "{d}/nope is not a campaign directory"),
    case("campaign-compare-missing", "campaign compare {d}/camp-a {d}/nope", 2, "{d}/nope is not a campaign directory"),
    case("campaign-compare-nothing-in-common", "campaign compare {d}/camp-a {d}/camp-b", 2,
         "no scenario in common: OLD {d}/camp-a holds 1 scenario (rcu-typesafe_alloc_1r1w_1s); NEW {d}/camp-b holds "
         "1 scenario (task-lock_alloc_1r1w_1s)"),
    case("campaign-compare-empty-side", "campaign compare {d}/camp-a {d}/camp-empty", 2,
         "NEW {d}/camp-empty holds no finished runs"),
    case("campaign-subcommand-unknown", "campaign start", 2, "invalid choice: 'start'"),
]
BISECT = [
    case("bisect-missing", "bisect-step {d}/nope", 128, "cannot read {d}/nope"),
    case("bisect-not-a-campaign", "bisect-step {d}/a-dir", 128, "{d}/a-dir is not a campaign directory"),
    case("bisect-never-failed-campaign", "bisect-step {d}/camp-a", 128, "0 scenarios failed"),
    case("bisect-never-failed-run", "bisect-step {d}/good.json", 128, "never failed (1 runs)"),
    case("bisect-wrong-type", "bisect-step {d}/ops-a-string.json", 128, "$.ops: 'many' is not of type"),
    case("bisect-confidence-2", "bisect-step {d}/good.json --confidence 2", 128,
         "--confidence must be between 0 and 1"),
    case("bisect-confidence-malformed", "bisect-step {d}/good.json --confidence sure", 128, "not a number: 'sure'"),
    case("bisect-min-rate-zero", "bisect-step {d}/good.json --min-rate 0", 128, "--min-rate must be in (0, 1]"),
    case("bisect-scenario-unknown", "bisect-step {d}/camp-a --scenario nope", 128, "no scenario 'nope'"),
    case("bisect-no-target", "bisect-step", 128, "the following arguments are required: CAMPAIGN_DIR_OR_RUN.json"),
]


@pytest.mark.parametrize("argv, code, says, lines", SOAK + REPORT + REPRO + CAMPAIGN + BISECT)
def test_hostile_input(files, scheme_cache, capsys, argv, code, says, lines):
    d = str(files)
    before, here = set(os.listdir(files)), set(os.listdir("."))   # a default output directory goes in "."
    assert main([w.replace("{d}", d) for w in argv]) == code
    out, err = capsys.readouterr()
    first = err.splitlines()[0] if err else ""
    assert first.startswith("error: ") and says.replace("{d}", d) in first, err
    assert len(err.splitlines()) == lines if lines else len(err.splitlines()) > 1, err
    assert "Traceback" not in err + out
    assert set(os.listdir(files)) == before and set(os.listdir(".")) == here, "nothing written by a refused command"


CONFIGS = [
    ({"readers": "x"}, "readers must be int or None, not 'x'"),
    ({"writers": 1.0}, "writers must be int, not 1.0"),
    ({"duration": "1"}, "duration must be float, not '1'"),
    ({"checks": 1}, "checks must be bool, not 1"),
    ({"nodes": True}, "nodes must be int, not True"),
    ({"cpus": [0, "1"]}, "cpus must be a list of int or None, not [0, '1']"),
    ({"cpus": "0-1"}, "cpus must be a list of int or None, not '0-1'"),
    ({"inject": "worker-crash"}, "inject must be a list of str, not 'worker-crash'"),
    ({"writer_ops": "create"}, "writer_ops must be a list of str, not 'create'"),
    ({"scheme": 3}, "scheme must be str or None, not 3"),
    ({"ops": 2**64 + 1}, f"ops = {2**64 + 1} is out of range: must be 0 .. 2**64-1"),
    ({"seed": -1}, "seed = -1 is out of range: must be 0 .. 2**64-1"),
    ({"stall_bound": 0}, "stall_bound = 0 is out of range: must be 1 ms"),
    ({"read_delay": [20, 2**32]}, f"read_delay = [20, {2**32}] is out of range: must be 0 .. 4.29 s"),
    ({"read_delay": [20]}, "read_delay = [20]: expected 2 numbers, not 1"),
    ({"stutter": [1.0, "1s"]}, "stutter must be a list of number or None, not [1.0, '1s']"),
    ({"cpus": list(range(OUTSIDE, OUTSIDE + 10**6))}, f"CPU {OUTSIDE} does not exist or is not allowed here"),
]


@pytest.mark.parametrize("settings, says", CONFIGS, ids=[next(iter(s)) + "-" + str(i) for i, (s, _) in
                                                         enumerate(CONFIGS)])
def test_config_from_python_refuses_with_one_line(settings, says):
    """What the pytest plugin's harness_stress(**overrides) and harness.run(Config(...)) get: a ConfigError,
    never a TypeError from deep inside."""
    from harness.soak.parse import ConfigError
    with pytest.raises(ConfigError) as e:
        harness.Config(**settings).resolved()
    assert str(e.value) == says or str(e.value).startswith(says)


def test_cache_on_an_unusable_directory_exits_2(tmp_path, monkeypatch, capsys):
    not_a_dir = tmp_path / "cache"
    not_a_dir.write_text("")
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(not_a_dir))
    for argv in (["cache"], ["cache", "--clear"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err == f"error: build cache {not_a_dir}: exists and is not a directory (set HARNESS_CACHE_DIR to a " \
                      "usable directory)\n"
    assert not_a_dir.read_text() == ""


def test_arena_past_the_address_space_limit_is_one_line():
    """Under RLIMIT_AS (ulimit -v) the arena counts twice: a forked worker maps it beside the orchestrator's
    inherited mapping. 1.5 GiB of address space cannot hold twice an arena of 4 x 200000 pages (1,100 MiB)."""
    import resource
    import subprocess
    import sys

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))
    p = subprocess.run([sys.executable, "-m", "harness", "soak", "--pages-per-node", "200000", "--duration", "0.2"],
                       capture_output=True, text=True, timeout=60, preexec_fn=limit)
    assert p.returncode == 2 and p.stdout == "", p.stderr
    assert p.stderr.count("\n") == 1 and p.stderr.startswith("error: 4 nodes x 200000 pages need an arena of 1,100 MiB "
                                                             "mapped twice but only "), p.stderr
    assert p.stderr.endswith(" MiB is available (RLIMIT_AS): use fewer --nodes or --pages-per-node\n")

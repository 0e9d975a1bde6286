"""The reference C benchmark (bench/reference/refbench.c, built from the system's liburcu), run in the same
pytest session as the harness, so the targets in the summary compare the harness's deref/checks-off ns/op
with the mechanism closest to each scheme under the same conditions (1 reader, 2 readers, 1 reader + an
updater every 10 us)."""

from __future__ import annotations

import statistics

import pytest

from anchors import REFERENCE_FOR, AnchorsUnavailable, build_refbench, list_mechanisms, run_reference
from measure import NCPUS
from summary import ANCHOR_CONFIGS

MECHANISMS = sorted(set(REFERENCE_FOR.values()))
ROUNDS = 3   # refbench runs per configuration; the medians are reported


@pytest.fixture(scope="session")
def refbench(tmp_path_factory, bench_results):
    try:
        binary = build_refbench(tmp_path_factory.mktemp("refbench"))
    except AnchorsUnavailable as exc:
        bench_results.unavailable["anchors"] = f"refbench cannot be built: {exc}"   # the summary's one line
        pytest.skip(f"reference unavailable: {exc}")
    missing = set(MECHANISMS) - set(list_mechanisms(binary))
    assert not missing, f"refbench lacks {missing}: REFERENCE_FOR and bench/reference/refbench.c disagree"
    return binary


@pytest.mark.parametrize("config", list(ANCHOR_CONFIGS))
@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_reference(benchmark, refbench, mechanism, config, bench_opts, bench_results):
    binary = refbench
    readers, writer = ANCHOR_CONFIGS[config]
    if readers > NCPUS:
        pytest.skip(f"{readers} readers need {readers} CPUs")
    runs = []
    benchmark.group = f"anchors {config}"
    benchmark.pedantic(lambda: runs.append(run_reference(binary, mechanism, readers, writer != "none",
                                                         bench_opts.anchor_s)),
                       rounds=ROUNDS, iterations=1)

    def median(key: str) -> float | None:
        values = [r[key] for r in runs if r[key] is not None]
        return statistics.median(values) if values else None

    info = {"mechanism": mechanism, "config": config, "mode": runs[0]["mode"], "runs": len(runs),
            "ns_per_read": median("ns_per_read"), "best_window_ns_per_read": median("best_window_ns_per_read"),
            "upd_ops_per_s": median("upd_ops_per_s"),
            "upd_lat_p50_us": None if median("upd_lat_p50_ns") is None else median("upd_lat_p50_ns") / 1000,
            "errors": sum(int(r["errors"]) for r in runs)}
    benchmark.extra_info.update(info)
    bench_results.add("anchor", info)

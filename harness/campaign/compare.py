"""`campaign compare OLD NEW`: per scenario (matched by id), the failure rates with Fisher's exact test and
the reader ns/op with Mann-Whitney U; a change is flagged only when its p-value is below 0.05, never on a raw
difference. Returns 1 when some scenario regressed (more failures, or slower), for CI; two campaigns with no
scenario in common are bad input (exit 2), never a pass."""

from __future__ import annotations

import statistics

from harness.campaign.stats import ALPHA, fisher_p, mannwhitney_p
from harness.campaign.store import Store
from harness.campaign.summary import group, table
from harness.soak.monitor import emit
from harness.soak.parse import ConfigError
from harness.report.text import fmt_ns


def _side(rows: list) -> tuple[int, int, list[float]]:
    judged = [r for r in rows if r["verdict"] in ("SUCCESS", "FAILURE")]
    return (sum(r["verdict"] == "FAILURE" for r in judged), len(judged),
            [r["ns_per_op"] for r in judged if r["ns_per_op"] is not None])


def _p(p: float | None) -> str:
    return "-" if p is None else f"{p:.2g}"


def _holds(groups: dict[str, list]) -> str:
    names = list(groups)
    if not names:
        return "no finished runs"
    return f"{len(names)} scenario{'s' if len(names) > 1 else ''} ({', '.join(names[:3])}" + \
        (f", ... {len(names) - 3} more)" if len(names) > 3 else ")")


def compare(old_dir: str, new_dir: str) -> int:
    old, new = group(Store(old_dir, create=False)), group(Store(new_dir, create=False))
    if not set(old) & set(new):   # nothing compared is no evidence of "no regression"
        raise ConfigError(f"no scenario in common: OLD {old_dir} holds {_holds(old)}; NEW {new_dir} holds "
                          f"{_holds(new)}")
    rows = [("scenario", "old fail", "new fail", "Fisher p", "old ns/op p50", "new ns/op p50", "Mann-Whitney p",
             "verdict")]
    notes, regressed = [], 0
    for s in [s for s in new if s in old]:
        k0, n0, ns0 = _side(old[s])
        k1, n1, ns1 = _side(new[s])
        pf = fisher_p(k0, n0, k1, n1) if n0 and n1 else None
        pm = mannwhitney_p(ns0, ns1)
        verdict = []
        if pf is not None and pf < ALPHA:
            worse = k1 / n1 > k0 / n0
            verdict.append("FAILURES UP" if worse else "failures down")
            regressed += worse
            notes.append(f"{'!!! ' if worse else ''}{s}: failure rate {k0}/{n0} -> {k1}/{n1}, Fisher's exact test "
                         f"p = {pf:.3g} < {ALPHA}")
        if pm is not None and pm < ALPHA:
            worse = statistics.median(ns1) > statistics.median(ns0)
            verdict.append("SLOWER" if worse else "faster")
            regressed += worse
            notes.append(f"{'!!! ' if worse else ''}{s}: median ns/op {fmt_ns(statistics.median(ns0))} -> "
                         f"{fmt_ns(statistics.median(ns1))}, Mann-Whitney U test p = {pm:.3g} < {ALPHA}")
        rows.append((s, f"{k0}/{n0}", f"{k1}/{n1}", _p(pf), fmt_ns(statistics.median(ns0)) if ns0 else "-",
                     fmt_ns(statistics.median(ns1)) if ns1 else "-", _p(pm),
                     ", ".join(verdict) or "no significant change"))
    for line in table(rows):
        emit(line)
    only = [f"only in OLD: {s}" for s in old if s not in new] + [f"only in NEW: {s}" for s in new if s not in old]
    for line in notes + only:
        emit(line)
    emit(f"{'REGRESSED' if regressed else 'no significant regression'}: {len(rows) - 1} scenarios compared "
         f"(two-sided tests, flagged at p < {ALPHA})")
    return 1 if regressed else 0

"""Interleaved rounds of several schemes on the same CPUs, and what they say: each scheme's median ns/op with
its 95% interval, every pair's ratio with its interval and a one-line answer, and the noise verdict."""

from __future__ import annotations

from itertools import combinations

import numpy as np
from typing import Callable

from harness.bench import noise, stats
from harness.bench.rounds import RoundResult, run_round
from harness.soak.config import Config
from harness.build.core import Core
from harness.soak.params import ns_text


def conditions(c: Config) -> str:
    """'alloc, 1 reader + writer every 10us' as the answer line says it."""
    readers = f"{c.readers} reader{'s' if c.readers != 1 else ''}"
    who = "writer" if c.writers == 1 else f"{c.writers} writers"
    writer = ("no writer" if not c.writers else
              f"{who} every {ns_text(c.writer_period)}" if c.writer_period else f"{who} in a storm")
    return f"{c.workload}, {readers} + {writer}" if c.writers else f"{c.workload}, {readers}, {writer}"


def interleaved(core: Core, configs: dict[str, Config], rounds: int, seconds: float,
                progress: Callable[[str], None]) -> dict[str, list[RoundResult]]:
    """`rounds` rounds of every scheme, the order rotated each round (A B C, B C A, C A B, ...) so neither
    drift nor a first-after-idle effect favours one scheme. Round i of every scheme uses seed + i."""
    labels = list(configs)
    out: dict[str, list[RoundResult]] = {k: [] for k in labels}
    for i in range(rounds):
        for k in labels[i % len(labels):] + labels[:i % len(labels)]:
            c = configs[k]
            out[k].append(run_round(core, Config(**{**c.to_dict(), "seed": c.seed + i}), seconds))  # type: ignore[operator]
        progress(f"round {i + 1}/{rounds}: " + ", ".join(f"{k} {out[k][-1].ns_per_op:.2f} ns/op" for k in labels))
    return out


def pair_line(fast: str, slow: str, ratio: tuple[float, float, float], where: str, n: int) -> str:
    r, lo, hi = ratio
    if lo <= 1 <= hi:
        return (f"no significant difference: {slow} / {fast} = {r:.2f}x [{lo:.2f}, {hi:.2f}] holds 1, on {where}, "
                f"this machine; n = {n} rounds")
    return f"{fast} is {r:.2f}x [{lo:.2f}, {hi:.2f}] cheaper than {slow} on {where}, this machine; n = {n} rounds"


def _median_best(rounds: list[RoundResult]) -> float | None:
    """Median over rounds of the best-2-ms-window ns/op: what the scheme costs when nothing preempts it."""
    best = [r.best_window_ns_per_op for r in rounds if r.best_window_ns_per_op is not None]
    return float(stats.median_ci(best)[0]) if best else None


def _best_pair(results: dict[str, list[RoundResult]], a: str, b: str, where: str, n: int) -> dict | None:
    """The pair on the best-2-ms-window ns/op instead: preemption by other work is filtered out, so it still
    answers on a busy machine. None when a round had no complete window."""
    best = {k: [r.best_window_ns_per_op for r in results[k]] for k in (a, b)}
    if None in best[a] or None in best[b]:
        return None
    fast, slow = (a, b) if np.median(best[a]) <= np.median(best[b]) else (b, a)  # type: ignore[arg-type]
    r, lo, hi = stats.ratio_ci(best[slow], best[fast])  # type: ignore[arg-type]
    return {"faster": fast, "slower": slow, "ratio": r, "ci_low": lo, "ci_high": hi,
            "significant": not lo <= 1 <= hi, "answer": pair_line(fast, slow, (r, lo, hi), where, n)}


def summarize(results: dict[str, list[RoundResult]], config: Config, other_before: float) -> dict:
    """The report: per scheme median and interval, per pair ratio (slower over faster) and its line, noise."""
    ns = {k: [r.ns_per_op for r in v] for k, v in results.items()}
    n = min(len(v) for v in ns.values())
    schemes = {k: dict(zip(("median_ns_per_op", "ci_low", "ci_high"), stats.median_ci(v)), spread=stats.spread(v),
                       best_window_ns_per_op=_median_best(results[k])) for k, v in ns.items()}
    where = conditions(config)
    pairs = []
    for a, b in combinations(ns, 2):
        fast, slow = (a, b) if schemes[a]["median_ns_per_op"] <= schemes[b]["median_ns_per_op"] else (b, a)
        ratio = stats.ratio_ci(ns[slow], ns[fast])
        pairs.append({"faster": fast, "slower": slow, "ratio": ratio[0], "ci_low": ratio[1], "ci_high": ratio[2],
                      "significant": not ratio[1] <= 1 <= ratio[2], "answer": pair_line(fast, slow, ratio, where, n),
                      "best_window": _best_pair(results, fast, slow, where, n)})
    verdict = noise.verdict(other_before, len(config.cpus or []), {k: s["spread"] for k, s in schemes.items()}, n,
                            all(p["significant"] for p in pairs))
    return {"medians": schemes, "pairs": pairs, "noise": verdict, "rounds": n}


def render(report: dict) -> list[str]:
    out = [f"{k:28s} median {s['median_ns_per_op']:9.2f} ns/op  95% CI [{s['ci_low']:.2f}, {s['ci_high']:.2f}]  "
           f"spread {100 * s['spread']:.0f}%  best 2 ms window "
           + ("-" if s["best_window_ns_per_op"] is None else f"{s['best_window_ns_per_op']:.2f}")
           for k, s in report["medians"].items()]
    out.append(report["noise"]["line"])
    for p in report["pairs"]:
        out.append(f"answer: {p['answer']}")
        if p["best_window"]:
            out.append(f"answer, best 2 ms windows (preemption filtered out): {p['best_window']['answer']}")
    return out

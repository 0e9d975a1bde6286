"""Whether the machine was quiet enough for the rounds to answer: other work on it (load average) and the
spread between rounds of the same scheme."""

from __future__ import annotations

import os

SPREAD_NOISY = 0.10      # rounds of one scheme more than 10% apart (median absolute deviation): noisy


def busy_load(ncpus: int) -> float:
    """The 1-minute load average above which other work competes for the bench's CPUs: half a CPU's worth
    on a small machine, 5% of them on a large one."""
    return max(0.5, 0.05 * ncpus)


def load_average() -> float:
    return os.getloadavg()[0]


def verdict(load_before: float, ncpus: int, spreads: dict[str, float], rounds: int, answered: bool) -> dict:
    """{'noisy': bool, 'line': the one line a user reads}. Suggests more rounds when noise may have
    hidden a difference (some pair without an answer)."""
    busy = load_before > busy_load(ncpus)
    worst = max(spreads.values()) if spreads else 0.0
    noisy = busy or worst > SPREAD_NOISY
    said = ", ".join(f"{100 * v:.0f}% {k}" for k, v in spreads.items())
    parts = [f"load average {load_before:.1f} on {ncpus} CPUs before the rounds"
             + (" (other work is competing for these CPUs)" if busy else ""),
             f"spread between rounds {said}"]
    if not noisy:
        return {"noisy": False, "busy": busy, "line": "noise: quiet: " + "; ".join(parts)}
    advice = (f"rerun with --rounds {rounds * 4} (intervals narrow as 1/sqrt(rounds)) on a quieter machine, or "
              "read the best-window answer" if not answered else "the answer holds within its interval, but ns/op "
              "on a busy machine are inflated: quote figures from a quiet one")
    return {"noisy": True, "busy": busy, "line": "noise: NOISY: " + "; ".join(parts) + f": {advice}"}

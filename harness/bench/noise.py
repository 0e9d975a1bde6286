"""Whether the machine was quiet enough for the rounds to answer: other work on the bench's CPUs (measured
from /proc/stat just before the rounds, while the bench itself is idle) and the spread between rounds of the
same scheme. Not the load average: a 1-minute average still counts the command that ran before this one."""

from __future__ import annotations

import time

SPREAD_NOISY = 0.10      # rounds of one scheme more than 10% apart (median absolute deviation): noisy


WINDOW_S = 0.25          # how long other work is measured before the rounds


def busy_load(ncpus: int) -> float:
    """Other work, in CPUs' worth, above which it competes for the bench's CPUs: half a CPU's worth on a
    small machine, 5% of them on a large one."""
    return max(0.5, 0.05 * ncpus)


def _cpu_times(cpus: list[int]) -> tuple[int, int]:
    """(busy, total) clock ticks of these CPUs since boot, from /proc/stat (idle and iowait are not busy)."""
    busy = total = 0
    wanted = {f"cpu{c}" for c in cpus}
    with open("/proc/stat") as f:
        for line in f:
            name, *ticks = line.split()
            if name in wanted:
                t = [int(x) for x in ticks[:8]]
                total += sum(t)
                busy += sum(t) - t[3] - t[4]
    return busy, total


def other_work(cpus: list[int], seconds: float = WINDOW_S) -> float:
    """CPUs' worth of other work on `cpus` over the next `seconds` (the caller runs nothing meanwhile)."""
    b0, t0 = _cpu_times(cpus)
    time.sleep(seconds)   # a measuring window, not a wait for anything
    b1, t1 = _cpu_times(cpus)
    return len(cpus) * (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0


def other_work_text(other: float, ncpus: int) -> str:
    """What the noise line says of the other work measured before the rounds."""
    return (f"other work {other:.2f} CPUs' worth on the {ncpus} CPUs before the rounds"
            + (" (it competes with the rounds)" if other > busy_load(ncpus) else ""))


def verdict(other: float, ncpus: int, spreads: dict[str, float], rounds: int, answered: bool) -> dict:
    """{'noisy': bool, 'line': the one line a user reads}. Suggests more rounds when noise may have
    hidden a difference (some pair without an answer)."""
    busy = other > busy_load(ncpus)
    worst = max(spreads.values()) if spreads else 0.0
    noisy = busy or worst > SPREAD_NOISY
    said = ", ".join(f"{100 * v:.0f}% {k}" for k, v in spreads.items())
    parts = [other_work_text(other, ncpus),
             f"spread between rounds {said}"]
    if not noisy:
        return {"noisy": False, "busy": busy, "line": "noise: quiet: " + "; ".join(parts)}
    advice = (f"rerun with --rounds {rounds * 4} (intervals narrow as 1/sqrt(rounds)) on a quieter machine, or "
              "read the best-window answer" if not answered else "the answer holds within its interval, but ns/op "
              "on a busy machine are inflated: quote figures from a quiet one")
    return {"noisy": True, "busy": busy, "line": "noise: NOISY: " + "; ".join(parts) + f": {advice}"}

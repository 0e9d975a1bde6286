"""Tells a hung process from a starved one, for every wait that ends in a `hang` verdict: after a stop
(progress.py), for the reclaimer (reclaimer.py) and for --until-violation (hangwatch.py)."""

from __future__ import annotations

import time
from typing import Callable

import psutil


STARVED_CPU_SHARE = 0.1   # runnable, with less than this share of the wait on a CPU: starved, not hung
STARVED_WAIT_MAX = 10     # hang bounds a starved process may take in all before it counts as hung anyway


class StarvationWatch:
    """Tells a hung process from a starved one. A hung one spins (it has CPU time) or sleeps for good (not
    runnable); a starved one is runnable and gets almost no CPU, because others hold the machine's CPUs."""

    def __init__(self, pids: dict) -> None:
        self.pids = pids
        self.cpu0 = {k: self._cpu(pid) for k, pid in pids.items()}
        self.noted: set = set()

    @staticmethod
    def _cpu(pid: int) -> float | None:
        try:
            t = psutil.Process(pid).cpu_times()
        except psutil.Error:
            return None
        return t.user + t.system

    def cpu_used(self, key: object) -> float:
        now, then = self._cpu(self.pids[key]), self.cpu0.get(key)
        return 0.0 if now is None or then is None else now - then

    def starved(self, key: object, waited_s: float) -> bool:
        try:
            runnable = psutil.Process(self.pids[key]).status() == psutil.STATUS_RUNNING
        except psutil.Error:
            return False
        return runnable and self.cpu_used(key) < STARVED_CPU_SHARE * waited_s


def waited_for_starved(s, watch: StarvationWatch, late: list, start: float,  # type: ignore[no-untyped-def]
                       name: Callable[[object], str]) -> bool:
    """s: the Session. True when some of `late` were starved of CPU since `start` and the wait may go on: noted once each."""
    waited = time.monotonic() - start
    starved = [w for w in late if watch.starved(w, waited)]
    if not starved or waited >= STARVED_WAIT_MAX * s.hang_bound_s:
        return False
    for w in starved:
        if w not in watch.noted:
            watch.noted.add(w)
            s.note(w if isinstance(w, int) else -1,
                   f"{name(w)} was runnable but had {watch.cpu_used(w) * 1000:.0f} ms of CPU in {waited:.2f} s "
                   f"since the stop (an overloaded machine): waiting up to "
                   f"{STARVED_WAIT_MAX * s.hang_bound_s:g} s before calling it hung")
    return True

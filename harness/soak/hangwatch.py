"""--until-violation: when every live worker has made no progress for the hang bound, the run ends then as
`hang`, each worker named with what it waits on, instead of running out its duration and only then finding
them hung (duration + the hang bound later). A worker that was runnable but hardly got a CPU (an overloaded
machine) is starved, not hung: the watch waits longer for it, as the stop's own hang check does."""

from __future__ import annotations

import time

from harness.soak.starvation import STARVED_WAIT_MAX, StarvationWatch


class HangWatch:
    """Fed each tick with every live worker's stall (seconds without a heartbeat; 0: progressing or idle)."""

    def __init__(self, session) -> None:  # type: ignore[no-untyped-def]
        self.s = session
        self._watch = None       # from the moment every worker was half way to the bound
        self._since = 0.0
        self._noted = False

    def check(self, stalled_s: dict[int, float]) -> bool:
        """True when it found every live worker hung and reported each (a `hang` violation, then killed)."""
        s, bound, wait_max = self.s, self.s.hang_bound_s, STARVED_WAIT_MAX
        live = [w for w in range(s.nworkers) if w not in s.dead]
        stalled = min((stalled_s.get(w, 0.0) for w in live), default=0.0)
        if stalled < bound / 2:
            self._watch, self._noted = None, False
            return False
        if self._watch is None:   # from here on: does each spin or sleep (hung), or wait for a CPU (starved)?
            self._watch = StarvationWatch({w: s.procs[w].pid for w in live})
            self._since = time.monotonic()
        if stalled < bound:
            return False
        waited = time.monotonic() - self._since
        starved = [w for w in live if self._watch.starved(w, waited)]
        if starved and stalled < wait_max * bound:
            if not self._noted:
                self._noted = True
                s.note(starved[0], f"every worker stalled for {stalled:.2f} s, but worker(s) "
                                   f"{', '.join(map(str, starved))} hardly had a CPU (an overloaded machine): waiting "
                                   f"up to {wait_max * bound:g} s before calling them hung")
            return False
        self._declare(live, stalled_s)
        return True

    def _declare(self, live: list[int], stalled_s: dict[int, float]) -> None:
        s, lib = self.s, self.s.core.lib
        states = {w: s.worker_state(w, s.worker_stats(w)) for w in live}
        holders = self._gp_holders()
        for w in live:   # every record first, then the kills: the first violation names a worker still there
            st = states[w]
            waits_on = self._waits_on(st, holders)
            s.hangs.append({**st, "after_stop_s": 0.0, "stalled_s": round(stalled_s[w], 3), "waits_on": waits_on})
            lib.h_report_violation(s.arena, lib.H_V_HANG, w, 0, s.worker_stats(w).phase)
        for w in live:
            h = next(h for h in s.hangs if h["worker"] == w)
            s.kill_worker(w, f"!!! hang: {s.where(states[w])}, no progress for {h['stalled_s']:.2f} s, "
                             f"waits on {h['waits_on']}: killed")

    def _gp_holders(self) -> dict[int, float]:
        """Readers the grace-period stall detector has seen holding up a grace period in the last hang bound,
        with how long."""
        s = self.s
        ffi, lib = s.core.ffi, s.core.lib
        buf = ffi.new(f"struct h_stall[{lib.H_MAX_STALLS}]")
        now = s.run_clock_ns() / 1e9
        out: dict[int, float] = {}
        for i in range(lib.h_get_stalls(s.arena, buf, lib.H_MAX_STALLS)):
            if now - buf[i].t_ns / 1e9 <= s.hang_bound_s:
                out[buf[i].worker] = max(out.get(buf[i].worker, 0.0), buf[i].duration_ns / 1e9)
        return out

    def _waits_on(self, st: dict[str, object], holders: dict[int, float]) -> str:
        """What a stuck worker waits on, as far as the engine can see."""
        w = st["worker"]
        if st["phase"] == "synchronize":
            if not holders:
                return "a grace period (the scheme's synchronize, or one no reader is seen holding up)"
            return "a grace period held up by " + ", ".join(
                f"worker {r} ({self.s.worker_state(r, self.s.worker_stats(r))['role']}) for {t:.2f} s"
                for r, t in sorted(holders.items()))
        what = f"something inside its {st['phase']}"
        if w in holders:
            what += f" (inside a read-side critical section, holding up a grace period for {holders[w]:.2f} s)"
        elif st["in_read_section"]:
            what += " (inside a read-side critical section)"
        return what

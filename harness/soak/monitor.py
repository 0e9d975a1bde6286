"""The live side of a soak: every interval one Snapshot becomes one entry of the report's time series, and
that entry is shown as a status line (plain), a live table (rich, on a terminal) or not at all (quiet)."""

from __future__ import annotations

import os
import sys
import time
from typing import Literal

import numpy as np
import psutil
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from harness.report.text import event_line, status_line
from harness.report.result import Snapshot
from harness.soak.session import Session

Mode = Literal["live", "plain", "quiet"]
FINAL_INTERVAL_MIN_S = 0.01   # a shorter tail after the last tick is the tick itself, not an interval


def emit(text: str) -> None:
    """print for the command line: a reader that went away (`soak | head`) silences the rest of the output,
    it does not end the run, lose its report or change its exit status."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def rss_bytes(pids: list[int]) -> int:
    """Summed resident set of these processes; one that is gone counts 0. Pages shared between them (the
    interpreter after fork, arena pages they touched) count once per process, as `ps` and `top` show them."""
    total = 0
    for pid in pids:
        try:
            total += psutil.Process(pid).memory_info().rss
        except psutil.Error:
            pass
    return total


def live_view(e: dict, roles: list[str], checks: bool) -> Group:
    """The rich display: one row per worker, then the global status line."""
    t = Table(title=f"t={e['t_s']:.1f}s of {e['duration_s']:g}s", title_justify="left")
    for col in ("worker", "role", "cpu", "ops/s", "ops", "near misses"):
        t.add_column(col, justify="left" if col == "role" else "right")
    for w, (role, cpu) in enumerate(zip(roles, e["worker_cpus"])):
        t.add_row(str(w), role, str(cpu), f"{e['worker_ops_per_s'][w]:,.0f}", f"{e['worker_ops'][w]:,}",
                  f"{e['worker_near_misses'][w]:,}")
    style = "bold red" if e["violations"] else ("yellow" if e["stalls"] else "green")
    return Group(t, Text(status_line(e, checks), style=style))


class Monitor:
    """Call it every interval (Session.run's on_interval); `series` holds one entry per call, and one for the
    last, partial interval when the context ends. Create it right before the run, so the first interval's rates
    start from there; use it as a context manager around the run so a live display is set up and torn down
    whatever happens."""

    def __init__(self, s: Session, mode: Mode = "plain", console: Console | None = None) -> None:
        self.mode = mode
        self.series: list[dict] = []
        self.events_shown = 0
        self._pids = s.child_pids   # the reclaimer's memory counts too
        snap = Snapshot.take(s)
        self._roles = ["reader" if r else "writer" for r in snap.readers]
        self._checks = s.config.checks
        self._last_t = time.monotonic()   # rates by the wall clock: the run's clock starts with the run
        self._last_ops = snap.counter(s, "ops").astype(np.int64)
        self._live = Live(console=console, auto_refresh=False) if mode == "live" else None
        self._session = s

    def __enter__(self) -> "Monitor":
        if self._live:
            self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.finish(self._session)
        finally:
            if self._live:
                self._live.stop()

    def sample(self, s: Session) -> dict:
        """Take a snapshot, append its series entry and return it."""
        snap = Snapshot.take(s)
        g = snap.glob
        ops = snap.counter(s, "ops").astype(np.int64)
        near = snap.counter(s, "near_misses").astype(np.int64)
        now = time.monotonic()
        dt = max(now - self._last_t, 1e-9)
        rates = (ops - self._last_ops) / dt
        self._last_t, self._last_ops = now, ops
        readers = snap.readers
        entry = {
            "t_s": snap.t_s,
            "duration_s": s.config.duration,
            "ops": int(ops[readers].sum()),
            "ops_per_s": float(rates[readers].sum()),
            "worker_ops": ops.tolist(),
            "worker_cpus": snap.cpus.tolist(),   # where each worker is now: a shuffle moves them
            "worker_ops_per_s": rates.tolist(),
            "worker_near_misses": near.tolist(),
            "near_misses": int(near[readers].sum()),
            "gp_count": g["gp_count"],
            "gp_max_ns": g["gp_max_ns"],
            "callbacks_pending": int(g["cb_queued"]) - int(g["cb_done"]),  # type: ignore[call-overload]
            "slab_pages": g["slab_pages"],
            "pages_free": g["pages_free"],
            "pages_total": g["pages_total"],
            "violations": g["violations"],
            "stalls": g["nstalls"],
            "rss_orchestrator_bytes": rss_bytes([os.getpid()]),
            "rss_workers_bytes": rss_bytes(self._pids),
        }
        self.series.append(entry)
        return entry

    def finish(self, s: Session) -> None:
        """After the run: the last, partial interval becomes the series' last entry, shown like the others (a 2 s
        run at a 1 s interval has two points, not one), unless the run ended on an interval's tick."""
        if time.monotonic() - self._last_t >= FINAL_INTERVAL_MIN_S:
            self._show(self.sample(s))

    def __call__(self, s: Session) -> None:
        self._show(self.sample(s))
        self.show_events(s)

    def _show(self, e: dict) -> None:
        """One series entry on the screen: the live table or a status line."""
        if self._live:
            self._live.update(live_view(e, self._roles, self._checks), refresh=True)
        elif self.mode == "plain":
            emit(status_line(e, self._checks))

    def show_events(self, s: Session) -> None:
        """Events (progress stalls, faults, hangs, deaths) as they happen, each once; `events_shown` of them."""
        for ev in s.events[self.events_shown:]:
            line = event_line(ev.t_s, ev.what)
            if self._live:
                self._live.console.print(line)
            elif self.mode == "plain":
                emit(line)
        self.events_shown = len(s.events)

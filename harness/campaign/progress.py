"""The live progress line: done / failed / running / left and an ETA; rewritten in place on a terminal,
one plain line per finished run otherwise (a log, a CI job)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from harness.soak.monitor import emit


def fmt_s(s: float | None) -> str:
    if s is None:
        return "?"
    s = int(round(s))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


class Progress:
    TICK_S = 1.0

    def __init__(self, total: int, stream: TextIO | None = None):
        self.total = total
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty()
        self.t0 = time.monotonic()
        self.done = self.failed = self.running = 0

    def line(self) -> str:
        left = self.total - self.done - self.running
        elapsed = time.monotonic() - self.t0
        eta = elapsed / self.done * (left + self.running / 2) if self.done else None
        return (f"campaign: {self.done}/{self.total} done, {self.failed} failed, {self.running} running, "
                f"{left} left, elapsed {fmt_s(elapsed)}, ETA {fmt_s(eta)}")

    def update(self, done: int, failed: int, running: int) -> None:
        before = self.done
        self.done, self.failed, self.running = done, failed, running
        if self.tty:
            self.stream.write("\r\x1b[K" + self.line())
            self.stream.flush()
        elif done != before:
            emit(self.line())

    def note(self, text: str) -> None:
        """A line that stays (a failure, an error), above the progress line on a terminal."""
        if self.tty:
            self.stream.write("\r\x1b[K")
        emit(text)

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()

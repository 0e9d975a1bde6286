"""Signals from the environment (Ctrl-C, `timeout`, a CI runner's SIGTERM) end a run; they never fail it.
While `caught()` is active the orchestrator records SIGINT and SIGTERM instead of dying of them: Session.run
polls the record and stops its round cleanly, and the command line exits 128 + the signal's number. Workers
and the reclaimer ignore both (`ignore_in_child`): they stop when the orchestrator tells them, through the
arena, so a signal to the whole process group cannot kill one and pass for a crash."""

from __future__ import annotations

import signal
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass
class Received:
    signum: int
    at: float          # time.time() of the first one
    count: int = 1     # a second one cuts the teardown's waits short

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        """The shell's convention for a command ended by a signal: 130 for SIGINT, 143 for SIGTERM."""
        return 128 + self.signum


_received: Received | None = None


def received() -> Received | None:
    """The first stop signal since `caught()` began, or None."""
    return _received


def hurry() -> bool:
    """A second signal came: waits for workers to finish may be cut short."""
    return _received is not None and _received.count > 1


def _on_signal(signum: int, frame: object) -> None:
    global _received
    if _received is None:
        _received = Received(signum, time.time())
    else:
        _received.count += 1


@contextmanager
def caught() -> Iterator[None]:
    """Within: SIGINT and SIGTERM are recorded, not raised; the previous handlers come back on exit."""
    global _received
    _received = None
    old = {s: signal.signal(s, _on_signal) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        _received = None


@contextmanager
def blocked() -> Iterator[None]:
    """Around a fork: the child starts with the stop signals blocked, so none reaches it before it has
    ignored them (the parent's handler would run in the child, or the default would kill it)."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def ignore_in_child() -> None:
    """In a forked worker, first thing: ignore the stop signals (one pending since the fork is discarded),
    then unblock them."""
    for s in STOP_SIGNALS:
        signal.signal(s, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)

"""A campaign's time and CPU-hour budgets: a run starts only if it can finish inside both."""

from __future__ import annotations

import time


class Budget:
    def __init__(self, wall_s: float | None = None, cpu_hours: float | None = None):
        self.wall_s = wall_s
        self.cpu_s = None if cpu_hours is None else cpu_hours * 3600
        self.t0 = time.monotonic()
        self.spent_cpu_s = 0.0

    def allows(self, job: dict) -> bool:
        if self.wall_s is not None and time.monotonic() - self.t0 + job["duration"] > self.wall_s:
            return False
        return self.cpu_s is None or self.spent_cpu_s + job["duration"] * job["cpus"] <= self.cpu_s

    def charge(self, job: dict) -> None:
        self.spent_cpu_s += job["duration"] * job["cpus"]

    def expired(self) -> bool:
        return self.wall_s is not None and time.monotonic() - self.t0 >= self.wall_s

"""Runs jobs on a Dask distributed cluster. Every worker advertises its CPUs as a resource
(`dask worker tcp://HOST:8786 --nthreads N --resources CPU=N`), a job asks for resources={"CPU": R+W}, so a
worker never runs more than its CPUs hold; on the worker, execute() takes free CPUs of the host (cpus.py)
and runs the soak subprocess. Results stream back as they finish. A worker lost mid-run has its jobs rerun
elsewhere by Dask: printed as an event, and the index counts the attempts of the runs it was executing (not of
those only queued there); a rerun on the same host keeps the report of a lost attempt that reached a verdict
and removes its work directory (execute.earlier_attempts)."""

from __future__ import annotations

import os
import uuid
from typing import Callable

from harness.campaign.budget import Budget
from harness.campaign.execute import execute
from harness.campaign.local import Job, OnResult, failed_result
from harness.soak.monitor import emit
from harness.soak.parse import ConfigError


def connect(scheduler: str):
    """A Client for tcp://HOST:PORT (or any Dask address), or for a scheduler file (dask scheduler
    --scheduler-file F)."""
    try:
        from distributed import Client
    except ModuleNotFoundError:
        raise ConfigError("--scheduler needs Dask: pip install 'cpuset-rcu-harness[campaign]'") from None
    try:
        if os.path.isfile(scheduler):
            return Client(scheduler_file=scheduler, timeout="20s")
        return Client(scheduler, timeout="20s")
    except (OSError, TimeoutError, ValueError) as e:
        raise ConfigError(f"cannot reach the Dask scheduler {scheduler}: {e}") from None


def _executing(dask_worker) -> list[str]:   # runs on every worker: the campaign runs it is executing now
    return [str(k) for k, ts in dask_worker.state.tasks.items()
            if ts.state == "executing" and str(k).startswith(KEY)]


KEY = "harness-campaign-"


class DaskRunner:
    def __init__(self, client, budget: Budget | None = None):
        self.client = client
        self.budget = budget or Budget()
        self.note: Callable[[str], None] = emit   # events (a lost worker); the campaign's progress.note
        self.executing: dict[str, list[str]] = {}   # worker -> the runs it was executing at the last tick
        self.lost_attempts: dict[str, int] = {}     # run -> attempts that died with their worker

    def _watch_workers(self, names: dict[str, str]) -> None:
        """A worker gone since the last tick is an event; the runs it was executing count one more attempt
        (the runs only queued there do not: they never started)."""
        workers = set(self.client.scheduler_info()["workers"])
        for worker in [w for w in self.executing if w not in workers]:
            running = self.executing.pop(worker)
            for key in running:
                self.lost_attempts[key] = self.lost_attempts.get(key, 0) + 1
            self.note(f"event: Dask worker {worker} lost" + (
                f" while running {', '.join(names.get(k, k) for k in running)}: rerun elsewhere" if running
                else ": the runs queued there go to other workers"))
        now = self.client.run(_executing, on_error="return")
        self.executing.update({w: keys for w, keys in now.items() if isinstance(keys, list)})
        for worker in workers - set(self.executing):
            self.executing[worker] = []

    def check(self, jobs: list[Job]) -> None:
        """ConfigError for a job no worker can run: called before anything is planned or written."""
        workers = self.client.scheduler_info()["workers"].values()
        cpus = [w.get("resources", {}).get("CPU", 0) for w in workers]
        most = max(cpus, default=0)
        self.capacity = sum(cpus)   # CPUs over all workers: how many jobs can run at once
        big = [j for j in jobs if j["cpus"] > most]
        if big:
            raise ConfigError(f"scenario {big[0]['scenario']} needs {big[0]['cpus']} CPUs, but no Dask worker "
                              f"advertises that many (largest: CPU={most}; start workers with --resources CPU=N)")

    def run(self, jobs: list[Job], on_result: OnResult, on_tick: Callable[[int], None], tick_s: float) -> str:
        from distributed import wait
        self.check(jobs)
        token = uuid.uuid4().hex[:8]
        futures = {}
        for job in jobs:
            if not self.budget.allows(job):   # the CPU-hour budget; the wall budget is checked below
                continue
            self.budget.charge(job)
            key = f"{KEY}{token}-{job['scenario']}#{job['replica']}"
            futures[self.client.submit(execute, {**job, "key": key}, key=key, pure=False,
                                       resources={"CPU": job["cpus"]})] = job
        status = "done" if len(futures) == len(jobs) else "budget"
        pending = set(futures)
        names = {f.key: f"{job['scenario']} #{job['replica']}" for f, job in futures.items()}
        try:
            while pending:
                self._watch_workers(names)
                busy = {k for keys in self.client.processing().values() for k in keys}   # incl. queued there
                on_tick(min(sum(1 for f in pending if f.key in busy),
                            self.capacity // min(futures[f]["cpus"] or 1 for f in pending)))
                try:
                    done, pending = wait(pending, timeout=tick_s, return_when="FIRST_COMPLETED")
                except TimeoutError:   # nothing finished this tick
                    done = set()
                for fut in done:
                    try:
                        res = fut.result()
                    except Exception as e:   # e.g. KilledWorker: the task took down worker after worker
                        res = failed_result(futures[fut], e)
                    # attempts seen executing on a lost worker, or found on this host by the rerun
                    res["attempts"] = 1 + max(self.lost_attempts.get(fut.key, 0), res.get("earlier_attempts", 0))
                    fut.release()
                    if on_result(res) and status == "done":   # INTERRUPTED too: stopped from outside
                        status = "stopped"
                        self.client.cancel(list(pending))
                        pending = set()
                if pending and self.budget.expired():
                    status = "budget"
                    self.client.cancel(list(pending))
                    pending = set()
        except KeyboardInterrupt:
            self.client.cancel(list(pending))   # soaks already running on workers finish there, unrecorded
            status = "interrupted"
        return status

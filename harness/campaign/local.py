"""Runs jobs on this machine: as many at once as the allowed CPUs hold (a job with R readers and W writers
takes R+W CPUs, never shared), each in a thread that runs one soak subprocess (execute.py)."""

from __future__ import annotations

import queue
import signal
import subprocess
import threading
from typing import Callable

from harness.campaign.budget import Budget
from harness.campaign.execute import execute
from harness.soak.parse import ConfigError, allowed_cpus

Job = dict
OnResult = Callable[[dict], bool]   # True: stop starting runs (bisect-step saw its failure)


def failed_result(job: Job, error: BaseException) -> dict:
    return {**job, "exit_code": None, "verdict": "ERROR", "report": None, "log": f"{type(error).__name__}: {error}"}


class LocalRunner:
    def __init__(self, budget: Budget | None = None):
        self.budget = budget or Budget()
        self.ncpus = len(allowed_cpus())
        self.procs: dict[tuple, subprocess.Popen] = {}
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def _started(self, key: tuple) -> Callable[[subprocess.Popen], None]:
        def register(proc: subprocess.Popen) -> None:
            with self.lock:
                self.procs[key] = proc
                if self.stopping.is_set():
                    proc.send_signal(signal.SIGTERM)
        return register

    def _thread(self, job: Job, results: queue.Queue) -> None:
        key = (job["scenario"], job["replica"])
        try:
            results.put(execute(job, self._started(key)))
        except Exception as e:   # a runner fault is one ERROR run, never a stuck campaign
            results.put(failed_result(job, e))
        finally:
            with self.lock:
                self.procs.pop(key, None)

    def _stop_all(self) -> None:
        with self.lock:
            self.stopping.set()
            for proc in self.procs.values():
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)   # the soak stops its workers and exits 143

    def _stop_and_join(self, threads: list[threading.Thread]) -> None:
        self._stop_all()
        for t in threads:
            t.join()

    def check(self, jobs: list[Job]) -> None:
        """ConfigError for a job this runner can never run: called before anything is planned or written."""
        big = [j for j in jobs if j["cpus"] > self.ncpus]
        if big:
            raise ConfigError(f"scenario {big[0]['scenario']} needs {big[0]['cpus']} CPUs, this machine allows "
                              f"{self.ncpus}")

    def run(self, jobs: list[Job], on_result: OnResult, on_tick: Callable[[int], None], tick_s: float) -> str:
        """'done', 'budget' (runs left that the budget cannot fit), 'stopped' (on_result said so) or
        'interrupted' (Ctrl-C / SIGTERM: running soaks are stopped and their partial results dropped). A soak
        stopped from outside (exit 130 or 143) is a result, INTERRUPTED; one this runner stopped is not."""
        self.check(jobs)
        pending, running, free = list(jobs), 0, self.ncpus
        results: queue.Queue = queue.Queue()
        threads: list[threading.Thread] = []
        status = "done"
        try:
            while pending or running:
                if status == "done":
                    for job in list(pending):
                        if job["cpus"] <= free and self.budget.allows(job):
                            pending.remove(job)
                            free -= job["cpus"]
                            running += 1
                            self.budget.charge(job)
                            t = threading.Thread(target=self._thread, args=(job, results), daemon=True)
                            t.start()
                            threads.append(t)   # after start(): a Ctrl-C inside it leaves one that cannot be
                                                # joined; its soak still gets SIGTERM when it registers
                if not running:
                    break
                on_tick(running)
                try:
                    res = results.get(timeout=tick_s)
                except queue.Empty:
                    continue
                free += res["cpus"]
                running -= 1
                stopped_here = self.stopping.is_set() and res["verdict"] == "INTERRUPTED"   # by _stop_all
                if not stopped_here and on_result(res) and status == "done":
                    status = "stopped"
                    self._stop_all()
        except KeyboardInterrupt:
            status = "interrupted"
            self._stop_and_join(threads)
            while not results.empty():   # a run that finished as the interrupt came is kept
                res = results.get()
                if res["verdict"] != "INTERRUPTED" and res.get("exit_code") not in (130, 143):
                    on_result(res)
        except Exception:   # on_result could not record a result: no soak outlives the campaign
            self._stop_and_join(threads)
            raise
        if status == "done" and pending:
            status = "budget"
        return status

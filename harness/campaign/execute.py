"""One scenario replica, run as a `python -m harness soak` subprocess on CPUs of this host (a subprocess
because Dask's worker processes are daemonic and may not have children, and because it isolates crashes).
Module-level and dict-in, dict-out, so a Dask worker on another host can run it."""

from __future__ import annotations

import datetime
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from typing import Callable

from harness.campaign.cpus import host_cpus
from harness.parse import cpu_ranges

SOAK_EXIT = {0: "SUCCESS", 1: "FAILURE", 2: "ERROR", 130: "INTERRUPTED", 143: "INTERRUPTED"}   # 128 + SIGINT, SIGTERM


def soak_command(args: list[str], cpus: list[int], json_path: str) -> list[str]:
    """The soak's command line; under setpriv (util-linux) where there is one, so a soak whose runner dies (a
    Dask worker lost mid-run) gets SIGTERM and stops, instead of running on, unrecorded, on CPUs that the rerun
    elsewhere on this host may then take."""
    guard = ["setpriv", "--pdeathsig", "TERM"] if shutil.which("setpriv") else []
    return [*guard, sys.executable, "-m", "harness", "soak", *args, "--cpus", cpu_ranges(cpus), "--json", json_path,
            "--quiet"]


def execute(job: dict, started: Callable[[subprocess.Popen], None] | None = None) -> dict:
    """Run job {"scenario", "replica", "args", "cpus"}; returns the job plus exit_code, verdict (the report's,
    or ERROR when there is none), report (its JSON text or None), log (stdout and stderr), started, seconds
    (wall, start-up included), cpu_s (user+sys of the whole soak process tree), cpus_used, host.
    `started(proc)` lets the caller stop the subprocess (Ctrl-C)."""
    with host_cpus(int(job["cpus"])) as cpus, tempfile.TemporaryDirectory(prefix="harness-campaign-") as tmp:
        path = os.path.join(tmp, "run.json")
        log = os.path.join(tmp, "log")
        begin = datetime.datetime.now(datetime.timezone.utc)
        t0 = time.monotonic()
        with open(log, "w") as out:
            proc = subprocess.Popen(soak_command(list(job["args"]), cpus, path), stdout=out,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            if started:
                started(proc)
            _, status, usage = os.wait4(proc.pid, 0)   # this child's own rusage, its workers included
            proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - t0
        report = None
        if os.path.exists(path):
            with open(path) as f:
                report = f.read()
        with open(log, errors="replace") as f:
            text = f.read()
    code = proc.returncode
    verdict = SOAK_EXIT.get(code, "ERROR") if report or code in (2, 130, 143) else "ERROR"
    return {**job, "exit_code": code, "verdict": verdict, "report": report, "log": text,
            "started": begin.isoformat(timespec="milliseconds"), "seconds": seconds,
            "cpu_s": usage.ru_utime + usage.ru_stime, "cpus_used": cpus, "host": socket.gethostname()}

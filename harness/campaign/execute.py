"""One scenario replica, run as a `python -m harness soak` subprocess on CPUs of this host (a subprocess
because Dask's worker processes are daemonic and may not have children, and because it isolates crashes).
Module-level and dict-in, dict-out, so a Dask worker on another host can run it."""

from __future__ import annotations

import datetime
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from typing import Callable

from harness.campaign.cpus import host_cpus
from harness.soak.parse import cpu_ranges

SOAK_EXIT = {2: "ERROR", 130: "INTERRUPTED", 143: "INTERRUPTED"}   # the verdict of a soak that wrote no report


def report_verdict(text: str | None) -> str | None:
    """The verdict a soak's report records (None: no report, or not a whole one)."""
    try:
        verdict = json.loads(text).get("verdict") if text else None
    except (ValueError, AttributeError):
        return None
    return verdict if verdict in ("SUCCESS", "FAILURE", "INTERRUPTED") else None


def run_verdict(code: int, report: str | None) -> str:
    """The report's verdict when there is one (a soak stopped from outside after a violation is a FAILURE,
    whatever its exit status), else what the exit status says, else ERROR."""
    return report_verdict(report) or SOAK_EXIT.get(code, "ERROR")


def work_prefix(job: dict) -> str:
    """A run's work directory: named by its scenario and replica, and for a Dask task by its key (campaign
    and run), so that a rerun on this host finds what an attempt on a lost worker left."""
    return f"{job['key']}-" if "key" in job else f"{job['scenario']}#{job['replica']}-"


def _wait_gone(pid_file: str, timeout_s: float = 30.0) -> None:
    """Wait (a pidfd, no polling) for the process the file names to exit."""
    try:
        with open(pid_file) as f:
            fd = os.pidfd_open(int(f.read()))
    except (OSError, ValueError):
        return   # no file, or the process is gone
    try:
        select.select([fd], [], [], timeout_s)
    finally:
        os.close(fd)


def earlier_attempts(job: dict, where: str) -> tuple[int, dict | None]:
    """What earlier attempts of this Dask task on this host left (their worker was lost): how many there were,
    and the result of one whose soak had reached a verdict, or None; every such directory is removed."""
    if "key" not in job:
        return 0, None
    kept, found = None, 0
    for name in sorted(os.listdir(where)):
        if not name.startswith(work_prefix(job)):
            continue
        found += 1
        _wait_gone(os.path.join(where, name, "pid"))   # the soak got SIGTERM with its worker: let it end
        path = os.path.join(where, name, "run.json")
        if kept is None and os.path.isfile(path):
            with open(path) as f:
                text = f.read()
            verdict = report_verdict(text)
            if verdict in ("SUCCESS", "FAILURE"):
                kept = {**job, "exit_code": int(verdict == "FAILURE"), "verdict": verdict, "report": text,
                        "log": "the report of an attempt whose Dask worker was lost after the soak's verdict\n",
                        "cpus_used": [], "host": socket.gethostname()}
        shutil.rmtree(os.path.join(where, name), ignore_errors=True)
    return found, kept


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
    # job["workdir"] (the local runner's, inside the campaign directory): where --resume finds the report of a
    # soak that finished while the campaign was SIGKILLed; elsewhere (a Dask worker's host) the temp directory
    where = job.get("workdir") or tempfile.gettempdir()
    earlier, kept = earlier_attempts(job, where)
    if kept:
        return {**kept, "earlier_attempts": earlier - 1}
    with host_cpus(int(job["cpus"])) as cpus, tempfile.TemporaryDirectory(prefix=work_prefix(job), dir=where) as tmp:
        path = os.path.join(tmp, "run.json")
        log = os.path.join(tmp, "log")
        begin = datetime.datetime.now(datetime.timezone.utc)
        t0 = time.monotonic()
        with open(log, "w") as out:
            proc = subprocess.Popen(soak_command(list(job["args"]), cpus, path), stdout=out,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            with open(os.path.join(tmp, "pid"), "w") as f:   # for a rerun of this task, if this worker is lost
                f.write(str(proc.pid))
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
    verdict = run_verdict(code, report)
    return {**job, "exit_code": code, "verdict": verdict, "report": report, "log": text, "earlier_attempts": earlier,
            "started": begin.isoformat(timespec="milliseconds"), "seconds": seconds,
            "cpu_s": usage.ru_utime + usage.ru_stime, "cpus_used": cpus, "host": socket.gethostname()}

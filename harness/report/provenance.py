"""Where a run came from: the harness version and commit, the machine, the scheme file's content. A report
carries these so that a failure found elsewhere can be rerun on the same code and compared with the same
machine."""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        return platform.processor()


def harness_version() -> str:
    try:
        return importlib.metadata.version("cpuset-rcu-harness")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"


def harness_commit() -> str | None:
    """The checkout's commit (with '-dirty' for uncommitted changes), when the package runs from one."""
    here = Path(__file__).resolve().parent.parent
    try:
        rev = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=5)
        if rev.returncode:
            return None
        dirty = subprocess.run(["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return rev.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def machine() -> dict[str, object]:
    return {"cpu": cpu_model(), "cpus_online": os.cpu_count(), "cpus_allowed": sorted(os.sched_getaffinity(0)),
            "kernel": platform.release(), "python": platform.python_version(), "host": platform.node()}


def file_sha256(path: str | None) -> str | None:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else None


def provenance(scheme_file: str | None) -> dict[str, object]:
    return {"harness_version": harness_version(), "harness_commit": harness_commit(), "machine": machine(),
            "scheme_file_sha256": file_sha256(scheme_file)}

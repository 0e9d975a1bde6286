"""Reference ("anchor") measurements from bench/reference/refbench.c, for comparison with the harness.

refbench times the same read-side critical section as the harness's deref loop (load a shared pointer, read
the object's serial and mems_allowed as h_cpuset_read does, and check the pair) under the real mechanism each
scheme models (liburcu's qsbr, memb and mb flavors, an inc-not-zero refcount, a spinlock, a seqlock, bare
loads), with reader threads and an optional updater (one change every 10 us) pinned one per CPU. It is built here from the system's liburcu
(`apt-get install liburcu-dev`, or the distribution's equivalent). Run it in the same session as the harness
benchmark and compare ratios, not absolute numbers.

Typical use in a benchmark::

    try:
        binary = build_refbench(tmp_path)
    except AnchorsUnavailable as exc:
        pytest.skip(str(exc))
    row = run_reference(binary, REFERENCE_FOR["refcount"], readers=1, updater=False, duration_s=1.0)
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
from pathlib import Path

__all__ = [
    "AnchorsUnavailable",
    "REFERENCE_FOR",
    "build_refbench",
    "list_mechanisms",
    "run_reference",
]

# Harness scheme (or (scheme, flavor)) -> refbench mechanism name, as printed by `refbench -l`.
REFERENCE_FOR: dict[str | tuple[str, str], str] = {
    ("rcu-typesafe", "qsbr"): "qsbr",  # liburcu QSBR; quiescent state every qs_every (64) reads
    ("rcu-typesafe", "membarrier"): "memb",  # liburcu sys_membarrier flavor
    ("rcu-typesafe", "mb"): "mb",  # liburcu mfence flavor
    "refcount": "refcount",  # inc-not-zero get/put on type-stable memory
    "task-lock": "spinlock",  # pthread spinlock
    "seqcount": "seqlock",  # seqcount retry loop
    "unsynchronized": "plain",  # bare loads (unsafe with an updater: it reuses objects blind)
}

SOURCE = Path(__file__).resolve().parent / "reference" / "refbench.c"
LIBS = ["-lurcu-qsbr", "-lurcu-memb", "-lurcu-mb", "-lurcu-common"]
_BUILD_TIMEOUT_S = 120.0
_RUN_SLACK_S = 30.0  # start-up and joining on top of -d
_NO_URCU = re.compile(r"urcu\S*: No such file|cannot find -lurcu")  # compiler/linker messages
_EXIT_TORN = 4  # refbench: a safe mechanism read a torn or reclaimed object


class AnchorsUnavailable(Exception):
    """The reference cannot be built here; str(exc) is the reason, one line (for pytest.skip)."""


def build_refbench(workdir: Path) -> Path:
    """Compile bench/reference/refbench.c into ``workdir``; return the binary. Raises AnchorsUnavailable
    (never anything else) when a C compiler or liburcu is missing, or the build fails for another reason."""
    compiler = os.environ.get("CC", "cc")
    if shutil.which(compiler) is None:
        raise AnchorsUnavailable(f"C compiler {compiler!r} not found")
    binary = Path(workdir) / "refbench"
    cmd = [compiler, "-O2", "-pthread", "-o", str(binary), str(SOURCE), *LIBS]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=_BUILD_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError) as exc:
        raise AnchorsUnavailable(f"cannot build refbench: {exc}") from exc
    if proc.returncode != 0:
        if _NO_URCU.search(proc.stderr):
            raise AnchorsUnavailable("liburcu not found: apt-get install liburcu-dev (or the distribution's "
                                     "equivalent)")
        last = proc.stderr.strip().splitlines()[-1:] or ["no message"]
        raise AnchorsUnavailable(f"refbench build failed: {last[0]}")
    return binary


def list_mechanisms(binary: Path) -> list[str]:
    """Mechanisms this refbench supports."""
    out = subprocess.run([str(binary), "-l"], capture_output=True, text=True, check=True).stdout
    return out.split()


def _typed(value: str) -> int | float | str:
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def run_reference(binary: Path, mechanism: str, readers: int, updater: bool, duration_s: float,
                  qs_every: int = 64) -> dict[str, int | float | str | bool | None]:
    """Run one refbench configuration and return its CSV row with typed values.

    Keys are refbench's own column names (from its ``-H`` header: ``mech``, ``mode``, ``ns_per_read``,
    ``ns_per_read_best``, ``upd_ops_per_s``, ``upd_lat_p50_ns``, ``upd_lat_p99_ns``, ``errors``, ...) plus the
    aliases ``mechanism`` and ``best_window_ns_per_read``; ``updater`` is a bool, and the ``upd_*`` columns are
    None without an updater. ns_per_read is the whole-run reader time per critical section (mean over
    readers); best_window_ns_per_read the mean over readers of each one's lowest ns/read over any 2 ms window.
    ``qs_every`` only affects qsbr. Raises RuntimeError for any failure, including torn reads under a safe
    mechanism (refbench exit status 4).
    """
    cmd = [str(binary), "-H", "-m", mechanism, "-r", str(readers), "-d", str(duration_s), "-q", str(qs_every)]
    if updater:
        cmd.append("-u")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration_s + _RUN_SLACK_S)
    except (OSError, subprocess.SubprocessError) as exc:
        raise RuntimeError(f"{' '.join(cmd)}: {exc}") from exc
    if proc.returncode != 0:
        why = "read torn or reclaimed objects" if proc.returncode == _EXIT_TORN else f"exited {proc.returncode}"
        raise RuntimeError(f"{' '.join(cmd)} {why}: {(proc.stderr + proc.stdout).strip()[-800:]}")
    rows = list(csv.DictReader(proc.stdout.splitlines()))
    if len(rows) != 1:
        raise RuntimeError(f"{' '.join(cmd)}: expected a header and one CSV row, got {proc.stdout!r}")
    result: dict[str, int | float | str | bool | None] = {k: _typed(v) for k, v in rows[0].items()}
    result["updater"] = bool(result["updater"])
    if not updater:
        result.update({k: None for k in result if k.startswith("upd_")})
    result["mechanism"] = result["mech"]
    result["best_window_ns_per_read"] = result["ns_per_read_best"]
    return result

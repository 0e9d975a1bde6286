"""Reference ("anchor") measurements from shared/anchors/refbench, for comparison with the harness.

refbench times the same read-side critical section as the harness (load a shared pointer, read a
64-byte object's 6 fields, check them) under one synchronization mechanism, with readers and an
optional updater pinned one per CPU, as threads or as forked processes on a MAP_SHARED mapping.
Run it in the same session as the harness benchmark and compare ratios, not absolute numbers.

Typical use in a benchmark::

    try:
        binary = build_refbench(tmp_path)
        row = run_reference(binary, REFERENCE_FOR["refcount"], readers=1, updater=False,
                            duration_s=1.0)
    except AnchorsUnavailable as exc:
        pytest.skip(str(exc))

The liburcu mechanisms (qsbr, memb, mb) and ck_epoch have no process mode in refbench
(`refbench -l` marks process-capable mechanisms with "(proc)"); run them with processes=False.
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
    "unsynchronized": "plain",  # bare loads (unsafe with an updater: errors > 0)
}

_SOURCES = ("refbench.c", "Makefile")  # all that `make` needs; the results/ folder is not copied
_BUILD_TIMEOUT_S = 120.0
_RUN_SLACK_S = 30.0  # start-up, ping-pong probes and process reaping on top of -d
_NO_URCU = re.compile(r"urcu\S*: No such file|cannot find -lurcu")  # compiler/linker messages
_EXIT_UNAVAILABLE = 3  # refbench: "<mech> has no process mode" or "built without ck"


class AnchorsUnavailable(Exception):
    """The reference cannot be built or run here; str(exc) is the reason (for pytest.skip)."""


def _anchors_dir() -> Path:
    env = os.environ.get("HARNESS_ANCHORS_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "anchors"


def build_refbench(workdir: Path) -> Path:
    """Copy the anchors sources into ``workdir/anchors``, build them, return the refbench binary.

    The sources come from $HARNESS_ANCHORS_DIR if set, else ``shared/anchors`` beside the
    repository checkout. Raises AnchorsUnavailable (never anything else) when the folder, make, a
    C compiler or liburcu is missing, or the build fails for another reason.
    """
    src = _anchors_dir()
    missing = [name for name in _SOURCES if not (src / name).is_file()]
    if missing:
        raise AnchorsUnavailable(f"anchors folder {src} lacks {', '.join(missing)}")
    make = shutil.which("make")
    if make is None:
        raise AnchorsUnavailable("make not found")
    compiler = os.environ.get("CC", "cc")
    if shutil.which(compiler) is None:
        raise AnchorsUnavailable(f"C compiler {compiler!r} not found")
    dest = Path(workdir) / "anchors"
    try:
        dest.mkdir(parents=True, exist_ok=True)
        for name in _SOURCES:  # copyfile, not copy: the shared sources are read-only
            shutil.copyfile(src / name, dest / name)
        proc = subprocess.run([make, "-C", str(dest), "refbench"], capture_output=True,
                              text=True, timeout=_BUILD_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError) as exc:
        raise AnchorsUnavailable(f"cannot build refbench in {dest}: {exc}") from exc
    if proc.returncode != 0:
        hint = " (install liburcu-dev)" if _NO_URCU.search(proc.stderr) else ""
        raise AnchorsUnavailable(f"refbench build failed{hint}: {proc.stderr.strip()[-800:]}")
    return dest / "refbench"


def list_mechanisms(binary: Path) -> dict[str, bool]:
    """Mechanisms this refbench build supports, mapped to whether they have a process mode."""
    out = subprocess.run([str(binary), "-l"], capture_output=True, text=True, check=True).stdout
    return {line.split()[0]: line.endswith("(proc)") for line in out.splitlines() if line.strip()}


def _typed(value: str) -> int | float | str:
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def run_reference(binary: Path, mechanism: str, readers: int, updater: bool, duration_s: float,
                  processes: bool = True, qs_every: int = 64) -> dict[str, int | float | str | bool | None]:
    """Run one refbench configuration and return its CSV row with typed values.

    Keys are refbench's own column names (from its ``-H`` header, e.g. ``mode``, ``ns_per_read``,
    ``ns_per_read_best``, ``upd_ops_per_s``, ``upd_lat_p50_ns``, ``upd_lat_p99_ns``, ``errors``)
    plus the aliases ``mechanism`` and ``best_window_ns_per_read``; ``updater`` is a bool, and the
    ``upd_*`` columns are None without an updater. ns_per_read is the whole-run reader time per
    critical section (per reader); best_window_ns_per_read is the mean over readers of each one's
    lowest ns/read over any >= 2 ms window. ``qs_every`` only affects qsbr and hqsbr.

    Raises AnchorsUnavailable when refbench cannot run this configuration here (no process mode
    for the mechanism, or built without ck), RuntimeError for any other failure, including bad
    reads under a safe mechanism (refbench exit status 4).
    """
    cmd = [str(binary), "-H", "-m", mechanism, "-r", str(readers), "-d", str(duration_s),
           "-q", str(qs_every)]
    if updater:
        cmd.append("-u")
    if processes:
        cmd.append("-P")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              timeout=duration_s + _RUN_SLACK_S)
    except (OSError, subprocess.SubprocessError) as exc:
        raise RuntimeError(f"{' '.join(cmd)}: {exc}") from exc
    if proc.returncode == _EXIT_UNAVAILABLE:
        raise AnchorsUnavailable(f"{' '.join(cmd)}: {proc.stderr.strip()}")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: "
                           f"{(proc.stderr + proc.stdout).strip()[-800:]}")
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

"""Every file a command writes (a report, a trace, a plot, repro's and shrink's results) goes through `save`:
what a run found is never lost to an output path. A path that cannot be written (a full disk, /proc, a
directory removed mid-run) gets one line on stderr naming it and the file in the temp directory that holds
the content instead; the command's exit status stays its verdict's."""

from __future__ import annotations

import os
import sys
import tempfile


def _fallback(path: str, data: bytes) -> str:
    stem, ext = os.path.splitext(os.path.basename(path) or "output")
    fd, where = tempfile.mkstemp(prefix=f"harness-{stem}-", suffix=ext)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return where


def save(path: str, data: str | bytes, what: str) -> str:
    """Write `data` to `path`, or to a fallback file; returns the path that holds it ('' if none could)."""
    raw = data.encode() if isinstance(data, str) else data
    try:
        with open(path, "wb") as f:
            f.write(raw)
        return path
    except OSError as e:
        reason = e.strerror or str(e)
    try:
        where = _fallback(path, raw)
    except OSError as e:
        print(f"error: cannot write the {what} to {path} ({reason}), nor to the temp directory "
              f"{tempfile.gettempdir()} ({e.strerror}): it is lost", file=sys.stderr)
        return ""
    print(f"error: cannot write the {what} to {path} ({reason}); saved it to {where}", file=sys.stderr)
    return where


def output_dir(path: str, what: str) -> str:
    """`path` created if need be, or a fresh directory in the temp directory (said on stderr) if it cannot be."""
    try:
        os.makedirs(path, exist_ok=True)
        return path
    except OSError as e:
        where = tempfile.mkdtemp(prefix=f"harness-{what.replace(' ', '-')}-")
        print(f"error: cannot create the {what} directory {path} ({e.strerror}); writing them to {where}",
              file=sys.stderr)
        return where

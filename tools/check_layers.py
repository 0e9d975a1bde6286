"""The C engine's layer order, and a check of the real call graph against it.

Each source under csrc/ is compiled to an object with the project's flags (at -Og: below); `nm` gives what
each object defines and what it needs from the others. A call (or a reference) from one file to a file in a higher layer
fails, named. Calls made by a header's inline functions are compiled into the file that uses them, so they
count for that file. Same-layer references are allowed (a layer may be several files).

    python tools/check_layers.py [--csrc DIR]   exit 0: every reference goes down; 1: the upward ones, named;
                                                2: not the sources, or one does not compile
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from harness.build._build import COMPILE_ARGS, engine_include_dirs, engine_sources  # noqa: E402

# Lowest first; a file may reference only files of its own layer or of the layers before it.
LAYERS: list[tuple[str, list[str]]] = [
    ("base", ["engine/base.c"]),
    ("weak", ["weak/weak.c"]),
    ("arena", ["engine/arena.c"]),
    ("integrity", ["engine/integrity.c"]),
    ("claims", ["engine/claims.c"]),
    ("own_gp", ["engine/own_gp.c"]),
    ("rcu", ["engine/rcu.c"]),
    ("oracle", ["engine/oracle.c"]),
    ("fault", ["engine/fault.c"]),
    ("litmus", ["weak/litmus_shapes.c", "weak/weak_litmus.c", "weak/litmus.c"]),
    ("schemes", ["schemes/*.c"]),
    ("registry", ["engine/registry.c"]),
    ("worker", ["engine/worker.c"]),
]

DEFINED = set("TDBRCGSVW")   # nm's letters for a global definition (text, data, bss, read-only, common, weak)


def layer_of(root: Path) -> dict[Path, tuple[int, str]]:
    rank = {}
    for i, (name, patterns) in enumerate(LAYERS):
        for pattern in patterns:
            for src in root.glob(pattern):
                rank[src] = (i, name)
    return rank


def compile_objects(root: Path, sources: list[Path], out: Path) -> dict[Path, Path]:
    cc = os.environ.get("CC", "cc").split()
    # -Og: every call the source makes outside branches constant-folded away (H_ENGINE's), a superset of
    # the ones -O2 keeps (no inlining across files either way), and the reader loops compile far faster
    flags = [*(a for a in COMPILE_ARGS if not a.startswith("-O")), "-Og", "-fPIC",
             *(f"-I{d}" for d in engine_include_dirs(root))]
    objects = {src: out / f"{i:02d}-{src.stem}.o" for i, src in enumerate(sources)}
    procs = {src: subprocess.Popen([*cc, *flags, "-c", str(src), "-o", str(obj)], stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, errors="replace")
             for src, obj in objects.items()}
    outputs = {src: p.communicate()[0] for src, p in procs.items()}   # every compiler done before any exit
    for src, p in procs.items():
        if p.returncode:
            print(f"error: {src}: does not compile:\n{outputs[src].rstrip()}", file=sys.stderr)
            sys.exit(2)
    return objects


def symbols(obj: Path) -> tuple[set[str], set[str]]:
    defined, needed = set(), set()
    for line in subprocess.run(["nm", str(obj)], capture_output=True, text=True, check=True).stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            needed.add(parts[1])
        elif len(parts) == 3 and parts[1] in DEFINED:
            defined.add(parts[2])
    return defined, needed


def unlayered(root: Path) -> list[str]:
    """Sources the table does not place, one line each."""
    rank = layer_of(root)
    return [f"{s.relative_to(root)}: in no layer of tools/check_layers.py's LAYERS"
            for s in engine_sources(root) if s not in rank]


def upward_calls(root: Path, objects: dict[Path, Path]) -> tuple[list[str], int]:
    """The upward references between the objects (by source), one line each, and how many cross-file
    references were checked."""
    rank = layer_of(root)
    table = {src: symbols(obj) for src, obj in objects.items()}
    where = {sym: src for src, (defined, _) in table.items() for sym in defined}
    found, checked = defaultdict(list), 0
    for src, (_, needed) in table.items():
        for sym in sorted(needed):
            target = where.get(sym)
            if target is None or target == src:
                continue
            checked += 1
            if rank[target][0] > rank[src][0]:
                found[(src, target)].append(sym)
    lines = [f"{src.relative_to(root)} ({rank[src][1]}) calls up into {target.relative_to(root)} "
             f"({rank[target][1]}): {', '.join(syms)}" for (src, target), syms in sorted(found.items())]
    return lines, checked


def report(root: Path, objects: dict[Path, Path]) -> int:
    """Print the verdict on the compiled sources: 0 every reference goes down, 1 not (each named on stderr)."""
    upward, checked = upward_calls(root, objects)
    if upward:
        print("\n".join(upward), file=sys.stderr)
        return 1
    print(f"layers: {checked} cross-file references in {len(objects)} files, every one downward "
          f"({' < '.join(name for name, _ in LAYERS)})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csrc", type=Path, default=Path(__file__).resolve().parent.parent / "csrc",
                        help="the C sources (default: this checkout's csrc/)")
    root = parser.parse_args(argv).csrc.resolve()
    if not (root / "include" / "harness.h").is_file():
        print(f"error: {root}: not the harness's C sources (no include/harness.h)", file=sys.stderr)
        return 2
    missing = unlayered(root)
    if missing:
        print("\n".join(missing), file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="check-layers-") as tmp:
        return report(root, compile_objects(root, engine_sources(root), Path(tmp)))


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Fails when the Python package imports itself in a circle, naming each circle.

Every import statement counts: at module level, inside functions and under `if TYPE_CHECKING:` alike (a
circle that only type checkers follow is still two modules that each need the other to be read). An edge
goes to the module named: `from harness.soak import faults` is an edge to harness.soak.faults,
`from harness.soak.faults import Fault` one to harness.soak.faults; `from harness import _core`, a name the
package's __init__.py does not define, is a compiled extension (built or not) and no edge.

    python tools/check_imports.py [PACKAGE_DIR]      # default: harness/ of this checkout
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def top_level_names(init: Path) -> set[str]:
    """Names a package's __init__.py defines; with a module __getattr__ (PEP 562), every name the file spells
    as a string too (the lazy exports' table)."""
    tree = ast.parse(init.read_text(), str(init))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    if "__getattr__" in names:
        names.update(n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str))
    return names


def imports_of(path: Path, name: str, modules: dict[str, Path]) -> set[str]:
    """The package's own modules that `name` (the module in `path`) imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:   # relative: from the package, one level up per extra dot
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names
                       if f"{base}.{a.name}" in modules or defined_in(base, a.name, modules)]
        else:
            continue
        found.update(t for t in targets if t in modules and t != name)
    return found


def defined_in(package: str, name: str, modules: dict[str, Path]) -> bool:
    """True when `from package import name` takes a name of the package (not one of its modules)."""
    init = modules.get(package)
    if init is None or init.name != "__init__.py":
        return package in modules   # `from module import name`: an edge to that module
    return name in top_level_names(init)


def graph(root: Path) -> dict[str, set[str]]:
    paths = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    return {name: imports_of(path, name, paths) for name, path in paths.items()}


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One circle per strongly connected component of more than one module (Tarjan), as a path that ends
    where it starts."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return [cycle_through(sorted(c)[0], set(c), edges) for c in components]


def cycle_through(start: str, component: set[str], edges: dict[str, set[str]]) -> list[str]:
    """A shortest path from start back to start inside its component (breadth first)."""
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(edges[v] & component):
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [start, *reversed(path[:-1]), start] if len(path) > 1 else [start, v, start]
                if w not in came_from:
                    came_from[w] = v
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f"{start} is in a component without a cycle")


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent / "harness"
    if not (root / "__init__.py").is_file():
        print(f"check_imports: {root} is not a Python package", file=sys.stderr)
        return 2
    edges = graph(root)
    found = circles(edges)
    for c in found:
        print("import circle: " + " -> ".join(c), file=sys.stderr)
    if found:
        return 1
    print(f"no import circle among the {len(edges)} modules of {root.name}/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

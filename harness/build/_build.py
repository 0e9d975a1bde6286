"""Builds the C core with cffi: `harness._core` at install time, and a user's scheme file at run time."""

from __future__ import annotations

import re
from pathlib import Path

from cffi import FFI

# hidden: calls between the engine's own files go direct, not through the PLT (only PyInit_ is exported)
COMPILE_ARGS = ["-O2", "-std=gnu11", "-Wall", "-Wno-unused-function", "-fvisibility=hidden"]


# csrc/'s folders by layer: include/ is the scheme author's (a scheme file sees it alone), engine/ and weak/
# are the engine's, schemes/ the built-in schemes
SCHEME_INCLUDE = "include"
ENGINE_FOLDERS = ("engine", "weak", "schemes")


def csrc_dir() -> Path:
    """The C sources: inside the installed package, or csrc/ beside it in a source checkout."""
    here = Path(__file__).resolve().parent.parent   # the harness package
    for candidate in (here / "csrc", here.parent / "csrc"):
        if (candidate / SCHEME_INCLUDE / "harness.h").is_file():
            return candidate
    raise FileNotFoundError("harness C sources (csrc/include/harness.h) not found")


def engine_sources(root: Path) -> list[Path]:
    """Every engine and built-in scheme source, in a stable order."""
    return [src for folder in ENGINE_FOLDERS for src in sorted((root / folder).glob("*.c"))]


def headers(root: Path) -> list[Path]:
    """Every header the engine's and a scheme file's compiles may read, in a stable order."""
    return sorted(root.glob("*/**/*.h"))


def engine_include_dirs(root: Path) -> list[Path]:
    """-I for the engine's own files; a scheme file gets [root / SCHEME_INCLUDE] alone."""
    return [root / SCHEME_INCLUDE, root / "engine", root / "weak"]


def cdef_text(api_h: str) -> str:
    """api.h without its comments-free preprocessor lines cffi cannot parse (it keeps `#define NAME int`)."""
    keep = [line for line in api_h.splitlines() if not line.startswith("#") or re.match(r"#define \w+ -?\d+$", line)]
    return "\n".join(keep)


def make_ffi(module: str, root: Path, sources: list[Path], macros: list[tuple[str, str | None]],
             include_dirs: list[Path], objects: list[Path] = ()) -> FFI:  # type: ignore[assignment]
    """sources are compiled; objects (already compiled engine files) are linked in as they are. api.h is
    included by its path, so that include_dirs can be a scheme file's alone; cffi reads it after constants.h,
    the one file it includes."""
    api_h = root / "engine" / "api.h"
    ffi = FFI()
    ffi.cdef(cdef_text((root / SCHEME_INCLUDE / "constants.h").read_text() + "\n" + api_h.read_text()))
    ffi.set_source(
        module,
        f'#include "{api_h.resolve()}"',
        sources=[str(s) for s in sources],
        include_dirs=[str(d) for d in include_dirs],
        extra_compile_args=COMPILE_ARGS,
        define_macros=macros,
        extra_objects=[str(o) for o in objects],
    )
    return ffi


def builtin_ffi() -> FFI:
    """harness._core, for setup.py (cffi_modules calls it); a function, so that importing this module for a
    run-time build does not parse anything."""
    root = Path("csrc")   # setup.py runs from the project root; setuptools wants relative source paths
    return make_ffi("harness._core", root, engine_sources(root), [], engine_include_dirs(root))


if __name__ == "__main__":
    builtin_ffi().compile(verbose=True)

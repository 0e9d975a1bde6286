"""A user's scheme file: compiled with the engine at run time, cached by content hash, loaded as a Core whose
scheme 0 is the user's `harness_user_scheme`."""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from types import ModuleType

import cffi

from harness.build._build import (COMPILE_ARGS, SCHEME_INCLUDE, csrc_dir, engine_include_dirs, engine_sources,
                                  headers, make_ffi)
from harness.soak.parse import ConfigError
from harness.build.core import BUILTIN, Core

SYMBOL = "harness_user_scheme"
MACROS: list[tuple[str, str | None]] = [("HARNESS_USER_SCHEME", None)]   # the engine's objects and the user's file
# The user's file only: nested h_rcu_read_lock stays correct with checks off (harness.h); the built-in schemes,
# which never nest, are compiled without it.
SCHEME_MACROS = [*MACROS, ("H_RCU_NESTING", None)]
HOW_TO = (f'define it with HARNESS_SCHEME({SYMBOL}, my_read, .name = "my-scheme", .attach = ..., '
          f'.destroy = ...) (see harness.h)')

_loaded: dict[str, Core] = {}   # by content hash: one import per build per process


def cache_dir() -> Path:
    """$HARNESS_CACHE_DIR, else $XDG_CACHE_HOME/cpuset-rcu-harness, else ~/.cache/cpuset-rcu-harness."""
    if os.environ.get("HARNESS_CACHE_DIR"):
        return Path(os.environ["HARNESS_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cpuset-rcu-harness"


def load_scheme_file(path: str | os.PathLike[str]) -> Core:
    """Compile (or find in the cache) the engine with the scheme file at `path`. Raises ConfigError with the
    compiler's own messages, or naming what is missing."""
    user = Path(path)
    if not user.is_file():
        if not user.exists():
            raise ConfigError(f"{path}: no such scheme file")
        what = "a directory" if user.is_dir() else "a device or other special file"
        raise ConfigError(f"{path}: not a scheme file (a C source file): it is {what}")
    root = csrc_dir()
    digest = _digest(user, root)
    if digest in _loaded:
        return _loaded[digest]
    module = f"_harness_user_{digest[:16]}"
    out = cache_dir()
    built = out / f"{module}.so"
    if not built.is_file():
        try:
            out.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=out, prefix=".build-") as tmp:   # removed whatever happens
                _preflight(user, root, Path(tmp))
                ffi = make_ffi(module, root, [user.resolve()], SCHEME_MACROS, [root / SCHEME_INCLUDE],
                               _engine_objects(root, out))
                so = _compile_quietly(ffi, user, tmp)
                os.replace(so, built)   # atomic: a concurrent run sees no build or a whole one
        except OSError as e:
            raise ConfigError(f"build cache {out}: {e.strerror or e} (set HARNESS_CACHE_DIR to a writable "
                              "directory)") from None
    os.utime(built)   # most recently used: pruning keeps it
    prune_cache(out, keep_engine=_engine_dir_name(root))
    mod = _import(module, built)
    missing = mod.lib.h_scheme_missing(0)
    if missing != mod.ffi.NULL:
        raise ConfigError(f"{path}: {SYMBOL} does not set .{mod.ffi.string(missing).decode()}: {HOW_TO}")
    core = Core(mod, user=True)
    assert core.user is not None
    if sum(s.name == core.user.name for s in core.schemes) > 1:
        raise ConfigError(f"{path}: scheme name {core.user.name!r} is a built-in scheme's: choose another .name")
    _loaded[digest] = core
    return core


MAX_BUILDS = 32            # scheme-file builds kept in the cache, most recently used first
STALE_BUILD_S = 3600       # a .build-* directory this old belongs to a build that was killed


def _engine_dir_name(root: Path) -> str:
    h = hashlib.sha256()
    for f in [*engine_sources(root), *headers(root)]:
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    h.update(repr((COMPILE_ARGS, MACROS, _compiler())).encode())
    return f"engine-{h.hexdigest()[:16]}"


def cache_entries(out: Path) -> dict[str, list[Path]]:
    """What the cache holds: scheme builds, engine object sets, leftovers of killed builds."""
    if not out.is_dir():
        return {"builds": [], "engines": [], "leftovers": []}
    items = list(out.iterdir())
    return {"builds": sorted((p for p in items if p.name.startswith("_harness_user_") and p.suffix == ".so"),
                             key=lambda p: p.stat().st_mtime, reverse=True),
            "engines": [p for p in items if p.name.startswith("engine-") and p.is_dir()],
            "leftovers": [p for p in items if p.name.startswith(".build-")]}


def _remove(p: Path) -> None:
    if p.is_dir():
        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)


def prune_cache(out: Path, keep_engine: str | None = None) -> None:
    """Keep the cache bounded: the MAX_BUILDS most recently used builds, the current engine's objects, and no
    leftover of a build killed more than STALE_BUILD_S ago (a running build's directory is younger)."""
    e = cache_entries(out)
    old = [p for p in e["leftovers"] if time.time() - p.stat().st_mtime > STALE_BUILD_S]
    for p in e["builds"][MAX_BUILDS:] + [p for p in e["engines"] if keep_engine and p.name != keep_engine] + old:
        _remove(p)


def clear_cache(out: Path) -> int:
    entries = cache_entries(out)
    n = sum(len(v) for v in entries.values())
    for group in entries.values():
        for p in group:
            _remove(p)
    return n


def _engine_objects(root: Path, out: Path) -> list[Path]:
    """The engine's object files for scheme-file builds, compiled once per engine version (its own content
    hash) and shared by every scheme file: a new scheme file then compiles only itself."""
    where = out / _engine_dir_name(root)
    sources = engine_sources(root)
    objects = [where / f"{i:02d}-{src.stem}.o" for i, src in enumerate(sources)]
    if all(o.is_file() for o in objects):
        return objects
    with tempfile.TemporaryDirectory(dir=out, prefix=".build-") as tmp:
        cc = [*_compiler(), *COMPILE_ARGS, "-fPIC", *(f"-D{name}" for name, _ in MACROS),
              *(f"-I{d}" for d in engine_include_dirs(root))]
        procs = [subprocess.Popen([*cc, "-c", str(src), "-o", str(Path(tmp) / obj.name)], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, errors="replace")
                 for src, obj in zip(sources, objects)]
        failed = [(p, p.communicate()[0]) for p in procs]
        errors = [text for p, text in failed if p.returncode]
        if errors:
            raise ConfigError("the harness engine does not compile here:\n" + errors[0].rstrip())
        try:
            os.rename(tmp, where)   # atomic: a concurrent build sees all the objects or none
            os.mkdir(tmp)           # for TemporaryDirectory's clean-up
        except OSError:
            pass                    # another process got there first: its objects are the same
    return objects


def _digest(user: Path, root: Path) -> str:
    """Everything the build depends on: the user's file, every engine source and header, the compile
    arguments, the cffi version and the Python extension ABI."""
    h = hashlib.sha256()
    files = [user, *engine_sources(root), *headers(root)]
    parts = [f.read_bytes() for f in files] + [
        repr((COMPILE_ARGS, SCHEME_MACROS, cffi.__version__, sysconfig.get_config_var("EXT_SUFFIX"))).encode()]
    for part in parts:
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()


def _compiler() -> list[str]:
    return shlex.split(sysconfig.get_config_var("CC") or "cc")


def _preflight(user: Path, root: Path, tmp: Path) -> None:
    """The user's file alone, with the engine's flags, linked into a throwaway shared object that must define
    harness_user_scheme: the compiler's messages are about the user's lines only, and come in a second."""
    obj, so = tmp / "check.o", tmp / "check.so"
    cc = [*_compiler(), *COMPILE_ARGS, "-fPIC", *(f"-D{name}" for name, _ in SCHEME_MACROS),
          f"-I{root / SCHEME_INCLUDE}"]
    p = subprocess.run([*cc, "-c", str(user), "-o", str(obj)], capture_output=True, text=True, errors="replace")
    if p.returncode != 0:
        raise ConfigError(f"{user}: compile failed:\n{(p.stdout + p.stderr).rstrip()}")
    if p.stderr:
        sys.stderr.write(p.stderr)   # warnings: the build goes on, as a compiler's would
    p = subprocess.run([*_compiler(), "-shared", str(obj), "-o", str(so), f"-Wl,--require-defined={SYMBOL}"],
                       capture_output=True, text=True, errors="replace")
    if p.returncode != 0:
        if SYMBOL in p.stderr:
            raise ConfigError(f"{user}: does not define {SYMBOL}: {HOW_TO}")
        raise ConfigError(f"{user}: link failed:\n{(p.stdout + p.stderr).rstrip()}")


def _compile_quietly(ffi: cffi.FFI, user: Path, tmp: str) -> str:
    """ffi.compile with the compiler's output (it writes to our file descriptors) kept, shown only on failure."""
    with tempfile.TemporaryFile(mode="w+", errors="replace") as log:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            return ffi.compile(tmpdir=tmp)
        except cffi.VerificationError as e:
            failure = e
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
        log.seek(0)
        raise ConfigError(f"{user}: compile failed:\n{log.read().rstrip()}\n{failure}")


def _import(module: str, built: Path) -> ModuleType:
    loader = importlib.machinery.ExtensionFileLoader(module, str(built))
    spec = importlib.util.spec_from_file_location(module, built, loader=loader)
    assert spec is not None
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def core_for(scheme_file: str | None) -> Core:
    """The built-in core, or the build that adds a scheme file's scheme (compiled on first use, then cached)."""
    return load_scheme_file(scheme_file) if scheme_file else BUILTIN

"""The compiled C core and what it knows: schemes, flavors, workloads, the names of counters and oracles."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from harness import _core
from harness.soak import parse

SCHEME_BUSTED, SCHEME_RCU_READER, SCHEME_UNSAFE, SCHEME_REFCOUNT = 1, 2, 4, 8


@dataclass(frozen=True)
class SchemeInfo:
    index: int
    name: str
    summary: str
    flags: int
    expected: tuple[str, ...]   # busted: violation kinds it must trigger

    @property
    def busted(self) -> bool:
        return bool(self.flags & SCHEME_BUSTED)

    @property
    def unsafe(self) -> bool:
        return bool(self.flags & SCHEME_UNSAFE)

    @property
    def correct(self) -> bool:
        return not (self.busted or self.unsafe)

    @property
    def uses_rcu(self) -> bool:
        return bool(self.flags & SCHEME_RCU_READER)


class Core:
    """One loaded build of the engine: the built-in one, or one that also holds a user's scheme."""

    def __init__(self, module: ModuleType, user: bool = False) -> None:
        self.module = module
        self.ffi = module.ffi
        self.lib = module.lib
        s = self.ffi.string
        lib = self.lib
        self.schemes = [
            SchemeInfo(i, s(lib.h_scheme_name(i)).decode(), s(lib.h_scheme_summary(i)).decode(), lib.h_scheme_flags(i),
                       tuple(k for k in s(lib.h_scheme_expected(i)).decode().split(",") if k))
            for i in range(lib.h_scheme_count())
        ]
        self.violation_names = list(self.names("h_violation_name", "H_NVIOLATIONS"))
        self.counter_names = list(self.names("h_counter_name", "H_NCOUNTERS"))
        self.user = self.schemes[0] if user else None   # a scheme file's scheme comes first in the table
        check_agrees_with(self)

    def scheme(self, name: str) -> SchemeInfo | None:
        return next((sc for sc in self.schemes if sc.name == name), None)

    def name(self, name_of: str, index: int) -> str:
        """One entry of a C name table: name("h_phase_name", phase)."""
        return self.ffi.string(getattr(self.lib, name_of)(index)).decode()

    def names(self, name_of: str, count: str) -> tuple[str, ...]:
        """A C name table in index order: names("h_flavor_name", "H_NFLAVORS")."""
        return tuple(self.name(name_of, i) for i in range(getattr(self.lib, count)))

    def role_name(self, role: int) -> str:
        return self.name("h_role_name", role)

    def phase_name(self, phase: int) -> str:
        return self.name("h_phase_name", phase)

    def op_name(self, op: int) -> str:
        return self.name("h_op_name", op)

    def page_state_name(self, state: int) -> str:
        return self.name("h_page_state_name", state)

    def object_state_name(self, state: int) -> str:
        return self.name("h_object_state_name", state)

    def event_name(self, kind: int) -> str:
        return self.name("h_event_name", kind)

    def error_text(self, buf) -> str:  # type: ignore[no-untyped-def]
        return self.ffi.string(buf).decode(errors="replace")


class CoreMismatch(RuntimeError):
    """Python's copy of the C core's names or limits (harness/soak/parse.py) disagrees with the core's own: every
    run would hand C the wrong numbers, so the core does not load."""


def check_agrees_with(core: Core) -> None:
    """What Python parses options into (harness/soak/parse.py, loaded without C) against what this build of the
    C core reads, by name: each index, each limit. Raises CoreMismatch naming the first that differs."""
    lib = core.lib
    tables = (("FLAVORS", "h_flavor_name", "H_NFLAVORS"), ("WORKLOADS", "h_workload_name", "H_NWORKLOADS"),
              ("WRITER_OPS", "h_writer_op_name", "H_NWRITER_OPS"),
              ("MEMORY_MODELS", "h_memory_model_name", "H_NMEMORY_MODELS"))
    for python_name, name_of, count in tables:
        ours, theirs = getattr(parse, python_name), core.names(name_of, count)
        if ours != theirs:
            raise CoreMismatch(f"harness.soak.parse.{python_name} is {ours} but the C core's {name_of}() gives {theirs}")
    for python_name, c_name in (("MAX_WORKERS", "H_MAX_WORKERS"), ("MAX_NODES", "H_MAX_NODES")):
        ours = getattr(parse, python_name)
        if ours != getattr(lib, c_name):
            raise CoreMismatch(f"harness.soak.parse.{python_name} is {ours} but the C core's {c_name} is "
                               f"{getattr(lib, c_name)}")


BUILTIN = Core(_core)

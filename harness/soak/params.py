"""What a run's parameter is made of, as rcutorture's torture_param(type, name, default, help) is: each Config
field is declared with `param(default, help=..., parse=..., show=...)` (harness/soak/config.py), and everything
else is derived from that one declaration: the `soak` flag (--NAME with '_' as '-', its default in --help),
the pytest plugin's --harness-NAME option and ini key, the campaign key (NAME), the reproduce line, the JSON
report's config (NAME) and the docs table (`docs_table`). Like harness.soak.parse, it loads neither the C core
nor numpy.

A default that depends on the run is None in Config and given by the parameter's `mode` (torture runs, with
checks on, turn the race amplifiers on, as rcutorture does; the CPU count decides shuffling)."""

from __future__ import annotations

from dataclasses import MISSING, Field, dataclass, field, fields, replace
from typing import Any, Callable

from harness.soak.parse import WRITER_OPS, ConfigError, parse_duration, seconds

U32, U64, INT = 2**32 - 1, 2**64 - 1, 2**31 - 1


@dataclass(frozen=True)
class Limit:
    """The range of an integer, from the C type it lands in (struct h_params) or the engine's own limits."""
    lo: int
    hi: int
    text: str   # how the bounds read: "1 .. 256"

    def check(self, value: int, said: str) -> None:
        """`said` is how the user gave it (a flag and its text, or a Config field and its value)."""
        if not self.lo <= value <= self.hi:
            raise ConfigError(f"{said} is out of range: must be {self.text}")


def ns_bound(ns: int) -> str:
    return f"{ns / 1e9:.3g} s"


@dataclass(frozen=True)
class Param:
    """One knob. `name` and `default` are its Config field's; the rest is declared beside the field."""
    help: str
    parse: Callable[[str], Any]               # the flag's text -> the field's value
    show: Callable[[Any], str] = str          # the field's value -> the flag's text
    metavar: str | None = None
    always: bool = False                      # in every reproduce line (what a reader needs to see)
    repeat: bool = False                      # may be given many times (a list field)
    mode: Callable[[bool, int], Any] | None = None   # the default of a None field: (checks, CPUs) -> value
    limits: tuple[Limit, ...] = ()            # an int field: one; a pair (PER_MILLE, MAX): one per part
    unit: str = ""                            # what the JSON value counts, for the docs table
    name: str = ""
    default: Any = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def switch(self) -> bool:
        """A boolean: --flag / --no-flag."""
        return self.parse is parse_bool

    def text(self, value: Any) -> list[str]:
        """The command-line words that set this value."""
        if self.switch:
            return [self.flag if value else f"--no-{self.flag[2:]}"]
        if self.repeat:
            return [w for v in value for w in (self.flag, self.show(v))]
        return [self.flag, self.show(value)]

    def check(self, value: Any, said: str) -> None:
        """An integer (or each part of a pair) out of its range is refused, with how the user said it."""
        if not self.limits or value is None:
            return
        parts = value if isinstance(value, list) else [value]
        if len(parts) != len(self.limits):
            raise ConfigError(f"{said}: expected {len(self.limits)} numbers, not {len(parts)}")
        for limit, part in zip(self.limits, parts):
            limit.check(part, said)

    def default_text(self, ncpus: int = 2) -> str:
        """The default as --help and the docs say it: the flag's text, or what the mode gives."""
        if self.mode is not None:
            return f"{self.value_text(self.mode(True, ncpus))} with checks on, else {self.value_text(self.mode(False, ncpus))}"
        return "" if self.default is None or self.repeat else self.value_text(self.default)

    def value_text(self, value: Any) -> str:
        return ("on" if value else "off") if self.switch else self.show(value)

    def from_text(self, text: str) -> Any:
        """One flag's text -> the field's value, refused here, before anything runs, when out of range."""
        value = self.parse(text)
        self.check(value, f"{self.flag} {text}")
        return value


def param(default: Any, **declared: Any) -> Any:
    """A Config field and its parameter: `rcu: str = param("qsbr", help=..., parse=...)`."""
    meta = {"param": Param(**declared)}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


def field_default(f: Field) -> Any:
    return f.default_factory() if f.default_factory is not MISSING else f.default  # type: ignore[misc]


def params_of(cls: type) -> tuple[Param, ...]:
    """Every field's parameter, named and defaulted by its field, in the fields' order."""
    return tuple(replace(f.metadata["param"], name=f.name, default=field_default(f)) for f in fields(cls))


def docs_table(params: tuple[Param, ...]) -> str:
    """The parameter table for the docs (Markdown): one row per knob, the name every interface uses."""
    rows = ["| flag / key | default | unit | what |", "|---|---|---|---|"]
    for p in params:
        default = "none" if p.repeat else p.default_text() or "by the run (see what)"
        rows.append(f"| `{p.flag}` / `{p.name}` | {default} | {p.unit} | {p.help.replace('|', '/')} |")
    return "\n".join(rows)


def parse_int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ConfigError(f"not an integer: {text!r}") from None


def parse_ns(text: str) -> int:
    return round(parse_duration(text) * 1e9)


def ns_text(ns: int) -> str:
    """10000 -> '10us', 1500 -> '1500ns', 0 -> '0': exact, in the largest unit that divides it."""
    for unit, size in (("s", 10**9), ("ms", 10**6), ("us", 10**3)):
        if ns and ns % size == 0:
            return f"{ns // size}{unit}"
    return f"{ns}ns" if ns else "0"


def parse_ms(text: str) -> int:
    return round(parse_duration(text) * 1000)


def ms_text(ms: int) -> str:
    return ns_text(ms * 10**6)


def parse_bool(text: str) -> bool:
    t = text.strip().lower()
    if t in ("1", "true", "yes", "on"):
        return True
    if t in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"not a boolean: {text!r} (expected on/off, true/false, 1/0)")


def delay(flag: str, most_by_default: int) -> Callable[[str], list[int]]:
    """'20:50us' -> [20, 50000]; '5' -> [5, most_by_default]; '0' -> off."""
    def parse(text: str) -> list[int]:
        rate, sep, most = text.partition(":")
        try:
            per_mille = int(rate)
        except ValueError:
            raise ConfigError(f"malformed {flag} {text!r}: expected PER_MILLE[:MAX], e.g. 20:50us") from None
        return [per_mille, parse_ns(most) if sep else most_by_default]
    return parse


def delay_text(value: list[int]) -> str:
    return f"{value[0]}:{ns_text(value[1])}"


def parse_stutter(text: str) -> list[float]:
    if text.strip() == "0":
        return [0.0, 0.0]
    run, sep, pause = text.partition(":")
    if not sep:
        raise ConfigError(f"malformed --stutter {text!r}: expected RUN:PAUSE, e.g. 5s:500ms, or 0")
    return [parse_duration(run), parse_duration(pause)]


def stutter_text(value: list[float]) -> str:
    return f"{seconds(value[0])}:{seconds(value[1])}" if value[0] else "0"


def parse_writer_ops(text: str) -> list[str]:
    ops = [op.strip() for op in text.split(",")]
    unknown = [op for op in ops if op not in WRITER_OPS]
    if unknown or not text.strip():
        raise ConfigError(f"malformed --writer-ops {text!r}: expected a list of {', '.join(WRITER_OPS)}")
    return [op for op in WRITER_OPS if op in ops]


def choice(flag: str, known: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in known:
            raise ConfigError(f"unknown {flag} {text!r} (known: {', '.join(known)})")
        return text
    return parse

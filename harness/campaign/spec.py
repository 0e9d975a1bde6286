"""A campaign file (TOML) -> a list of scenarios, every one validated before anything runs.

    replicas = 3              # runs per scenario (default 1)
    budget = "8h"             # optional wall-clock budget; cpu_hours = 16 for a CPU-hour budget
    [matrix]                  # or several [[matrix]] tables: their scenarios are concatenated
    scheme = ["rcu-typesafe", "busted-gp"]
    rcu = ["qsbr", "mb"]      # a list is an axis of the matrix, a scalar a constant
    workload = "alloc"
    readers = 1               # default 1 (a campaign never lets the soak fill the machine)
    writers = 1
    duration = "2s"
    read_delay = "20:50us"    # any other `python -m harness soak` option, by its long name

Bad input raises ConfigError with one line (the command line exits 2)."""

from __future__ import annotations

import itertools
import math
import os
import re
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if sys.version_info >= (3, 11):
    import tomllib
else:   # pragma: no cover - Python 3.10
    import tomli as tomllib

from harness.soak.config import PARAMS, Config, config_from_texts
from harness.soak.params import Param
from harness.soak.parse import ConfigError, allowed_cpus, parse_duration

if TYPE_CHECKING:
    from harness.build.core import Core

TOP_KEYS = ("matrix", "replicas", "budget", "cpu_hours", "name")
OWNED = ("cpus", "seed")   # the campaign sets these itself
CAMPAIGN_DEFAULTS = {"readers": 1, "writers": 1}   # a campaign never lets the soak fill the machine
MAX_RUNS = 100_000   # planned in one invocation: each is an index row and a job in memory
ID_ORDER = ("scheme", "scheme_file", "rcu", "workload", "readers", "writers", "duration")


def soak_options() -> dict[str, Param]:
    """The soak's parameters by key, their Config field's name (memory_model for --memory-model), so a new
    Config parameter is a new campaign key with no change here."""
    return {p.name: p for p in PARAMS if p.name not in OWNED}


@dataclass(frozen=True)
class Scenario:
    """One cell of the matrix: the soak options it sets (dest -> value), in a stable order."""

    id: str
    settings: tuple[tuple[str, object], ...]

    @property
    def values(self) -> dict[str, object]:
        return dict(self.settings)

    @property
    def cpus(self) -> int:
        v = self.values
        return int(v["readers"]) + int(v["writers"])  # type: ignore[arg-type]

    @property
    def duration(self) -> float:
        duration = self.values.get("duration")
        return Config.duration if duration is None else parse_duration(str(duration))

    def soak_args(self) -> list[str]:
        """The `python -m harness soak` arguments, less --cpus/--json/--quiet (the runner adds them)."""
        opts = soak_options()
        args: list[str] = []
        for key, value in self.settings:
            param = opts[key]
            args += param.text(value) if param.switch else [param.flag, str(value)]
        return args


@dataclass
class Campaign:
    scenarios: list[Scenario]
    replicas: int = 1
    budget_s: float | None = None
    cpu_hours: float | None = None
    name: str = ""                     # names the default results directory (else the file's name)
    text: str = field(default="", repr=False)


def _axes(matrix: dict, where: str, opts: dict[str, Param]) -> list[tuple[str, list]]:
    if not isinstance(matrix, dict) or not matrix:
        raise ConfigError(f"{where} is empty: name at least a scheme, e.g. scheme = [\"rcu-typesafe\"]")
    axes = []
    for raw, value in matrix.items():
        key = raw.replace("-", "_")
        if key not in opts:
            owned = f" (the campaign sets --{key.replace('_', '-')} itself)" if key in OWNED else ""
            raise ConfigError(f"{where}: unknown key {raw!r}{owned}; known: " + ", ".join(sorted(opts)))
        values = value if isinstance(value, list) else [value]
        if not values:
            raise ConfigError(f"{where}: {raw} is an empty list, so the matrix is empty")
        for v in values:
            if not isinstance(v, (str, int, float, bool)):
                raise ConfigError(f"{where}: {raw} = {v!r}: expected a string, number or boolean")
        axes.append((key, values))
    return axes


def _check(values: dict, where: str, opts: dict[str, Param], cores: dict[str, Core], base: str) -> dict:
    """One scenario, validated by the same code as a soak's Config (each value through its parameter's
    parser, then every cross-field rule), so a bad cell is one line before anything runs."""
    v = {**CAMPAIGN_DEFAULTS, **values}
    if "scheme_file" in v:
        v["scheme_file"] = os.path.normpath(os.path.join(base, str(v["scheme_file"])))
        if not os.path.isfile(v["scheme_file"]):
            raise ConfigError(f"{where}: scheme_file {v['scheme_file']} does not exist")
    if "scheme" not in v and "scheme_file" not in v:
        raise ConfigError(f"{where}: no scheme: name scheme = [...] or scheme_file = [...]")
    for key, value in v.items():
        param = opts[key]
        if param.switch != isinstance(value, bool):
            raise ConfigError(f"{where}: {key} = {value!r}: expected " + ("true or false" if param.switch else
                                                                           f"a value for {param.flag}"))
    try:
        config = config_from_texts(v, name_errors=True)
        # the campaign places the workers itself: on one CPU here, so only the scenario's own rules apply
        config.cpus, config.oversubscribe = allowed_cpus()[:1], True
        scheme_file = str(v.get("scheme_file", ""))
        if scheme_file not in cores:
            cores[scheme_file] = _core(scheme_file or None)
        config.resolved(cores[scheme_file])
    except ConfigError as e:
        raise ConfigError(f"{where}: {e}") from None
    return v


def _core(scheme_file: str | None) -> Core:
    from harness.build.userscheme import core_for   # compiles a scheme file once (cached), loads the C core
    return core_for(scheme_file)


def scenario_id(values: dict) -> str:
    """A readable id, stable across campaigns (compare matches on it): the main axes in a fixed order, then
    any other option as key=value."""
    parts = []
    for key in ID_ORDER:
        if key in values and key != "writers":
            value = values[key]
            if key == "scheme_file":
                value = os.path.splitext(os.path.basename(str(value)))[0]
            elif key == "readers":
                value = f"{value}r{values['writers']}w"
            parts.append(str(value))
    parts += [f"{k}={values[k]}" for k in sorted(values)
              if k not in ID_ORDER and (k, values[k]) != ("memory_model", "native")]
    return re.sub(r"[^A-Za-z0-9_.=:+-]", "-", "_".join(parts))


def parse(text: str, base: str = ".", source: str = "campaign file") -> Campaign:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source}: not valid TOML: {e}") from None
    unknown = [k for k in data if k not in TOP_KEYS]
    if unknown:
        raise ConfigError(f"{source}: unknown key {unknown[0]!r} (known: {', '.join(TOP_KEYS)})")
    replicas = data.get("replicas", 1)
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 1:
        raise ConfigError(f"{source}: replicas = {replicas!r}: expected an integer >= 1")
    matrices = data.get("matrix")
    if matrices is None:
        raise ConfigError(f"{source}: no [matrix] table, so no scenario to run")
    matrices = matrices if isinstance(matrices, list) else [matrices]
    opts = soak_options()
    cores: dict[str, Core] = {}
    scenarios: dict[str, Scenario] = {}
    for i, matrix in enumerate(matrices):
        where = f"{source} [matrix]" if len(matrices) == 1 else f"{source} [[matrix]] #{i + 1}"
        axes = _axes(matrix, where, opts)
        cells = math.prod(len(values) for _, values in axes)
        if cells * replicas > MAX_RUNS:   # before the product is expanded
            raise ConfigError(f"{where}: {cells:,} scenarios x replicas = {replicas} is {cells * replicas:,} runs: "
                              f"at most {MAX_RUNS:,} in one invocation (the same file again with --out DIR adds "
                              "replicas)")
        for combo in itertools.product(*(values for _, values in axes)):
            values = _check(dict(zip((k for k, _ in axes), combo)), where, opts, cores, base)
            sid = scenario_id(values)
            scenarios.setdefault(sid, Scenario(sid, tuple((k, values[k]) for k in sorted(values))))
    if replicas * len(scenarios) > MAX_RUNS:
        raise ConfigError(f"{source}: {len(scenarios):,} scenarios x replicas = {replicas} is "
                          f"{len(scenarios) * replicas:,} runs: at most {MAX_RUNS:,} in one invocation (the same "
                          "file again with --out DIR adds replicas)")
    camp = Campaign(list(scenarios.values()), replicas, text=text, name=str(data.get("name", "")))
    shortest = min(scenarios.values(), key=lambda s: s.duration)
    if "budget" in data:
        camp.budget_s = parse_duration(str(data["budget"]))
        if camp.budget_s < shortest.duration:
            raise ConfigError(f"{source}: budget {data['budget']} cannot fit one scenario (the shortest, "
                              f"{shortest.id}, runs {shortest.duration:g} s)")
    if "cpu_hours" in data:
        hours = data["cpu_hours"]
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not hours > 0:
            raise ConfigError(f"{source}: cpu_hours = {hours!r}: expected a positive number")
        camp.cpu_hours = float(hours)
        least = min(s.duration * s.cpus for s in scenarios.values())
        if camp.cpu_hours * 3600 < least:
            raise ConfigError(f"{source}: cpu_hours = {data['cpu_hours']} cannot fit one scenario (the "
                              f"smallest needs {least:g} CPU-seconds)")
    return camp


def load(path: str) -> Campaign:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ConfigError(f"cannot read campaign file {path}: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"campaign file {path} is not UTF-8 text (byte {e.start}): a campaign file is TOML") from None
    return parse(text, os.path.dirname(os.path.abspath(path)), path)

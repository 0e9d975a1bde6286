"""Running a recorded run again: the Config a JSON report describes, and one trial of it that stops at its
first violation (what `repro` and `shrink` repeat)."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, fields

from harness.soak.config import Config
from harness.soak.parse import ConfigError
from harness.report.provenance import file_sha256
from harness.report.text import ReportError, load_runs


def recorded_config(path: str) -> tuple[dict, Config]:
    """The one report in `path` and the Config that reproduces it (its seed included). A scheme file that
    is gone, or whose content changed since the run, is an error: the rerun would test something else."""
    runs = load_runs(path)
    if len(runs) != 1:
        raise ReportError(f"{path} holds {len(runs)} runs: give the report of one run")
    report = runs[0]
    known = {f.name for f in fields(Config)}
    unknown = sorted(set(report["config"]) - known)
    if unknown:   # dropped, the rerun would run at a default the recorded run did not have
        raise ConfigError(f"{path}: its config names {', '.join(unknown)}, which this harness does not know (a "
                          "report of another version): a rerun would not be the recorded run")
    config = Config(**report["config"])
    if config.scheme_file:
        if not os.path.exists(config.scheme_file):
            raise ConfigError(f"{path}: its scheme file {config.scheme_file} is gone")
        recorded = report.get("scheme_file_sha256")
        if recorded and file_sha256(config.scheme_file) != recorded:
            raise ConfigError(f"{path}: {config.scheme_file} changed since the run (sha256 differs): "
                              "a rerun would test another scheme")
    return report, config


@dataclass
class Trial:
    failed: bool
    first_violation_s: float | None
    kind: str | None          # the first violation's kind (or why the run failed without one)
    seconds: float            # the run's length


def trial(config: Config) -> Trial | None:
    """One run of `config` that stops at its first violation; None when a signal stopped it before a verdict
    (neither a pass nor a failure)."""
    import harness
    rep = harness.run(dataclasses.replace(config, until_violation=True)).report
    if rep["verdict"] == "INTERRUPTED":
        return None
    first = rep["first_violation"]
    kind = first["kind"] if first else "hang" if rep["hangs"] else "worker crash" if rep["crashes"] else None
    return Trial(rep["verdict"] == "FAILURE", rep["first_violation_s"], kind, rep["run_time_s"])

"""`bisect-step CAMPAIGN_DIR_OR_RUN.json --confidence C` for `git bisect run`: rerun the known-bad scenario
(fresh seeds) until a run fails (exit 1: bad) or enough runs are clean that a commit still failing at the
known-bad rate would have failed with probability C (exit 0: good): n = ln(1-C) / ln(1-p), with p the
known-bad failure rate's 95% Wilson lower bound (a conservative p: more runs), never below --min-rate.
Exit 125 (skip) when the soak cannot run at this commit (exit 2: a scheme file that does not compile); 128 on
bisect-step's own bad input and 130 when a soak was stopped from outside (both abort `git bisect run`)."""

from __future__ import annotations

import os
import shlex

from harness.campaign.local import LocalRunner
from harness.campaign.stats import runs_for_good
from harness.triage.rates import wilson
from harness.campaign.store import Store
from harness.campaign.summary import group
from harness.soak.monitor import emit
from harness.soak.parse import ConfigError, parse_duration
from harness.report.text import load_runs

GOOD, BAD, SKIP = 0, 1, 125


def _from_campaign(directory: str, scenario: str | None) -> tuple[str, int, int, list[str]]:
    store = Store(directory, create=False)
    groups = group(store)
    failing = [s for s, rows in groups.items() if any(r["verdict"] == "FAILURE" for r in rows)]
    if scenario is None:
        if len(failing) != 1:
            names = ", ".join(failing[:3]) + (f", ... ({len(failing) - 3} more)" if len(failing) > 3 else "")
            raise ConfigError(f"{directory}: {len(failing)} scenarios failed; name one with --scenario "
                              f"({names or 'none failed: a known-bad campaign is needed'})")
        scenario = failing[0]
    if scenario not in groups:
        raise ConfigError(f"{directory}: no scenario {scenario!r} (known: {', '.join(groups)})")
    judged = [r for r in groups[scenario] if r["verdict"] in ("SUCCESS", "FAILURE")]
    args = store.planned_args(scenario)
    assert args is not None
    return scenario, sum(r["verdict"] == "FAILURE" for r in judged), len(judged), args


def _from_run(path: str) -> tuple[str, int, int, list[str]]:
    rep = load_runs(path)[0]
    words = shlex.split(rep["command"])[4:]   # less "python -m harness soak"
    args = []
    while words:
        flag = words.pop(0)
        if flag in ("--seed", "--cpus"):      # fresh seeds; CPUs from this machine's packing
            words.pop(0)
        else:
            args.append(flag)
    return os.path.basename(path), int(rep["verdict"] == "FAILURE"), 1, args


def _option(args: list[str], flag: str, default: str) -> str:
    return args[args.index(flag) + 1] if flag in args else default


def bisect_step(target: str, confidence: float, scenario: str | None = None, min_rate: float = 0.01) -> int:
    if not 0 < confidence < 1:
        raise ConfigError(f"--confidence must be between 0 and 1, not {confidence}")
    if not 0 < min_rate <= 1:
        raise ConfigError(f"--min-rate must be in (0, 1], not {min_rate}")
    name, k, n, args = _from_campaign(target, scenario) if os.path.isdir(target) else _from_run(target)
    if not k:
        raise ConfigError(f"{target}: {name} never failed ({n} runs): bisect-step needs a known-bad run or campaign")
    low = wilson(k, n)[0]
    p = max(low, min_rate)
    need = runs_for_good(confidence, p)
    emit(f"bisect-step: {name}: known-bad failure rate {k}/{n} (95% Wilson lower bound {low:.3g}, floor {min_rate})"
         f" -> p = {p:.3g}; good after {need} clean runs (confidence {confidence})")
    job = {"scenario": name, "args": args, "duration": parse_duration(_option(args, "--duration", "10s")),
           "cpus": int(_option(args, "--readers", "1")) + int(_option(args, "--writers", "1"))}
    outcome: list[dict] = []

    def on_result(res: dict) -> bool:
        outcome.append(res)
        emit(f"bisect-step: run {len(outcome)}/{need}: {res['verdict']}")
        if res["verdict"] == "ERROR":
            lines = [ln for ln in res["log"].splitlines() if ln.strip()]
            emit("\n".join(lines[:6] + (["..."] if len(lines) > 6 else [])))   # the error and its first lines
        return res["verdict"] != "SUCCESS"

    status = LocalRunner().run([{**job, "replica": i} for i in range(need)], on_result, lambda running: None, 1.0)
    if status == "interrupted":
        raise KeyboardInterrupt
    verdicts = [r["verdict"] for r in outcome]
    if "INTERRUPTED" in verdicts:   # stopped from outside: no verdict on this commit, and no "good" either
        emit("bisect-step: a soak was stopped from outside (exit 130/143): aborting the bisection")
        raise KeyboardInterrupt
    if "FAILURE" in verdicts:
        emit(f"bisect-step: bad: a failure on run {verdicts.index('FAILURE') + 1}")
        return BAD
    if "ERROR" in verdicts:
        emit(f"bisect-step: skip: the soak could not run here (exit {outcome[verdicts.index('ERROR')]['exit_code']})")
        return SKIP
    emit(f"bisect-step: good: {len(outcome)} clean runs; a commit failing at p >= {p:.3g} would have failed with "
         f"probability >= {confidence}")
    return GOOD

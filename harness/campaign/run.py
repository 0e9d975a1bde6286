"""`campaign run FILE [--out DIR] [--scheduler ADDR]` and `campaign run --resume DIR`: plan the runs (new
replicas after any the directory already holds, so results accumulate), run them locally or on Dask, save
each as it finishes, and print the summary. Ctrl-C / SIGTERM stop it keeping every finished run."""

from __future__ import annotations

import os
import signal
import sys
import time

from harness.campaign.budget import Budget
from harness.campaign.progress import Progress
from harness.campaign.spec import load, parse
from harness.campaign.store import Store
from harness.campaign.summary import summary_lines
from harness.monitor import emit
from harness.parse import ConfigError


def plan(file: str, out: str | None) -> tuple[Store, list[dict], Budget]:
    camp = load(file)
    label = camp.name or os.path.splitext(os.path.basename(file))[0]
    out = out or f"campaign-{label}-{time.strftime('%Y%m%d-%H%M%S')}"
    if os.path.exists(out) and not os.path.isdir(out):
        raise ConfigError(f"--out {out}: exists and is not a directory")
    store = Store(out)
    jobs = []
    for sc in camp.scenarios:
        first = store.next_replica(sc.id)
        jobs += [{"scenario": sc.id, "replica": r, "args": sc.soak_args(), "cpus": sc.cpus, "duration": sc.duration}
                 for r in range(first, first + camp.replicas)]
    store.plan(os.path.abspath(file), camp.text, jobs)
    return store, jobs, Budget(camp.budget_s, camp.cpu_hours)


def resume(directory: str) -> tuple[Store, list[dict], Budget]:
    store = Store(directory, create=False)
    row = store.db.execute("select source, text from campaigns order by rowid desc limit 1").fetchone()
    camp = parse(row["text"], os.path.dirname(row["source"]), row["source"])
    return store, store.pending(), Budget(camp.budget_s, camp.cpu_hours)


def _on_term(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run_campaign(file: str | None, out: str | None, resume_dir: str | None, scheduler: str | None) -> int:
    if bool(file) == bool(resume_dir):
        raise ConfigError("campaign run: give a campaign FILE, or --resume DIR (not both)")
    if not scheduler:
        from harness.campaign.local import LocalRunner
        return _run(file, out, resume_dir, None, LocalRunner)
    from harness.campaign.dask_runner import DaskRunner, connect
    client = connect(scheduler)   # before anything is planned or written
    try:
        return _run(file, out, resume_dir, scheduler, lambda budget: DaskRunner(client, budget))
    finally:
        client.close()


def _run(file: str | None, out: str | None, resume_dir: str | None, scheduler: str | None, make_runner) -> int:
    store, jobs, budget = resume(resume_dir) if resume_dir else plan(file, out)  # type: ignore[arg-type]
    runner = make_runner(budget)
    again = f"python -m harness campaign run --resume {store.dir}" + (f" --scheduler {scheduler}" if scheduler else "")
    emit(f"campaign {store.dir}: {len(jobs)} runs to go" + (f" on {scheduler}" if scheduler else
                                                              f" on {len(os.sched_getaffinity(0))} CPUs"))
    progress = Progress(len(jobs))
    verdicts: list[str] = []

    def on_result(res: dict) -> bool:
        row = store.save(res)
        verdicts.append(row["verdict"])
        if row["verdict"] == "FAILURE":
            progress.note(f"!!! FAILURE {row['scenario']} #{row['replica']} ({row['first_kind']}): {row['command']}")
        elif row["verdict"] == "ERROR":
            progress.note(f"error: {row['scenario']} #{row['replica']}: {row['error']}")
        progress.update(len(verdicts), verdicts.count("FAILURE"), max(0, progress.running - 1))
        return False

    old = signal.signal(signal.SIGTERM, _on_term)
    try:
        status = runner.run(jobs, on_result,
                            lambda running: progress.update(len(verdicts), verdicts.count("FAILURE"), running),
                            Progress.TICK_S)
    finally:
        signal.signal(signal.SIGTERM, old)
        progress.close()
    for line in summary_lines(store):
        emit(line)
    left = len(store.pending())
    if status == "interrupted":
        print(f"interrupted: {len(verdicts)} finished runs kept in {store.dir}, {left} left; resume with: {again}",
              file=sys.stderr)
        return 130
    if status == "budget":
        emit(f"budget reached: {left} runs left; continue with: {again}")
    if "FAILURE" in verdicts:
        return 1
    if "ERROR" in verdicts:
        print(f"error: {verdicts.count('ERROR')} runs could not run (see the error lines above)", file=sys.stderr)
        return 2
    return 0

"""`campaign run FILE [--out DIR] [--scheduler ADDR]` and `campaign run --resume DIR`: plan the runs (new
replicas after any the directory already holds, so results accumulate), run them locally or on Dask, save
each as it finishes, and print the summary. Ctrl-C / SIGTERM stop it keeping every finished run. Exit 0 all
clean, 1 a failure, 2 a run that could not run, 130 interrupted (the campaign, or a soak stopped from outside
it, which --resume runs again)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time

from harness.campaign.budget import Budget
from harness.campaign.progress import Progress
from harness.campaign.spec import load, parse
from harness.campaign.store import WORK, Store
from harness.campaign.summary import summary_lines
from harness.soak.monitor import emit
from harness.soak.parse import ConfigError, writable_dir


def plan(file: str, out: str | None, runner) -> tuple[Store, list[dict], Budget]:  # type: ignore[no-untyped-def]
    """The campaign's runs, after every check (the file, the results directory, what the runner can run) and
    only then written to the index: a refused campaign leaves nothing planned."""
    camp = load(file)
    label = camp.name or os.path.splitext(os.path.basename(file))[0]
    out = f"campaign-{label}-{time.strftime('%Y%m%d-%H%M%S')}" if out is None else out
    writable_dir(out, "--out")
    runner.check([{"scenario": sc.id, "cpus": sc.cpus} for sc in camp.scenarios])
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
    recovered = store.recover()
    if recovered:
        emit(f"campaign {directory}: {recovered} runs that finished as the campaign was killed recovered")
    again = store.db.execute("select count(*) from runs where verdict = 'INTERRUPTED'").fetchone()[0]
    if again:
        emit(f"campaign {directory}: {again} runs stopped from outside (INTERRUPTED) run again")
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
        return _run(file, out, resume_dir, scheduler, lambda: DaskRunner(client))
    finally:
        client.close()


def _run(file: str | None, out: str | None, resume_dir: str | None, scheduler: str | None, make_runner) -> int:
    runner = make_runner()
    store, jobs, runner.budget = resume(resume_dir) if resume_dir else plan(file, out, runner)  # type: ignore[arg-type]
    if not scheduler:
        work = store.work_dir()
        jobs = [{**job, "workdir": work} for job in jobs]
    again = f"python -m harness campaign run --resume {store.dir}" + (f" --scheduler {scheduler}" if scheduler else "")
    emit(f"campaign {store.dir}: {len(jobs)} runs to go" + (f" on {scheduler}" if scheduler else
                                                              f" on {len(os.sched_getaffinity(0))} CPUs"))
    progress = Progress(len(jobs))
    if scheduler:
        runner.note = progress.note
    verdicts: list[str] = []

    def on_result(res: dict) -> bool:
        row = store.save(res)
        verdicts.append(row["verdict"])
        if row["verdict"] == "FAILURE":
            progress.note(f"!!! FAILURE {row['scenario']} #{row['replica']} ({row['first_kind']}): {row['command']}")
        elif row["verdict"] == "ERROR":
            progress.note(f"error: {row['scenario']} #{row['replica']}: {row['error']}")
        elif row["verdict"] == "INTERRUPTED":
            progress.note(f"interrupted: {row['scenario']} #{row['replica']}: the soak was stopped from outside the "
                          f"campaign (exit {row['exit_code']}); not judged, --resume runs it again")
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
        if not scheduler:
            with contextlib.suppress(OSError):
                os.rmdir(os.path.join(store.dir, WORK))   # empty unless the campaign was killed
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
    if "INTERRUPTED" in verdicts:
        print(f"interrupted: {verdicts.count('INTERRUPTED')} runs were stopped from outside the campaign and not "
              f"judged; run them again with: {again}", file=sys.stderr)
        return 130
    return 0

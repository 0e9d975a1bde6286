"""A campaign directory: DIR/runs/<scenario>/<replica>.json (each run's full soak report, and .log its
output) and DIR/index.sqlite, one row per finished run and one per planned run, so a campaign resumes,
accumulates replicas across invocations, and answers ad-hoc questions:

    sqlite3 DIR/index.sqlite "select scenario, command from runs where verdict = 'FAILURE'"
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sqlite3
from typing import Iterable

from harness.soak.parse import ConfigError

WORK = ".running"   # the local runner's soaks in progress (Store.work_dir)

SCHEMA = """
create table if not exists planned (scenario text, replica integer, args text, cpus integer, duration real,
                                    primary key (scenario, replica));
create table if not exists runs (scenario text, replica integer, verdict text, violations integer,
    first_kind text, ns_per_op real, ops_per_s real, near_misses integer, run_time_s real, worst_stall_s real,
    gp_max_ns integer, seed integer, scheme text, rcu text, workload text, commit_ text, scheme_file_sha256 text,
    command text, host text, cpus text, started text, seconds real, cpu_s real, exit_code integer,
    attempts integer, error text, json_path text, primary key (scenario, replica));
create table if not exists campaigns (started text, source text, text text);
"""


def _mean(xs: Iterable[float | None]) -> float | None:
    vals = [x for x in xs if x is not None]
    return sum(vals) / len(vals) if vals else None


def row_from(result: dict, json_path: str | None) -> dict:
    """The index row for an execute() result (see execute.py): the report's numbers, or the error."""
    rep = json.loads(result["report"]) if result.get("report") else {}
    cfg = rep.get("config", {})
    stalls = [s["duration_s"] for s in rep.get("stalls", [])] + \
             [s.get("stalled_s", 0.0) for s in rep.get("progress_stalls", [])]
    first = rep.get("first_violation") or {}
    lines = [ln for ln in result.get("log", "").splitlines() if ln.strip()]
    return {
        "scenario": result["scenario"], "replica": result["replica"], "verdict": result["verdict"],
        "violations": rep.get("violations"), "first_kind": first.get("kind"),
        "ns_per_op": _mean(w.get("ns_per_op") for w in rep.get("workers", []) if w.get("role") == "reader"),
        "ops_per_s": rep.get("ops_per_s"), "near_misses": rep.get("near_misses"),
        "run_time_s": rep.get("run_time_s"), "worst_stall_s": max(stalls) if stalls else 0.0 if rep else None,
        "gp_max_ns": (rep.get("gp") or {}).get("max_ns"), "seed": cfg.get("seed"), "scheme": cfg.get("scheme"),
        "rcu": cfg.get("rcu"), "workload": cfg.get("workload"), "commit_": rep.get("harness_commit"),
        "scheme_file_sha256": rep.get("scheme_file_sha256"), "command": rep.get("command"),
        "host": result.get("host"), "cpus": ",".join(map(str, result.get("cpus_used", []))),
        "started": result.get("started"), "seconds": result.get("seconds"), "cpu_s": result.get("cpu_s"),
        "exit_code": result.get("exit_code"), "attempts": result.get("attempts", 1),
        "error": None if result["verdict"] != "ERROR" else (lines[-1] if lines else f"exit {result['exit_code']}"),
        "json_path": json_path,
    }


class StoreLost(RuntimeError):
    """The campaign directory cannot take a result any more (removed, replaced, unwritable mid-campaign)."""


class Store:
    def __init__(self, directory: str, create: bool = True):
        self.dir = directory
        self.index = os.path.join(directory, "index.sqlite")
        if not create and not os.path.isfile(self.index):
            raise ConfigError(f"{directory} is not a campaign directory (no index.sqlite)")
        try:
            os.makedirs(directory, exist_ok=True)
            self.db = sqlite3.connect(self.index)
            self.db.row_factory = sqlite3.Row
            self.db.executescript(SCHEMA)
            self.index_id = self._index_id()
        except (OSError, sqlite3.Error) as e:
            raise ConfigError(f"campaign directory {directory}: {getattr(e, 'strerror', None) or e}") from None

    def _index_id(self) -> tuple[int, int]:
        st = os.stat(self.index)
        return st.st_dev, st.st_ino

    def plan(self, source: str, text: str, jobs: list[dict]) -> None:
        with self.db:
            self.db.execute("insert into campaigns values (datetime('now'), ?, ?)", (source, text))
            self.db.executemany("insert into planned values (?, ?, ?, ?, ?)",
                                [(j["scenario"], j["replica"], json.dumps(j["args"]), j["cpus"], j["duration"])
                                 for j in jobs])

    def next_replica(self, scenario: str) -> int:
        row = self.db.execute("select max(replica) from planned where scenario = ?", (scenario,)).fetchone()
        return 0 if row[0] is None else row[0] + 1

    def pending(self) -> list[dict]:
        """Planned runs with no result, or one stopped from outside (INTERRUPTED: no verdict), in plan order."""
        rows = self.db.execute("select p.* from planned p left join runs r using (scenario, replica) "
                               "where r.scenario is null or r.verdict = 'INTERRUPTED' order by p.rowid").fetchall()
        return [{"scenario": r["scenario"], "replica": r["replica"], "args": json.loads(r["args"]),
                 "cpus": r["cpus"], "duration": r["duration"]} for r in rows]

    def planned_args(self, scenario: str) -> list[str] | None:
        row = self.db.execute("select args from planned where scenario = ? limit 1", (scenario,)).fetchone()
        return None if row is None else json.loads(row[0])

    def save(self, result: dict) -> dict:
        """Write a finished run's report, log and index row (at once, so an interrupt loses nothing). StoreLost
        if the directory this store opened is no longer there to take it (nothing is written elsewhere)."""
        try:
            same = self._index_id() == self.index_id
        except OSError:
            same = False
        if not same:
            raise StoreLost(f"campaign directory {self.dir} was removed or replaced while the campaign ran: no "
                            f"further result can be recorded, so the campaign stops here")
        try:
            return self._write(result)
        except (OSError, sqlite3.Error) as e:
            raise StoreLost(f"campaign directory {self.dir}: a result could not be recorded "
                            f"({getattr(e, 'strerror', None) or e}), so the campaign stops here") from None

    def _write(self, result: dict) -> dict:
        rel = None
        base = os.path.join(self.dir, "runs", result["scenario"])
        os.makedirs(base, exist_ok=True)
        if result.get("report"):
            rel = os.path.join("runs", result["scenario"], f"{result['replica']}.json")
            with open(os.path.join(self.dir, rel), "w") as f:
                f.write(result["report"])
        with open(os.path.join(base, f"{result['replica']}.log"), "w") as f:
            f.write(result.get("log", ""))
        row = row_from(result, rel)
        with self.db:
            self.db.execute(f"insert or replace into runs ({', '.join(row)}) values ({', '.join('?' * len(row))})",
                            [row[k] for k in row])
        return row

    def work_dir(self) -> str:
        """Where the local runner's soaks write their reports while they run (execute.py): inside the campaign,
        so a finished one survives a SIGKILLed campaign and `recover` takes it in."""
        path = os.path.join(self.dir, WORK)
        os.makedirs(path, exist_ok=True)
        return path

    def recover(self) -> int:
        """Record every report a soak finished (SUCCESS or FAILURE) in the work directory of a campaign that
        was killed before it could, and remove what is left there; returns how many were recovered."""
        from harness.report.report_schema import schema_error
        path = os.path.join(self.dir, WORK)
        if not os.path.isdir(path):
            return 0
        planned = {(r["scenario"], r["replica"]) for r in self.pending()}
        found = 0
        for name in sorted(os.listdir(path)):
            m = re.fullmatch(r"(.+)#(\d+)-\w+", name)
            report = os.path.join(path, name, "run.json")
            if m and (m.group(1), int(m.group(2))) in planned and os.path.isfile(report):
                try:
                    with open(report) as f:
                        text = f.read()
                    rep = json.loads(text)
                except (OSError, ValueError):
                    rep = None
                if isinstance(rep, dict) and not schema_error(rep) and rep["verdict"] in ("SUCCESS", "FAILURE"):
                    self.save({"scenario": m.group(1), "replica": int(m.group(2)), "verdict": rep["verdict"],
                               "exit_code": int(rep["verdict"] == "FAILURE"), "report": text, "attempts": 1,
                               "log": "recovered from the work directory of a campaign that was killed\n"})
                    found += 1
            shutil.rmtree(os.path.join(path, name), ignore_errors=True)
        with contextlib.suppress(OSError):
            os.rmdir(path)
        return found

    def runs(self) -> list[sqlite3.Row]:
        return self.db.execute("select * from runs order by started, scenario, replica").fetchall()

    def scenarios(self) -> list[str]:
        return [r[0] for r in self.db.execute("select scenario from planned group by scenario order by min(rowid)")]

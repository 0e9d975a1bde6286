"""Every text about a report, in one place: the verdict line, the first violation, the object's story, the
flight-recorder excerpt, incidents, the live status line, what the command line prints at a run's end, what
the pytest plugin shows on failure, and the full rendering of `python -m harness report RUN.json`; and
loading saved reports. Works on the report dict alone (the JSON contract): no numpy, no C core."""

from __future__ import annotations

import json

from harness.report.report_schema import SCHEMA_FILE, schema_error
from harness.report.story import object_story, read_as_serial

BAR = 40
MIB = 1 << 20


class ReportError(ValueError):
    """The file is missing, not JSON, or not a harness report: the command line prints it on one line."""


def load_runs(path: str) -> list[dict]:
    """The runs in a saved file: one report, a JSON list of reports, or an object {"runs": [...]}."""
    try:
        with open(path) as f:
            data = json.load(f)
    except OSError as e:
        raise ReportError(f"cannot read {path}: {e.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ReportError(f"{path} is not JSON: {e}") from None
    if isinstance(data, dict) and "runs" in data:
        data = data["runs"]
    runs = data if isinstance(data, list) else [data]
    if not runs:
        raise ReportError(f"{path} holds no runs")
    for i, r in enumerate(runs):
        error = schema_error(r)
        if error:
            where = f"run {i} of {path}" if len(runs) > 1 else path
            raise ReportError(f"{where} is not a harness report ({SCHEMA_FILE}): {error}")
    return runs


def title(r: dict) -> str:
    c = r["config"]
    return f"{c.get('scheme')} / {c.get('rcu')} / {c.get('workload')}{'' if c.get('checks', True) else ' (checks off)'}"


def run_label(r: dict) -> str:
    c = r["config"]
    return f"{title(r)}, readers={c.get('readers')} writers={c.get('writers')}"


def fmt_ns(ns: float | None) -> str:
    if ns is None:
        return "-"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g}{unit}"
    return f"{ns:.3g}ns"


def fmt_bytes(n: float | None) -> str:
    return "-" if n is None else f"{n / (1 << 20):.1f} MiB"


def log2_label(b: int) -> str:
    """Bucket b of a log2(ns) histogram holds [2^(b-1), 2^b) ns; bucket 0 holds 0."""
    return "0" if b == 0 else f"{fmt_ns(2 ** (b - 1))}-{fmt_ns(2 ** b)}"


def hist_bars(hist: list[int], label=log2_label) -> list[str]:
    """Text bars for the non-empty span of a histogram, scaled to its fullest bucket."""
    used = [i for i, n in enumerate(hist) if n]
    if not used:
        return ["  (empty)"]
    top = max(hist)
    rows = [(label(i), hist[i]) for i in range(used[0], used[-1] + 1)]
    width = max(len(lab) for lab, _ in rows)
    return [f"  {lab:>{width}} {'#' * (max(1, round(BAR * n / top)) if n else 0):<{BAR}} {n}" for lab, n in rows]


def _us(ns: float | None) -> str:   # no grace period ran: no latency to show
    return "-" if ns is None else f"{ns / 1e3:.1f}us"


def kinds_line(r: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in r["violations_by_kind"].items() if v) or "none"


TORTURE_RATE = "oracles on: not a speed figure; `harness bench` compares speed"


def torture(r: dict) -> bool:
    """A run with the oracles on: its rate is how fast it hunted races, not what the scheme costs."""
    return bool(r["config"].get("checks", True))


def verdict_line(r: dict) -> str:
    """The one line that ends a run: verdict and the counts that decide it."""
    gp = r["gp"]
    return (f"{r['verdict']}: violations={r['violations']} ({kinds_line(r)}) ops={r['ops']} "
            f"ops/s={r['ops_per_s']:,.0f}{' (torture throughput)' if torture(r) else ''} "
            f"near_misses={r['near_misses']} gp={gp['count']} gp_p50={_us(gp['p50_ns'])} gp_p99={_us(gp['p99_ns'])}"
            + (f"; {TORTURE_RATE}" if torture(r) else ""))


def worker_name(r: dict, worker: int) -> str:
    """'reader 0', 'writer 2', 'the reclaimer', 'the orchestrator'."""
    if worker == -1:
        return "the reclaimer"
    if worker == -2:
        return "the orchestrator"
    roles = {w.get("worker", i): w["role"] for i, w in enumerate(r.get("workers", []))}
    return f"{roles.get(worker, 'worker')} {worker}"


def _who(r: dict, e: dict) -> str:
    """Who recorded a flight-recorder event, and on which CPU (the reclaimer is not pinned: none)."""
    return worker_name(r, e["worker"]) + ("" if e["cpu"] is None else f" cpu {e['cpu']}")


_OP = {"free": "freeing a cpuset", "call_rcu": "in call_rcu", "callback": "running an RCU callback",
       "synchronize": "in synchronize_rcu"}
POISON_WORD = 0x6B6B6B6B   # H_POISON_WORD: what a read of freed memory finds


def doing(fv: dict) -> str:
    """The operation a violation was raised in: 'in destroy, running an RCU callback', 'in a read (begun at
    t=0.000215s)'."""
    if fv.get("read_began_s") is not None:
        return f"in a read (begun at t={fv['read_began_s']:.6f}s)"
    where, op = fv.get("where", "?"), fv.get("op")
    return f"in {where}" + (f", {_OP[op]}" if op in _OP and op != where else "")


def object_text(fv: dict) -> str:
    """What the violation's object was when it was raised: a cpuset and its life, or what else the address
    held; and the serial a reader read from it, where the record holds one."""
    obj, o = fv["object"], fv.get("object_is")
    if o is None:   # a report from before the record said
        return f"object {obj:#x} serial {fv['serial']}"
    if o.get("what") == "cpuset":
        life = ("free, never allocated since its page became a slab page" if o.get("serial") == 0 and
                o.get("state") == "free" else f"{o.get('state')} when checked")
        what = f"cpuset serial {o.get('serial')} ({life})"
    else:
        what = {"page": f"not a cpuset: page {o.get('page')} state {o.get('page_state')}",
                "task": f"not a cpuset: task {o.get('task')}'s fields (task->cpuset, its mems copy)",
                "engine": "not a cpuset: the engine's own memory",
                "outside": "address outside the arena",
                "none": "none"}.get(o.get("what"), f"not described ({o.get('what')!r})")
    if read_as_serial(fv):
        what += f", read as serial {fv['serial']}"
    if fv["kind"] in ("use-after-free", "foreign-memory") and fv["detail"] == POISON_WORD:
        what += f", where the read found poison {POISON_WORD:#x}"
    return f"object {obj:#x}: {what}"


def violation_line(r: dict) -> str | None:
    """The first violation in one readable line, the same everywhere (CLI, `report`, plugin): what, when,
    who, in which operation, on what; None: there was none."""
    fv = r.get("first_violation")
    if not fv:
        return None
    return (f"first violation: {fv['kind']} at t={fv['t_s']:.6f}s by {worker_name(r, fv['worker'])} on CPU "
            f"{fv['cpu']} {doing(fv)}; {object_text(fv)} (task {fv['task']}, detail {fv['detail']})")


_STORY = {"create": "allocated and initialised it as serial {a}",
          "attach": "attached serial {b} to task {a}",
          "destroy": "destroyed serial {a} (tasks moved off, handed to the scheme's destroy)",
          "call-rcu": "retired serial {a} with call_rcu (freed after a grace period)",
          "free": "freed serial {a} (back to the slab)",
          "read": "read serial {a} from it"}


def _story_event(r: dict, e: dict, kinds: list[str]) -> str:
    fv = r["first_violation"]
    if e["event"] == "violation":
        return f"!!! {kinds[e['a']] if e['a'] < len(kinds) else e['a']} {doing(fv)}"
    if e["event"] == "violating-read":
        return ("began the read that raised the violation below" +
                ("" if e["a"] is None else f" (it read serial {e['a']})"))
    return _STORY[e["event"]].format(**e)


def story_lines(r: dict) -> list[str]:
    """The object's story as text: one line per event, in one order on one clock (seconds since the run
    began, a read at the moment it began), what happened to the object and who did it."""
    first = r.get("first_violation")
    story = object_story(r)
    if not story:
        return []
    kinds = list(r["violations_by_kind"])
    out = [f"story of {object_text(first)}; what every worker's flight recorder saw happen to it, by time since the "
           "run began (a read's time is when it began)"]
    for e in story:
        out.append(f"  t={e['t_s']:.6f}s {_who(r, e)}: {_story_event(r, e, kinds)}"
                   + (f" (x{e['times']})" if e["times"] > 1 else ""))
    return out


def flight_excerpt(r: dict, n: int = 20) -> list[str]:
    """The last n flight-recorder events (every worker's, by time) up to the first violation."""
    first = r.get("first_violation")
    if not first:
        return []
    events = [e for e in r.get("flight_recorder", []) if e["t_s"] <= first["t_s"]]
    return [f"t={e['t_s']:.6f}s {_who(r, e)} {e['event']} a={e['a']} b={e['b']}" for e in events[-n:]]


def crash_line(c: dict) -> str:
    """How a report names a worker that crashed (`!!!` as rcutorture marks failures)."""
    return f"!!! crash: worker {c['worker']} (pid {c['pid']}) {c['how']}{' (injected)' if c['injected'] else ''}"


def event_line(t_s: float, what: str) -> str:
    return f"event: t={t_s:.2f}s {what}"


def incident_lines(r: dict, events_shown: int = 0) -> list[str]:
    """Everything that happened besides the counts: crashes, stalls, events (`!!!` marks a failure), less
    the first `events_shown` events (a live run printed them as they happened)."""
    return [*(f"!!! engine-corrupted: {what}" for what in r.get("engine_corrupted", [])),
            *(crash_line(c) for c in r["crashes"]),
            *(f"stall: worker {st['worker']} on CPU {st['cpu']} held up grace period {st['gp']} for "
              f"{st['duration_s'] * 1e3:.0f} ms at t={st['t_s']:.2f}s" for st in r["stalls"]),
            *(event_line(e["t_s"], e["what"]) for e in r["events"][events_shown:])]


def end_lines(r: dict, events_shown: int = 0) -> list[str]:
    """What the command line prints when a run ends: verdict, first violation and its object's story,
    incidents, and the reproducing command."""
    first = violation_line(r)
    return [verdict_line(r), *([first] if first else []), *story_lines(r), *incident_lines(r, events_shown),
            f"reproduce: {r['command']}"]


def failure_text(r: dict) -> str:
    """What a failing pytest test shows: enough to understand the race and to rerun it exactly."""
    first = violation_line(r)
    return "\n".join([f"harness: {verdict_line(r)}", *([first] if first else []), *story_lines(r),
                      "flight recorder (every worker, by time) up to the first violation:",
                      *(f"  {line}" for line in flight_excerpt(r)), *incident_lines(r),
                      f"reproduce: {r['command']}"])


def status_line(e: dict, checks: bool) -> str:
    """One plain status line of a live run (rcutorture's periodic line), from one series entry; with the
    oracles on (checks) its rate is labelled torture throughput."""
    rate = f"ops/s={e['ops_per_s']:,.0f}" + (" (torture throughput: not a speed figure)" if checks else "")
    return (f"t={e['t_s']:7.1f}s of {e['duration_s']:g}s ops={e['ops']} {rate} gp={e['gp_count']} "
            f"cb_pending={e['callbacks_pending']} slab_pages={e['slab_pages']} "
            f"pages_used={e['pages_total'] - e['pages_free']}/{e['pages_total']} violations={e['violations']} "
            f"near_misses={e['near_misses']} gp_max={e['gp_max_ns'] / 1e6:.2f}ms stalls={e['stalls']} "
            f"rss={(e['rss_orchestrator_bytes'] + e['rss_workers_bytes']) / MIB:.1f}MiB")


def render(r: dict) -> str:
    c = r["config"]
    out = [f"== {run_label(r)}: {r['verdict']} ({r.get('status', 'completed')}) ==",
           f"command: {r['command']}",
           "config:  " + " ".join(f"{k}={v}" for k, v in c.items() if v is not None)]
    out.append(f"totals:  reader ops={r['ops']:,} ops/s={r['ops_per_s']:,.0f} run_time={r.get('run_time_s', 0):.2f}s "
               f"near_misses={r.get('near_misses', 0):,} retries={r.get('retries', 0):,} "
               f"writer_ops={r.get('writer_ops', 0):,}")
    out.append(f"violations: {r['violations']} ({kinds_line(r)})")
    first = violation_line(r)
    if first:
        out.append(first)
        out.extend(story_lines(r))
        out.append(f"flight recorder: {len(r.get('flight_recorder', []))} events (in the JSON)")
    outside = r.get("violations_outside_workers")
    if outside:
        out.append("raised outside any worker (reclaimer, orchestrator): "
                   + ", ".join(f"{k}={v}" for k, v in outside.items()))
    for h in r.get("hangs", []):
        out.append(f"!!! hang: {h['role']} {h['worker']} (CPU {h['cpu']}) in {h['phase']}"
                   f"{', inside a read-side critical section' if h['in_read_section'] else ''}"
                   f"{', waits on ' + h['waits_on'] if h.get('waits_on') else ''}: killed")
    for st in r.get("progress_stalls", []):
        out.append(f"progress stall at t={st['t_s']:.2f}s: worker {st['worker']} ({st['role']}, CPU {st['cpu']}) in "
                   f"{st['phase']}, no progress for {st['stalled_s']:.2f} s")
    gp = r["gp"]
    out.append(f"grace periods: {gp['count']:,} p50={fmt_ns(gp.get('p50_ns'))} p90={fmt_ns(gp.get('p90_ns'))} "
               f"p99={fmt_ns(gp.get('p99_ns'))} max={fmt_ns(gp.get('max_ns'))}")
    if "callbacks" in gp:
        cb = gp.get("callback_latency", {})
        out.append(f"callbacks: {gp['callbacks']:,} run, {gp.get('callbacks_pending', 0)} pending, "
                   f"call_rcu->callback p50={fmt_ns(cb.get('p50_ns'))} p99={fmt_ns(cb.get('p99_ns'))}")
    a = r.get("arena")
    if a:
        out.append(f"arena: {fmt_bytes(a['bytes'])}, pages used {a['pages_total'] - a['pages_free']}/{a['pages_total']}"
                   f", slab pages {a['slab_pages']} ({a['slab_pages_rcu_pending']} waiting for a grace period), "
                   f"slab objects {a['slab_objects']}, cpusets {a['number_of_cpusets']}")
    rss = r.get("rss")
    if rss:
        out.append(f"rss: orchestrator {fmt_bytes(rss['orchestrator_bytes'])}, workers {fmt_bytes(rss['workers_bytes'])}"
                   f", largest total {fmt_bytes(rss['max_total_bytes'])}")
    out += ["", "workers:", f"  {'#':>3} {'role':6} {'pid':>8} {'cpu':>4} {'cpus_seen':10} {'ops':>13} {'ns/op':>8} "
            f"{'near_miss':>10} {'viol':>5} alive"]
    for w in r["workers"]:
        nspo = w.get("ns_per_op")
        out.append(f"  {w.get('worker', '?'):>3} {w['role']:6} {w['pid']:>8} {w['cpu']:>4} "
                   f"{','.join(map(str, w['cpus_seen'])):10} {w['ops']:>13,} {'-' if nspo is None else f'{nspo:.1f}':>8} "
                   f"{w.get('near_misses', 0):>10,} {w.get('violations', 0):>5} {'yes' if w.get('alive', True) else 'NO'}")
    out += ["", "stalls:"] + ([f"  t={s['t_s']:.3f}s worker={s['worker']} cpu={s['cpu']} held gp {s['gp']} for "
                               f"{s['duration_s']:.3f}s" for s in r.get("stalls", [])] or ["  none"])
    out += ["events:"] + ([f"  t={e['t_s']:.3f}s {e['what']}" for e in r.get("events", [])] or ["  none"])
    out += [crash_line(c) for c in r.get("crashes", [])]
    st = r.get("membarrier_selftest")
    if st:
        out.append(f"membarrier self-test: {st['forbidden_with_membarrier']} of {st['trials']} trials forbidden "
                   f"with membarrier(), {st['forbidden_with_compiler_barrier_only']} with a compiler barrier only")
    series = r.get("series") or []
    if series:
        rates = [e["ops_per_s"] for e in series]
        out.append(f"series: {len(series)} samples, t={series[0]['t_s']:.1f}..{series[-1]['t_s']:.1f}s, reader ops/s "
                   f"min={min(rates):,.0f} max={max(rates):,.0f}")
    lat = r.get("op_latency")
    if lat:
        out += ["", f"op latency (readers, sampled): p50={fmt_ns(lat['p50_ns'])} p99={fmt_ns(lat['p99_ns'])}"]
        out += hist_bars(lat["hist"])
    if "hist" in gp:
        out += ["", "grace-period latency:"] + hist_bars(gp["hist"])
    if "pipe_hist" in r:
        out += ["", "pipe count (grace periods since an object seen was retired; only 0 and 1 are legal):"]
        last = len(r["pipe_hist"]) - 1   # the last bucket also counts everything older
        out += hist_bars(r["pipe_hist"], lambda b: f"{b}+" if b == last else str(b))
    return "\n".join(out)


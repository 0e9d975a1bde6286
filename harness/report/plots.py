"""PNG plots of saved reports (`python -m harness report RUN.json --plot DIR`). Needs matplotlib, the `plot`
extra; drawn with the Agg backend, so no display is needed."""

from __future__ import annotations

import io
import os
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import EngFormatter, FuncFormatter  # noqa: E402

from harness.report.output import output_dir, save  # noqa: E402
from harness.report.text import fmt_ns, run_label, title  # noqa: E402

LEGEND_MAX = 16   # workers named in a legend; beyond that the lines speak for themselves


def _save(fig: plt.Figure, path: str) -> str:
    fig.tight_layout()
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=110)
    plt.close(fig)
    return save(path, png.getvalue(), "plot")


def no_samples(ax: plt.Axes) -> None:
    """What an empty plot shows instead of bare axes."""
    ax.text(0.5, 0.5, "no samples", ha="center", va="center", transform=ax.transAxes, fontsize="large")


def mark_first_violation(ax: plt.Axes, r: dict) -> None:
    """A time-series plot's mark of the first violation: a labelled vertical line at its time."""
    first = r.get("first_violation")
    if first:
        ax.axvline(first["t_s"], color="tab:red", linestyle=":", linewidth=1.5,
                   label=f"first violation: {first['kind']} at {first['t_s']:.6g}s")
        ax.annotate(f"first violation ({first['kind']})", (first["t_s"], 1), xycoords=("data", "axes fraction"),
                    xytext=(3, -12), textcoords="offset points", color="tab:red", fontsize="small")


def throughput_figure(r: dict) -> plt.Figure:
    """Ops per second of each worker over the run, from the report's series, with the readers' total."""
    series = r.get("series") or []
    t = [e["t_s"] for e in series]
    fig, ax = plt.subplots(figsize=(9, 5))
    writers = any(w["role"] == "writer" for w in r["workers"])
    ax.set(title=f"Throughput per worker: {run_label(r)} ({r['verdict']})", xlabel="time since start (s)",
           ylabel="ops/s" + (" (writers: writer steps/s)" if writers else ""))
    if not series:
        no_samples(ax)
        return fig
    for w, info in enumerate(r["workers"]):
        ax.plot(t, [e["worker_ops_per_s"][w] for e in series], marker=".", linewidth=1,
                linestyle="-" if info["role"] == "reader" else "--",
                label=f"worker {w} ({info['role']}, cpu {_cpus(info)})")
    if sum(w["role"] == "reader" for w in r["workers"]) > 1:
        ax.plot(t, [e["ops_per_s"] for e in series], color="black", linewidth=2, label="all readers")
    mark_first_violation(ax, r)
    ax.yaxis.set_major_formatter(EngFormatter())
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    if len(r["workers"]) <= LEGEND_MAX:
        ax.legend(fontsize="small", loc="lower right")
    return fig


def log2_hist_figure(hist: list[int], what: str, r: dict, marks: dict[str, float | None]) -> plt.Figure:
    """A log2(ns) histogram on log-log axes: bucket b spans [2^(b-1), 2^b) ns."""
    used = [b for b, n in enumerate(hist) if n and b]
    fig, ax = plt.subplots(figsize=(9, 5))
    if used:
        lo, hi = used[0], used[-1]
        ax.bar([2.0 ** (b - 1) for b in range(lo, hi + 1)], hist[lo:hi + 1],
               width=[2.0 ** (b - 1) for b in range(lo, hi + 1)], align="edge", edgecolor="black", linewidth=0.5)
        for (name, ns), color in zip(marks.items(), ("tab:orange", "tab:red", "tab:purple")):
            if ns:
                ax.axvline(ns, color=color, linestyle="--", label=f"{name} = {fmt_ns(ns)}")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: fmt_ns(x)))
        ax.legend()
    else:
        no_samples(ax)
    ax.set(title=f"{what}\n{run_label(r)}", xlabel="latency (log2 buckets)", ylabel="count (log scale)")
    ax.grid(alpha=0.3, which="major")
    return fig


def pipe_count_figure(r: dict) -> plt.Figure:
    """rcutorture's pipe count: how many grace periods ago each object seen had been retired."""
    hist = r["pipe_hist"]
    fig, ax = plt.subplots(figsize=(9, 5))
    ax.set(title=f"Pipe count (red buckets are violations)\n{run_label(r)}",
           xlabel="grace periods since the object read was retired", ylabel="reads (log scale)")
    if not any(hist):
        no_samples(ax)
        return fig
    colors = ["tab:green" if b < 2 else "tab:red" for b in range(len(hist))]
    ax.bar(range(len(hist)), [n or 0 for n in hist], color=colors, edgecolor="black", linewidth=0.5)
    ax.set_xticks(range(len(hist)), [str(b) if b < len(hist) - 1 else f"{b}+" for b in range(len(hist))])
    ax.set_yscale("log")
    for b, n in enumerate(hist):
        if n:
            ax.annotate(f"{n:,}", (b, n), ha="center", va="bottom", fontsize="small")
    return fig


def scaling_figure(runs: list[dict]) -> plt.Figure:
    """Total reader ops/s against the number of readers, one line per scheme / flavor / workload / writers."""
    lines: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for r in runs:
        lines[f"{title(r)}, writers={r['config']['writers']}"].append((r["config"]["readers"], r["ops_per_s"]))
    fig, ax = plt.subplots(figsize=(9, 5))
    for name, pts in sorted(lines.items()):
        pts.sort()
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=name)
    ax.set(title="Scaling: reader throughput against readers", xlabel="readers (one per CPU)",
           ylabel="total reader ops/s")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.yaxis.set_major_formatter(EngFormatter())
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return fig


def write_plots(runs: list[dict], outdir: str) -> list[str]:
    """Every plot the runs allow, as PNGs in outdir; returns the paths written. With several runs each
    run's files get a `runN-` prefix and a scaling plot is added."""
    outdir = output_dir(outdir, "plot")
    written = []
    for i, r in enumerate(runs):
        prefix = os.path.join(outdir, f"run{i}-" if len(runs) > 1 else "")
        written.append(_save(throughput_figure(r), prefix + "throughput.png"))
        lat = r.get("op_latency")
        if lat:
            written.append(_save(log2_hist_figure(lat["hist"], "Op latency (readers, one op in 1024 timed)", r,
                                                  {"p50": lat["p50_ns"], "p99": lat["p99_ns"]}),
                                 prefix + "op_latency.png"))
        gp = r["gp"]
        if "hist" in gp:
            written.append(_save(log2_hist_figure(gp["hist"], "Grace-period latency (synchronize_rcu)", r,
                                                  {"p50": gp.get("p50_ns"), "p99": gp.get("p99_ns"),
                                                   "max": gp.get("max_ns")}), prefix + "gp_latency.png"))
        if "pipe_hist" in r:
            written.append(_save(pipe_count_figure(r), prefix + "pipe_count.png"))
    if len(runs) > 1:
        written.append(_save(scaling_figure(runs), os.path.join(outdir, "scaling.png")))
    return [path for path in written if path]


def _cpus(worker: dict) -> str:
    """Where a worker ran: its one CPU, or every CPU a shuffle gave it."""
    return ",".join(str(c) for c in sorted(set(worker.get("cpus_assigned") or [worker["cpu"]])))

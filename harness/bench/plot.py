"""PNG plots of a bench: bars of each scheme's median ns/op with its 95% interval; for --scaling, total
reader ops/s and ns/op against readers. matplotlib is the plot extra: the command checks for it first."""

from __future__ import annotations

import os

from harness.report.output import output_dir


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def comparison(report: dict, title: str, where: str) -> str:
    plt = _pyplot()
    names = list(report["medians"])
    med = [report["medians"][k]["median_ns_per_op"] for k in names]
    err = [[m - report["medians"][k]["ci_low"] for k, m in zip(names, med)],
           [report["medians"][k]["ci_high"] - m for k, m in zip(names, med)]]
    fig, ax = plt.subplots(figsize=(1.8 + 1.4 * len(names), 4))
    ax.bar(names, med, yerr=err, capsize=6, color="#4c72b0")
    ax.set_ylabel("median ns/op (95% CI)")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    path = os.path.join(output_dir(where, "plot"), "bench.png")
    fig.savefig(path)
    plt.close(fig)
    return path


def scaling(rows: list[dict], title: str, where: str) -> str:
    plt = _pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 6), sharex=True)
    for scheme in dict.fromkeys(r["scheme"] for r in rows):
        for writers, style in ((0, "-o"), (1, "--s")):
            pts = [r for r in rows if r["scheme"] == scheme and r["writers"] == writers]
            if pts:
                label = scheme + (" + writer" if writers else "")
                top.plot([r["readers"] for r in pts], [r["ops_per_s"] / 1e6 for r in pts], style, label=label)
                bottom.plot([r["readers"] for r in pts], [r["ns_per_op"] for r in pts], style, label=label)
    top.set_ylabel("total reader Mops/s")
    bottom.set_ylabel("ns/op")
    bottom.set_xlabel("readers")
    top.set_title(title, fontsize=9)
    top.legend(fontsize=7)
    fig.tight_layout()
    path = os.path.join(output_dir(where, "plot"), "scaling.png")
    fig.savefig(path)
    plt.close(fig)
    return path

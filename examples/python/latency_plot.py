#!/usr/bin/python3
"""Plots the latency distribution of the tasks of a trace with matplotlib, from every sample.

    examples/python/latency_plot.py TRACE OUT.png [--metric latency] [--top 5] [--slo 500us]

The tasks with the largest worst value are drawn, one histogram each on logarithmic bins, with the
SLO bound as a vertical line when one is given. Runs headless (the Agg backend).
"""

import argparse
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import rtlat  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("trace")
    p.add_argument("out")
    p.add_argument("--metric", default="latency", choices=rtlat.metric_names)
    p.add_argument("--top", type=int, default=5, help="tasks drawn (largest worst value first)")
    p.add_argument("--slo", help="bound drawn as a line, e.g. 500us")
    a = p.parse_args()

    config = {"slo": {a.metric: a.slo}} if a.slo else {}
    try:
        r = rtlat.analyze(a.trace, keep_samples=True, **config)
    except rtlat.InputError as e:
        print(f"latency_plot: {e}", file=sys.stderr)
        return 2
    tasks = sorted((t for t in r.tasks if t[a.metric].count), key=lambda t: -t[a.metric].max_ns)
    if not tasks:
        print(f"latency_plot: {a.trace}: no {a.metric} samples", file=sys.stderr)
        return 2
    tasks = tasks[: a.top]
    values = {t.pid: r.samples(t.pid, a.metric) / 1e3 for t in tasks}  # us
    lo = max(min(v.min() for v in values.values()), 0.01)
    hi = max(v.max() for v in values.values())
    bins = np.geomspace(lo, hi * 1.01, 60)

    fig, ax = plt.subplots(figsize=(9, 5))
    for t in tasks:
        ax.hist(values[t.pid], bins=bins, histtype="step", linewidth=1.5,
                label=f"{t.comm}:{t.pid} (n={t[a.metric].count}, "
                      f"p99 {t[a.metric].p99_ns / 1e3:.1f} us)")
    if a.slo:
        ax.axvline(rtlat.parse_duration(a.slo) / 1e3, color="red", linestyle="--",
                   label=f"SLO {a.slo}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"{a.metric} (us)")
    ax.set_ylabel("samples")
    ax.set_title(f"{a.metric}: {a.trace}")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(a.out, dpi=100)
    return 0


if __name__ == "__main__":
    sys.exit(main())

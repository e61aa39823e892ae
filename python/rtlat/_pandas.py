"""Results.to_pandas(): the columns come whole from the compiled module; pandas is imported only
here, when asked for."""

from __future__ import annotations

from typing import Any

# Column order of the frame (README, "Python": what each holds).
COLUMNS = [
    "pid", "tgid", "comm", "folded_tasks", "metric", "count", "min_ns", "max_ns", "mean_ns",
    "p50_ns", "p90_ns", "p99_ns", "p999_ns", "slo_ns", "violations", "derived",
    "worst_start_ns", "worst_end_ns", "worst_cpu", "verdict", "verdict_share", "exited",
    "first_seen_ns", "last_seen_ns",
]


def to_pandas(results: Any) -> Any:
    try:
        import pandas as pd
    except ImportError as e:
        raise ImportError(
            "Results.to_pandas() needs pandas, which is not installed "
            "(Debian: apt-get install python3-pandas)"
        ) from e
    t = results._table()
    cols = {}
    for name, values in t["plain"].items():
        cols[name] = values
    for name, (values, mask) in t["nullable"].items():
        cols[name] = pd.arrays.IntegerArray(values, mask)
    cols["comm"] = t["comm"]
    cols["verdict"] = t["verdict"]
    cols["metric"] = pd.Categorical.from_codes(t["metric_codes"], categories=t["metric_names"])
    return pd.DataFrame({name: cols[name] for name in COLUMNS})

"""Results.to_pandas(): shape, dtypes, values, speed, and pandas imported only when called."""

import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

import rtlat
from conftest import DATA

DTYPES = {
    "pid": "Int64", "tgid": "Int64", "comm": "object", "folded_tasks": "int64",
    "metric": "category", "count": "int64", "min_ns": "Int64", "max_ns": "Int64",
    "mean_ns": "float64", "p50_ns": "Int64", "p90_ns": "Int64", "p99_ns": "Int64",
    "p999_ns": "Int64", "slo_ns": "Int64", "violations": "int64", "derived": "bool",
    "worst_start_ns": "Int64", "worst_end_ns": "Int64", "worst_cpu": "Int64", "verdict": "object",
    "verdict_share": "float64", "exited": "bool", "first_seen_ns": "int64",
    "last_seen_ns": "int64",
}


def test_shape_dtypes_and_values():
    r = rtlat.analyze(str(DATA / "misprio.dat"), slo={"latency": "500us"})
    df = r.to_pandas()
    n = len(rtlat.metric_names)
    assert df.shape == (len(r.tasks) * n, len(DTYPES))
    assert list(df.columns) == list(rtlat.PANDAS_COLUMNS) == list(DTYPES)
    assert {c: str(t) for c, t in df.dtypes.items()} == DTYPES
    assert list(df["metric"].cat.categories) == list(rtlat.metric_names)
    for i, t in enumerate(r.tasks):
        for j, name in enumerate(rtlat.metric_names):
            row = df.iloc[i * n + j]
            m = t[name]
            assert (row["pid"], row["comm"], row["metric"]) == (t.pid, t.comm, name)
            assert row["count"] == m.count and row["violations"] == m.violations
            for col in ("min_ns", "max_ns", "p50_ns", "p99_ns", "p999_ns", "slo_ns"):
                v = getattr(m, col)
                assert (pd.isna(row[col]) if v is None else row[col] == v), col
            if m.worst is not None and m.worst.verdict is not None:
                assert row["verdict"] == m.worst.verdict["kind"]
                assert row["worst_end_ns"] == m.worst.end_ns
    ctl = df[(df.comm == "ctl-loop") & (df.metric == "latency")]
    assert ctl["violations"].sum() > 0 and (ctl["slo_ns"] == 500000).all()


def test_folded_groups_are_rows():
    r = rtlat.analyze(str(DATA / "misprio.dat"), max_finished_tasks=0)
    assert r.folded
    df = r.to_pandas()
    n = len(rtlat.metric_names)
    assert len(df) == (len(r.tasks) + len(r.folded)) * n
    folded = df[df.folded_tasks > 0]
    assert len(folded) == len(r.folded) * n
    assert folded["pid"].isna().all()
    assert folded["count"].sum() + df[df.folded_tasks == 0]["count"].sum() == \
        rtlat.analyze(str(DATA / "misprio.dat")).to_pandas()["count"].sum()


def synthetic_trace(path, tasks):
    """A text trace in which each of `tasks` tasks is woken, runs and sleeps once."""
    lines = ["cpus=1"]
    t = 1_000_000_000
    for i in range(tasks):
        pid = 10_000 + i
        comm = f"w{i}"
        lines.append(f"          <idle>-0     [000] {t // 10**9}.{t % 10**9:09d}: sched_wakeup: "
                     f"{comm}:{pid} [120] CPU:000")
        t += 1_000 + i
        lines.append(f"          <idle>-0     [000] {t // 10**9}.{t % 10**9:09d}: sched_switch: "
                     f"swapper/0:0 [120] R ==> {comm}:{pid} [120]")
        t += 5_000
        lines.append(f"{comm:>16}-{pid:<5} [000] {t // 10**9}.{t % 10**9:09d}: sched_switch: "
                     f"{comm}:{pid} [120] S ==> swapper/0:0 [120]")
        t += 1_000
    path.write_text("\n".join(lines) + "\n")


def test_to_pandas_10000_tasks_under_a_second(tmp_path):
    trace = tmp_path / "10k.txt"
    synthetic_trace(trace, 10_000)
    r = rtlat.analyze(str(trace))
    assert len(r.tasks) == 10_000
    assert all(t["latency"].count == 1 for t in r.tasks)
    start = time.perf_counter()
    df = r.to_pandas()
    elapsed = time.perf_counter() - start
    assert df.shape == (10_000 * len(rtlat.metric_names), len(DTYPES))
    lat = df[df.metric == "latency"]
    assert (lat["max_ns"].to_numpy() == 1_000 + np.arange(10_000)).all()
    print(f"to_pandas on 10,000 tasks: {elapsed:.3f} s")
    assert elapsed < 1.0


def test_pandas_is_imported_only_when_called():
    code = ("import sys, rtlat; r = rtlat.analyze('%s'); assert 'pandas' not in sys.modules; "
            "sys.modules['pandas'] = None\n"
            "try:\n r.to_pandas()\nexcept ImportError as e:\n print(e)\n" % (DATA / "demo.txt"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "needs pandas, which is not installed" in out.stdout

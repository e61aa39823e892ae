"""Results.samples(): every sample value, kept only when asked for."""

from collections import defaultdict

import numpy as np
import pytest

import rtlat
from conftest import DATA

RECORDINGS = sorted(p for p in DATA.glob("*") if p.suffix in (".dat", ".txt"))


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.name)
def test_samples_match_the_metrics(path):
    r = rtlat.analyze(str(path), keep_samples=True)
    # A reused pid has one Task per life; samples() holds all of them.
    by_pid = defaultdict(list)
    for t in r.tasks:
        by_pid[t.pid].append(t)
    checked = 0
    for pid, tasks in by_pid.items():
        for name in rtlat.metric_names:
            ms = [t[name] for t in tasks]
            s = r.samples(pid, name)
            assert s.dtype == np.int64
            assert len(s) == sum(m.count for m in ms)
            if len(s) == 0:
                continue
            assert s.max() == max(m.max_ns for m in ms if m.count)
            assert s.min() == min(m.min_ns for m in ms if m.count)
            if len(tasks) == 1:
                m = ms[0]
                assert s.mean() == pytest.approx(m.mean_ns, rel=1e-9)
                # rtlat's histogram: every sample in the bin rtlat counted it in
                for lo, hi, count in m.histogram:
                    assert np.count_nonzero((s >= lo) & (s < hi)) == count
                assert sum(c for _, _, c in m.histogram) == m.count
                # and the percentiles within the histogram's resolution (1/128)
                exact = np.sort(s)[int(np.ceil(0.99 * len(s))) - 1]
                assert abs(m.p99_ns - exact) <= exact / 128 + 1
            checked += 1
    assert checked > 0


def test_samples_are_read_only_views():
    r = rtlat.analyze(str(DATA / "misprio.dat"), keep_samples=True, comm="^ctl-")
    pid = r.tasks[0].pid
    s = r.samples(pid, "latency")
    assert not s.flags.writeable
    del r  # the array keeps the samples alive
    assert len(s) > 0 and s.max() > 0


def test_no_samples_unless_asked():
    r = rtlat.analyze(str(DATA / "demo.txt"))
    with pytest.raises(ValueError, match="keep_samples=True"):
        r.samples(r.tasks[0].pid, "latency")


def test_unknown_metric_and_pid():
    r = rtlat.analyze(str(DATA / "demo.txt"), keep_samples=True)
    with pytest.raises(ValueError, match="unknown metric 'nope'"):
        r.samples(r.tasks[0].pid, "nope")
    assert len(r.samples(999999, "latency")) == 0

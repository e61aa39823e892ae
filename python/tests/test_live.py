"""rtlat.live(): a smoke run as root, and the tracefs instance removed however the loop ends."""

import os
import signal
import subprocess
import threading
from pathlib import Path

import pytest

import rtlat
from conftest import skip_or_fail


def tracefs_instances():
    for line in Path("/proc/mounts").read_text().splitlines():
        fields = line.split()
        if fields[2] == "tracefs":
            return Path(fields[1]) / "instances"
    return None


def our_instance_exists():
    d = tracefs_instances()
    return d is not None and (d / f"rtlat-{os.getpid()}").exists()


@pytest.fixture(autouse=True)
def need_root():
    if not rtlat._rtlat.have_live:
        skip_or_fail("the module was built without live mode (libtracefs)")
    if os.geteuid() != 0:
        skip_or_fail("live mode needs root")
    if "tracefs" not in Path("/proc/filesystems").read_text():
        skip_or_fail("this kernel has no tracefs")
    yield
    assert not our_instance_exists()


def busy():
    """Something to trace: a few processes that sleep and wake."""
    return subprocess.Popen(["sh", "-c", "for i in $(seq 40); do sleep 0.02; done"])


def test_intervals_then_final():
    work = busy()
    try:
        with rtlat.live(duration="1200ms", interval="300ms", slo={"latency": "10ms"},
                        keep_samples=True) as session:
            assert session.instance_name == f"rtlat-{os.getpid()}"
            assert our_instance_exists()
            seen = list(session)
    finally:
        work.wait()
    assert not our_instance_exists()
    intervals, final = seen[:-1], seen[-1]
    assert len(intervals) >= 2 and all(not r.final for r in intervals)
    assert final.final and final.interval is None
    ends = [r.interval.end_ns for r in intervals]
    assert ends == sorted(ends) and intervals[0].interval.start_ns < ends[0]
    assert [r.trace.events for r in intervals] == sorted(r.trace.events for r in intervals)
    assert final.trace.events >= intervals[-1].trace.events > 0
    measured = [(t, t["latency"]) for t in final.tasks if t["latency"].count]
    assert measured and all(m.slo_ns == 10_000_000 for _, m in measured)
    # the final Results holds the samples; intervals do not
    t, m = measured[0]
    pids = [x for x in final.tasks if x.pid == t.pid]
    assert len(final.samples(t.pid, "latency")) == sum(x["latency"].count for x in pids)
    with pytest.raises(ValueError, match="live interval"):
        intervals[0].samples(t.pid, "latency")


def test_exception_in_the_loop_removes_the_instance():
    with pytest.raises(RuntimeError, match="boom"):
        for r in rtlat.live(interval="100ms"):
            assert our_instance_exists()
            raise RuntimeError("boom")
    assert not our_instance_exists()


def test_ctrl_c_removes_the_instance():
    session = rtlat.live(interval="100ms")
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    n = 0
    with pytest.raises(KeyboardInterrupt):
        for r in session:
            n += 1
    timer.join()
    assert n >= 1
    assert not our_instance_exists()


def test_stop_yields_the_final_results():
    session = rtlat.live(interval="100ms")
    first = next(session)
    assert not first.final
    session.stop()
    rest = list(session)
    assert rest and rest[-1].final
    assert not our_instance_exists()


def test_live_error():
    with pytest.raises(rtlat.LiveError, match="cannot create a file there"):
        rtlat.live(save="/nonexistent-dir/x.dat")
    with pytest.raises(ValueError, match="bad duration"):
        rtlat.live(duration="soon")
    with pytest.raises(TypeError, match="unexpected keyword argument 'buffer'"):
        rtlat.live(buffer="x")

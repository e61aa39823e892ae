"""rtlat.analyze() gives the numbers of `rtlat report --format json`, read from the bound
attributes (not from the module's own JSON), on every recording in data/ and with options."""

import json
import os

import pytest

import rtlat
from conftest import DATA, ROOT, run_cli, traces


def metric_dict(m, name, folded=False):
    d = {
        "count": m.count, "min_ns": m.min_ns, "max_ns": m.max_ns, "mean_ns": m.mean_ns,
        "p50_ns": m.p50_ns, "p90_ns": m.p90_ns, "p99_ns": m.p99_ns, "p999_ns": m.p999_ns,
        "derived": m.derived, "slo_ns": m.slo_ns, "violations": m.violations,
    }
    if name in ("timer", "irq_latency") and not folded:
        d["unobserved"] = m.unobserved
    if m.verdicts:
        d["verdicts"] = m.verdicts
    w = m.worst
    if w is None:
        d["worst"] = None
        return d
    wd = {"start_ns": w.start_ns, "end_ns": w.end_ns, "cpu": w.cpu, "elided": w.elided,
          "events": w.events}
    if w.breakdown is not None:
        wd["breakdown"] = w.breakdown
        wd["breakdown_covered_ns"] = w.breakdown_covered_ns
        wd["history_too_short"] = w.history_too_short
    if w.verdict is not None:
        wd["verdict"] = w.verdict
    if w.split is not None:
        wd["split"] = w.split
    d["worst"] = wd
    return d


def results_dict(r):
    t = r.trace
    out = {
        "trace": {k: getattr(t, k) for k in (
            "source", "events", "cpus", "start_ns", "end_ns", "lost_events", "implicit_switches",
            "unobserved_latency", "unobserved_response", "unobserved_relief", "unobserved_irq",
            "lost_event_markers", "skipped", "out_of_order", "unobserved_timer",
            "unobserved_timer_no_request", "unobserved_timer_clock", "unobserved_irq_latency")},
        "tasks": [{"pid": task.pid, "tgid": task.tgid, "comm": task.comm,
                   "metrics": {name: metric_dict(m, name) for name, m in task.metrics.items()}}
                  for task in r.tasks],
    }
    if t.waking_fallback:
        out["trace"]["waking_fallback"] = True
    if r.folded:
        out["folded"] = [{"comm": g.comm, "tasks": g.tasks, "first_seen_ns": g.first_seen_ns,
                          "last_seen_ns": g.last_seen_ns,
                          "metrics": {name: metric_dict(m, name, True) for name, m in g.metrics.items()}}
                         for g in r.folded]
    return out


def check_same_as_cli(path, cli_args, **kwargs):
    proc = run_cli("report", "--format", "json", *cli_args, str(path))
    if proc.returncode == 2:
        with pytest.raises(rtlat.InputError) as e:
            rtlat.analyze(str(path), **kwargs)
        assert "rtlat: " + str(e.value) == proc.stderr.strip()
        return None
    assert proc.returncode == 0, proc.stderr
    expected = json.loads(proc.stdout)
    r = rtlat.analyze(str(path), **kwargs)
    assert results_dict(r) == expected
    assert r.to_json() == proc.stdout
    assert r.to_dict() == expected
    return expected


@pytest.mark.parametrize("path", traces(), ids=lambda p: str(p.relative_to(DATA)))
def test_every_recording_equals_cli_json(path):
    expected = check_same_as_cli(path, [])
    if path.parent == DATA:  # the case recordings measure something: the comparison is not vacuous
        assert expected is not None
        assert sum(m["count"] for t in expected["tasks"] for m in t["metrics"].values()) > 0


def test_metric_names_are_the_libraries():
    r = rtlat.analyze(str(DATA / "demo.txt"))
    assert list(r.tasks[0].metrics) == list(rtlat.metric_names)
    assert set(rtlat.metric_names) >= {"latency", "response", "relief", "irq"}


OPTION_CASES = [
    # CLI arguments, analyze() keywords
    (["--slo", "latency=500us", "--slo", "25915:response=300us", "--explain", "all"],
     dict(slo={"latency": "500us", (25915, "response"): 300000}, explain="all")),
    (["--slo", "latency=500us", "--slo", "25915:response=300us"],
     dict(slo=["latency=500us", "25915:response=300us"])),
    (["--comm", "^ctl-", "--window", "8"], dict(comm="^ctl-", window=8)),
    (["--pid", "25915,25916", "--wakeup-event", "waking"],
     dict(pid=[25915, 25916], wakeup_event="waking")),
    (["--tgid", "1"], dict(tgid=1)),
    (["--max-finished-tasks", "2"], dict(max_finished_tasks=2)),
    (["--rt-runtime", "500ms", "--rt-period", "1s", "--explain", "none"],
     dict(rt_runtime="500ms", rt_period=10**9, explain="none")),
    (["--top", "2"], dict(top=2)),
]


@pytest.mark.parametrize("cli_args,kwargs", OPTION_CASES, ids=lambda x: str(x))
@pytest.mark.parametrize("name", ["misprio.dat", "demo.txt"])
def test_options_as_the_cli(name, cli_args, kwargs):
    check_same_as_cli(DATA / name, cli_args, **kwargs)


def test_options_change_results():
    """The keyword arguments reach the engine (not silently dropped)."""
    plain = rtlat.analyze(str(DATA / "misprio.dat"))
    sel = rtlat.analyze(str(DATA / "misprio.dat"), comm="^ctl-", slo={"latency": "500us"})
    assert len(sel.tasks) == 1 < len(plain.tasks)
    lat = sel.tasks[0]["latency"]
    assert lat.slo_ns == 500000 and lat.violations > 0
    folded = rtlat.analyze(str(DATA / "misprio.dat"), max_finished_tasks=0)
    assert folded.folded


def test_bad_options():
    path = str(DATA / "demo.txt")
    with pytest.raises(ValueError, match=r"bad duration '5x'"):
        rtlat.analyze(path, slo={"latency": "5x"})
    with pytest.raises(ValueError, match=r"unknown metric 'latenzy'"):
        rtlat.analyze(path, slo={"latenzy": "5us"})
    with pytest.raises(ValueError, match=r"--explain: 'bogus'"):
        rtlat.analyze(path, explain="bogus")
    with pytest.raises(ValueError, match=r"bad regular expression"):
        rtlat.analyze(path, comm="(")
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'bogus'"):
        rtlat.analyze(path, bogus=1)
    with pytest.raises(ValueError, match=r"top"):
        rtlat.analyze(path, top=0)
    with pytest.raises(ValueError, match=r"buffer applies to trace.dat input only"):
        rtlat.analyze(path, buffer="x")


def test_open_file_and_pathlike():
    a = rtlat.analyze(DATA / "demo.txt")
    with open(DATA / "demo.txt", "rb") as f:
        b = rtlat.analyze(f)
    assert [t.pid for t in a.tasks] == [t.pid for t in b.tasks]
    counts = [sum(t["latency"].count for t in r.tasks) for r in (a, b)]
    assert counts[0] == counts[1] > 0


def test_gil_released_while_reading():
    """A second thread runs Python while analyze() reads."""
    import threading
    import time

    ticks = []
    done = threading.Event()

    def tick():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=tick)
    t.start()
    try:
        start = time.perf_counter()
        for _ in range(5):
            rtlat.analyze(str(DATA / "cyclictest.txt"))
        end = time.perf_counter()
    finally:
        done.set()
        t.join()
    during = [x for x in ticks if start < x < end]
    # With the GIL held the ticker would stall for the whole read; it keeps ticking instead.
    assert len(during) >= 0.1 * (end - start) / 0.001

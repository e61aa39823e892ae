"""rtlat: per-task real-time latency metrics (latency, response, relief, irq) from Linux ftrace
traces, in Python.

    import rtlat
    r = rtlat.analyze("run.dat", slo={"latency": "500us"}, comm="^ctl-", keep_samples=True)
    r.tasks[0]["latency"].p99_ns
    df = r.to_pandas()                 # one row per task x metric
    lat = r.samples(pid, "latency")    # numpy int64 ns

The README's "Python" section documents the API and the DataFrame's columns.
"""

from __future__ import annotations

import os
from typing import Any, Optional, Union

from . import _rtlat
from ._live import Live
from ._options import to_args
from ._pandas import COLUMNS as PANDAS_COLUMNS
from ._live import _top
from ._rtlat import (
    Error,
    FoldedGroup,
    InputError,
    Interval,
    LiveError,
    MetricResult,
    Results,
    Task,
    TraceStats,
    WorstWindow,
    metric_names,
    parse_duration,
)

__version__ = _rtlat.version
__all__ = [
    "analyze", "live", "Live", "Results", "Task", "MetricResult", "WorstWindow", "FoldedGroup",
    "TraceStats", "Interval", "Error", "InputError", "LiveError", "metric_names",
    "parse_duration", "PANDAS_COLUMNS",
]


def _path(path_or_source: Any) -> str:
    if isinstance(path_or_source, (str, os.PathLike)):
        return os.fsdecode(os.fspath(path_or_source))
    if hasattr(path_or_source, "fileno"):
        # An open file: read through its descriptor (from its start, for a regular file).
        return f"/dev/fd/{path_or_source.fileno()}"
    raise TypeError(
        "analyze() takes a path (str or os.PathLike), '-' for stdin, or an open file, not "
        f"{type(path_or_source).__name__}")


def analyze(path_or_source: Union[str, "os.PathLike[str]", Any], *, keep_samples: bool = False,
            top: Optional[int] = None, **config: Any) -> Results:
    """Reads a trace.dat or text trace (detected by content) and measures every selected task.

    Keywords are `rtlat report`'s options, same names: pid, tgid, comm, slo, window,
    wakeup_event, max_finished_tasks, explain, rt_runtime, rt_period, buffer, arch, top.
    Durations are strings with a unit ("500us") or ints of nanoseconds. keep_samples=True keeps
    every sample value for Results.samples() (8 bytes a sample). The GIL is released while the
    trace is read. Raises InputError (naming the file) for bad input, ValueError for a bad
    option value, TypeError for an unknown option."""
    path = _path(path_or_source)
    args = to_args(config)
    return _rtlat._analyze(path, args, bool(keep_samples), _top(top))


def live(**options: Any) -> Live:
    """A live session on this machine (root): ``for r in rtlat.live(duration="10s"): ...`` or
    ``with rtlat.live() as session: ...``. Options: duration (None: until stop()), interval
    (default "1s"), buffer_kb, save (a trace.dat path), follow (pids whose tasks and children are
    traced), keep_samples (the final Results only), top, and analyze()'s measurement and
    selection options (max_finished_tasks defaults to 1024, as in `rtlat live`). Raises
    LiveError when the session cannot start."""
    return Live(**options)


def _to_pandas(self: Results) -> Any:
    """One row per task and metric, then per folded group and metric (README lists the columns).
    Imports pandas only now; ImportError saying so when it is missing."""
    from ._pandas import to_pandas

    return to_pandas(self)


def _to_dict(self: Results) -> Any:
    """The JSON report (`rtlat report --format json`) as Python dicts and lists."""
    import json

    return json.loads(self.to_json())


Results.to_pandas = _to_pandas  # type: ignore[attr-defined]
Results.to_dict = _to_dict  # type: ignore[attr-defined]

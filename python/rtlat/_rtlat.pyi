# Type stubs of the compiled module rtlat._rtlat (python/src/module.cpp). Import from rtlat.
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import numpy.typing as npt

version: str
metric_names: Tuple[str, ...]
have_live: bool

class Error(Exception): ...

class InputError(Error):
    file: str
    where: str
    reason: str

class LiveError(Error): ...

def parse_duration(text: str) -> int: ...

class TraceStats:
    source: str
    events: int
    cpus: int
    start_ns: int
    end_ns: int
    lost_events: int
    lost_event_markers: int
    implicit_switches: int
    unobserved_latency: int
    unobserved_response: int
    unobserved_relief: int
    unobserved_irq: int
    skipped: int
    out_of_order: int
    unobserved_timer: int
    unobserved_timer_no_request: int
    unobserved_timer_clock: int
    unobserved_irq_latency: int
    waking_fallback: bool

class WorstWindow:
    start_ns: int
    end_ns: int
    cpu: int
    elided: int
    events: List[Dict[str, Any]]
    breakdown: Optional[List[Dict[str, Any]]]
    breakdown_covered_ns: Optional[int]
    history_too_short: Optional[bool]
    verdict: Optional[Dict[str, Any]]
    split: Optional[Dict[str, Optional[int]]]

class MetricResult:
    count: int
    min_ns: Optional[int]
    max_ns: Optional[int]
    mean_ns: Optional[float]
    p50_ns: Optional[int]
    p90_ns: Optional[int]
    p99_ns: Optional[int]
    p999_ns: Optional[int]
    derived: bool
    slo_ns: Optional[int]
    violations: int
    unobserved: int
    worst: Optional[WorstWindow]
    verdicts: List[Dict[str, Any]]
    histogram: List[Tuple[int, int, int]]

class Task:
    pid: int
    tgid: Optional[int]
    comm: str
    first_seen_ns: int
    last_seen_ns: int
    exited: bool
    metrics: Dict[str, MetricResult]
    def __getitem__(self, metric: str) -> MetricResult: ...

class FoldedGroup:
    comm: str
    tasks: int
    first_seen_ns: int
    last_seen_ns: int
    metrics: Dict[str, MetricResult]
    def __getitem__(self, metric: str) -> MetricResult: ...

class Interval:
    start_ns: int
    end_ns: int
    elapsed_s: float
    events: int
    lost: int

class Results:
    trace: TraceStats
    tasks: List[Task]
    folded: List[FoldedGroup]
    notes: List[str]
    final: bool
    interval: Optional[Interval]
    keep_samples: bool
    def samples(self, pid: int, metric: str) -> npt.NDArray[np.int64]: ...
    def to_json(self) -> str: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def to_pandas(self) -> Any: ...  # pandas.DataFrame
    def __len__(self) -> int: ...

def _analyze(path: str, args: List[str], keep_samples: bool, top: Optional[int]) -> Results: ...

class _LiveSession:
    instance_name: str
    def __init__(self, args: List[str], duration_ns: int, interval_ns: int, buffer_kb: int,
                 save: str, follow: List[int], keep_samples: bool, top: Optional[int],
                 default_max_finished: int) -> None: ...
    def next(self, timeout_s: float) -> Optional[Results]: ...
    def stop(self) -> None: ...
    def close(self) -> None: ...

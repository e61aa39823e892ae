# Type stubs of the package rtlat (python/rtlat/__init__.py); README "Python" documents the API.
import datetime
import os
from typing import Any, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from typing_extensions import TypedDict, Unpack

from ._live import Live as Live
from ._rtlat import (
    Error as Error,
    FoldedGroup as FoldedGroup,
    InputError as InputError,
    Interval as Interval,
    LiveError as LiveError,
    MetricResult as MetricResult,
    Results as Results,
    Task as Task,
    TraceStats as TraceStats,
    WorstWindow as WorstWindow,
    metric_names as metric_names,
    parse_duration as parse_duration,
)

__version__: str
PANDAS_COLUMNS: List[str]

Duration = Union[str, int, datetime.timedelta]
Pids = Union[int, str, Sequence[int]]
Slo = Union[str, Sequence[str], Mapping[Union[str, Tuple[int, str]], Duration]]

class AnalyzeOptions(TypedDict, total=False):
    """The measurement and selection options analyze() and live() share (`rtlat report`'s)."""

    keep_samples: bool
    top: Optional[int]
    pid: Optional[Pids]
    tgid: Optional[Pids]
    comm: Optional[str]
    slo: Optional[Slo]
    window: Optional[int]
    wakeup_event: Optional[str]
    max_finished_tasks: Optional[Union[int, str]]
    explain: Optional[str]
    rt_runtime: Optional[Duration]
    rt_period: Optional[Duration]

def analyze(
    path_or_source: Union[str, os.PathLike[str], Any],
    *,
    buffer: Optional[str] = ...,
    arch: Optional[str] = ...,
    **options: Unpack[AnalyzeOptions],
) -> Results: ...
def live(
    *,
    duration: Optional[Duration] = ...,
    interval: Duration = ...,
    buffer_kb: int = ...,
    save: Optional[str] = ...,
    follow: Iterable[int] = ...,
    **options: Unpack[AnalyzeOptions],
) -> Live: ...

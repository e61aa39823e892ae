"""Keyword arguments as `rtlat report` options.

analyze() and live() take the CLI's options under the same names (`--max-finished-tasks` is
`max_finished_tasks`). They are handed, as ``--name=value`` arguments, to the CLI's own option
parsers in the compiled module, so an option the CLI gains is a keyword here too, with the same
checks and messages. This file only turns Python values into the CLI's spelling.
"""

from __future__ import annotations

import datetime
import numbers
import os
from typing import Any, Dict, List, Mapping

# Options whose value is a duration: an int there is nanoseconds (the CLI wants a unit).
DURATION_OPTIONS = {"rt_runtime", "rt_period"}


def duration_text(value: Any, what: str) -> str:
    """A duration as the CLI spells it: '50us' as given, 50000 (ns) or a timedelta as '50000ns'."""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime.timedelta):
        return f"{value // datetime.timedelta(microseconds=1) * 1000}ns"
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{what}: negative duration {value}")
        return f"{int(value)}ns"
    raise TypeError(
        f"{what}: a duration is a string with a unit ('500us'), an int of nanoseconds or a "
        f"datetime.timedelta, not {type(value).__name__}"
    )


def _slo_args(slo: Any) -> List[str]:
    """slo={"latency": "500us", (1234, "irq"): 20000, "1234:response": "1ms"} or a list of the
    CLI's "[PID:]METRIC=DURATION" strings."""
    if isinstance(slo, str):
        return [slo]
    if isinstance(slo, Mapping):
        out = []
        for key, value in slo.items():
            if isinstance(key, tuple):
                if len(key) != 2:
                    raise ValueError(f"slo key {key!r}: expected (pid, metric)")
                key = f"{int(key[0])}:{key[1]}"
            out.append(f"{key}={duration_text(value, f'slo {key}')}")
        return out
    return [str(s) for s in slo]


def _pid_text(value: Any, what: str) -> str:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, str):
        return value
    # a list of pids
    return ",".join(_pid_text(v, what) for v in value)


def to_args(options: Dict[str, Any], *, none_means: Mapping[str, str] = {}) -> List[str]:
    """Keyword arguments -> ["--name=value", ...] in the CLI's spelling."""
    args: List[str] = []
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if value is None:
            if name in none_means:
                args.append(f"{flag}={none_means[name]}")
            continue
        if name == "slo":
            args += [f"{flag}={s}" for s in _slo_args(value)]
        elif name in ("pid", "tgid"):
            args.append(f"{flag}={_pid_text(value, name)}")
        elif name in DURATION_OPTIONS:
            args.append(f"{flag}={duration_text(value, name)}")
        elif value is True:
            args.append(flag)
        elif value is False:
            continue
        elif isinstance(value, os.PathLike):
            args.append(f"{flag}={os.fspath(value)}")
        elif isinstance(value, (str, numbers.Integral)):
            args.append(f"{flag}={value}")
        else:
            raise TypeError(f"{name}: unsupported value of type {type(value).__name__}")
    return args

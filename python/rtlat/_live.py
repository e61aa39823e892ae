"""rtlat.live(): the running system through a tracefs instance of its own (root)."""

from __future__ import annotations

import atexit
import weakref
from typing import Any, Iterable, Optional

from . import _rtlat
from ._options import duration_text, to_args

# `rtlat live`'s default --max-finished-tasks: a long session's memory follows the live tasks.
LIVE_MAX_FINISHED_TASKS = 1024
# How long one wait for the reader lasts: Ctrl-C is seen between waits.
_POLL_S = 0.1

_open_sessions: "weakref.WeakSet[Live]" = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for s in list(_open_sessions):
        s.close()


class Live:
    """A live session: iterate for a Results each interval (``r.final`` False), then the final
    Results (``r.final`` True) once the duration is over or stop() was called. Leaving a ``with``
    block, an exception or Ctrl-C in the loop, close() and garbage collection all stop the reader
    and remove the tracefs instance."""

    def __init__(
        self,
        *,
        duration: Any = None,
        interval: Any = "1s",
        buffer_kb: int = 8192,
        save: Optional[str] = None,
        follow: Iterable[int] = (),
        keep_samples: bool = False,
        top: Optional[int] = None,
        **config: Any,
    ) -> None:
        if not _rtlat.have_live:
            raise _rtlat.LiveError("this rtlat module was built without live mode (libtracefs)")
        duration_ns = 0 if duration is None else _rtlat.parse_duration(
            duration_text(duration, "duration"))
        interval_ns = _rtlat.parse_duration(duration_text(interval, "interval"))
        if interval_ns <= 0:
            raise ValueError("interval: must be positive")
        args = to_args(config, none_means={"max_finished_tasks": "none"})
        self._session = _rtlat._LiveSession(
            args, duration_ns, interval_ns, int(buffer_kb), save or "", [int(p) for p in follow],
            bool(keep_samples), _top(top), LIVE_MAX_FINISHED_TASKS)
        self._finished = False
        _open_sessions.add(self)

    @property
    def instance_name(self) -> str:
        """The tracefs instance, "rtlat-PID" ("" once closed)."""
        return self._session.instance_name

    def __iter__(self) -> "Live":
        return self

    def __next__(self) -> "_rtlat.Results":
        if self._finished:
            raise StopIteration
        try:
            while True:
                r = self._session.next(_POLL_S)
                if r is not None:
                    if r.final:  # the reader is done: the instance can go now
                        self._finished = True
                        self.close()
                    return r
        except StopIteration:
            self._finished = True
            self.close()
            raise
        except BaseException:
            self._finished = True
            self.close()
            raise

    def stop(self) -> None:
        """Ends the session: the iterator yields the final Results next (or after the intervals
        already queued)."""
        self._session.stop()

    def close(self) -> None:
        """Stops reading and removes the tracefs instance. Idempotent."""
        self._session.close()

    def __enter__(self) -> "Live":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        session = getattr(self, "_session", None)
        if session is not None:
            session.close()


def _top(top: Optional[int]) -> Optional[int]:
    if top is None:
        return None
    if isinstance(top, bool) or int(top) != top or top < 1:
        raise ValueError(f"top: '{top}' is not a positive integer")
    return int(top)

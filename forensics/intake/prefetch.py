"""Run a producer one step ahead of its consumer, in a thread.

Reading evidence (decompression, UTF-8 decoding, splitting into lines) is mostly Python
and C code that holds the interpreter lock only part of the time, while parsing is polars
kernels that release it.  Producing the next chunk while the current one is parsed keeps
both cores busy.  Order is kept, at most ``depth`` items wait in memory, and an exception
raised by the producer is raised again in the consumer at the point where it happened.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def prefetch(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """Yield what ``items`` yields, computing the next item(s) in a background thread."""
    q: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            put(_Failure(exc))
            return
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # a generator's own clean-up (closing its file) runs in its thread
        put(_DONE)

    worker = threading.Thread(target=produce, name="prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item  # type: ignore[misc]
    finally:
        stop.set()  # the consumer stopped early (or failed): let the producer end
        worker.join()

"""Where the per-file parse runs: here (``local``) or on a Dask cluster (``dask``).

Both executors map the same pure function (``forensics.executors.task.parse_file``) over the
evidence and hand the client the same frames in the same order; the client then runs the
time pass and writes the outputs.  Nothing here imports Dask until a Dask executor is made.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from forensics.executors.cluster import INSTALL, SCHEDULER_ENV, DaskMissing, SchedulerError, dask_available
from forensics.executors.local import LocalExecutor

#: ``--executor`` values.
EXECUTORS = ("local", "dask")


def check_executor(name: str, scheduler: str | None = None) -> None:
    """``ValueError`` for an unknown executor or a scheduler without Dask; ``DaskMissing`` without Dask."""
    if name not in EXECUTORS:
        raise ValueError(f"--executor {name!r}: one of {', '.join(EXECUTORS)}")
    if scheduler is not None and name != "dask":
        raise ValueError("--scheduler is for --executor dask")
    if name == "dask" and not dask_available():
        raise DaskMissing()


@contextlib.contextmanager
def opened(executor: Any = "local", scheduler: str | None = None) -> Iterator[Any]:
    """The executor named (connected, or its LocalCluster started), closed after; an instance is used as is."""
    if not isinstance(executor, str):
        yield executor
        return
    check_executor(executor, scheduler)
    if executor == "local":
        yield LocalExecutor()
        return
    from forensics.executors.cluster import DaskExecutor

    ex = DaskExecutor.connect(scheduler)
    try:
        yield ex
    finally:
        ex.close()


__all__ = [
    "EXECUTORS",
    "INSTALL",
    "SCHEDULER_ENV",
    "DaskMissing",
    "LocalExecutor",
    "SchedulerError",
    "check_executor",
    "dask_available",
    "opened",
]

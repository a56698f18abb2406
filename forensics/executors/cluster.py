"""The Dask executor: the same per-file parse, mapped over the evidence by a Dask cluster.

One task per rotation set (``parse_source``): a worker reads the set's files in order from
the path the client gave (the evidence must be visible to every worker at that same path),
hashes each file again, parses it, and keeps its accounting and its event and reject frames
until the client takes them: a few frames at a time, with a bounded number of sets parsed
ahead (``forensics.executors.stream``), so the client's memory follows ``--memory`` and not
the size of a set.  The client adds the frames to its part store in file order, exactly as
the local executor does, then runs the time pass and writes the outputs itself: the outputs
are the same bytes whichever executor parsed (``tests/executors/test_dask_equal.py``).

Dask is optional (``pip install 'forensic-timeline[dask]'``); this module imports it only
when a Dask executor is made.
"""

from __future__ import annotations

import importlib.util
import os
from itertools import groupby
from pathlib import Path
from typing import Any

from forensics._version import __version__
from forensics.executors.stream import FETCH_BYTES, Backlog, stream_sets
from forensics.executors.task import ParseOptions
from forensics.intake.accounting import FileReport
from forensics.intake.engine import ProgressFn
from forensics.intake.walk import EvidenceFile

#: What to install for ``--executor dask``.
INSTALL = "pip install 'forensic-timeline[dask]'"
#: The environment variable Dask itself reads for the scheduler's address.
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
#: ``--scheduler local``: a LocalCluster on this machine's cores.
LOCAL = "local"


class DaskMissing(RuntimeError):
    """``--executor dask`` without Dask installed."""

    def __init__(self) -> None:
        super().__init__(f"--executor dask needs Dask and its distributed scheduler: {INSTALL}")


class SchedulerError(RuntimeError):
    """The scheduler cannot be reached, or its workers cannot do the work."""


def dask_available() -> bool:
    """Are ``dask`` and ``distributed`` installed (without importing them)?"""
    return all(importlib.util.find_spec(name) is not None for name in ("dask", "distributed"))


def require_dask() -> None:
    if not dask_available():
        raise DaskMissing()


def scheduler_address(scheduler: str | None) -> str:
    """``--scheduler``, else ``DASK_SCHEDULER_ADDRESS``, else ``local``."""
    return (scheduler or os.environ.get(SCHEDULER_ENV) or LOCAL).strip()


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not every platform has affinity
        return max(1, os.cpu_count() or 1)


def _worker_version() -> str:
    return __version__


def _writable_folder(path: str) -> bool:
    """On a worker: is ``path`` a folder this worker can write into?"""
    return os.path.isdir(path) and os.access(path, os.W_OK | os.X_OK)


class DaskExecutor:
    """Parse each rotation set on a Dask worker; the client keeps the time pass and the writing."""

    name = "dask"

    def __init__(
        self,
        client: Any,
        *,
        cluster: Any = None,
        address: str | None = None,
        sets_ahead: int | None = None,
        fetch_bytes: int = FETCH_BYTES,
    ) -> None:
        self.client = client
        self.cluster = cluster
        self.address = address or str(getattr(getattr(client, "scheduler", None), "address", "") or "")
        #: on the client path, rotation sets parsed ahead of the one the client is taking (None:
        #: one per worker); each waits in its worker's memory until taken
        self.sets_ahead = sets_ahead
        #: on the client path, bytes of frames the client fetches at once (``forensics.executors.stream``)
        self.fetch_bytes = fetch_bytes
        #: the last client-path parse's counts of sets and bytes asked for and not yet taken
        self.backlog = Backlog()

    @classmethod
    def connect(cls, scheduler: str | None = None) -> DaskExecutor:
        """Connect to ``scheduler`` (an address such as ``tcp://10.0.0.5:8786``) or start a LocalCluster."""
        require_dask()
        from distributed import Client, LocalCluster

        address = scheduler_address(scheduler)
        if address == LOCAL:
            cluster = LocalCluster(
                n_workers=available_cores(), threads_per_worker=1, processes=True, dashboard_address=None
            )
            return cls(Client(cluster), cluster=cluster, address=LOCAL)
        try:
            client = Client(address, timeout="15s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise SchedulerError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        return cls(client, address=address)

    def _workers(self) -> int:
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def describe(self) -> dict[str, Any]:
        workers = self.client.scheduler_info().get("workers", {})
        return {"executor": "dask", "scheduler": self.address, "workers": len(workers)}

    def check_workers(self) -> None:
        """Every worker runs this version of the tool (else its events could differ)."""
        versions = self.client.run(_worker_version)
        other = {w: v for w, v in versions.items() if v != __version__}
        if other:
            listed = ", ".join(f"{w} has {v}" for w, v in sorted(other.items()))
            raise SchedulerError(f"the Dask workers must run forensic-timeline {__version__}: {listed}")

    def parse(
        self,
        files: list[EvidenceFile],
        options: ParseOptions,
        writer: Any,
        source_states: dict[str, dict[str, Any]],
        progress: ProgressFn | None,
    ) -> list[FileReport]:
        self.check_workers()
        groups = [list(g) for _, g in groupby(files, key=lambda f: f.source)]
        self.backlog = Backlog()
        return stream_sets(
            self.client,
            groups,
            options,
            writer,
            source_states,
            progress,
            sets_ahead=self.sets_ahead if self.sets_ahead is not None else self._workers(),
            fetch_bytes=self.fetch_bytes,
            backlog=self.backlog,
        )

    def sees(self, folder: Path) -> bool:
        """Does every worker see ``folder`` at this path, writable (a shared mount: it can write the dataset there)?"""
        seen = self.client.run(_writable_folder, str(folder))
        return bool(seen) and all(seen.values())

    def ingest_partitioned(self, files: list[EvidenceFile], options: ParseOptions, *args: Any, **kwargs: Any) -> Any:
        """Parse, time and write the partitioned dataset on the workers (``forensics.executors.mapreduce``)."""
        from forensics.executors.mapreduce import ingest_partitioned

        self.check_workers()
        return ingest_partitioned(self.client, files, options, *args, **kwargs)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


__all__ = ["INSTALL", "SCHEDULER_ENV", "DaskExecutor", "DaskMissing", "SchedulerError", "dask_available"]

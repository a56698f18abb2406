"""The Dask executor: the same per-file parse, mapped over the evidence by a Dask cluster.

One task per rotation set (``parse_source``): a worker reads the set's files in order from
the path the client gave (the evidence must be visible to every worker at that same path),
hashes each file again, parses it, and sends back its accounting and its event and reject
frames.  The client adds the frames to its part store in file order, exactly as the local
executor does, then runs the time pass and writes the outputs itself: the outputs are the
same bytes whichever executor parsed (``tests/executors/test_dask_equal.py``).

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
from forensics.executors.task import ParseOptions, SourceParse, parse_source
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

    def __init__(self, client: Any, *, cluster: Any = None, address: str | None = None) -> None:
        self.client = client
        self.cluster = cluster
        self.address = address or str(getattr(getattr(client, "scheduler", None), "address", "") or "")

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
        # each task carries the walked files of its own folders only (where its references are)
        futures = [self.client.submit(parse_source, g, options.beside(g), pure=False) for g in groups]
        total = sum(f.size for f in files) or 1
        done = 0
        reports: list[FileReport] = []
        try:
            for group, future in zip(groups, futures):
                result: SourceParse = future.result()
                future.release()
                # in file order, as the local executor adds them: the store sees the same frames
                for parsed in result.files:
                    # with the sizes measured on the worker: the spill decision is the local one
                    for df, size in zip(parsed.events, parsed.event_sizes):
                        writer.events(df, size)
                    for df, size in zip(parsed.rejects, parsed.reject_sizes):
                        writer.rejects(df, size)
                    reports.append(parsed.report)
                source_states[group[0].source] = result.state
                done += sum(f.size for f in group)
                if progress:
                    progress(done, total, group[-1].relpath)
        finally:
            for future in futures:
                future.cancel()
        return reports

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

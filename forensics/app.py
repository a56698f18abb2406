"""The one front door: every command and every notebook call goes through here.

``Options`` holds what a user can ask for, with the same names as the command's options
(``--config`` is ``config``, ``--account`` is ``account``, ``--memory`` is ``memory`` in MiB).
``Options.check()`` validates all of it before any work starts (the report's language, the
zone, the format, the dates of the window, the config file, the evidence and output paths)
and raises ``UsageError`` or ``InputError``; the runners then call intake, correlation and
the report in turn, under the output folder's lock, and say which stage they are in.

Failures are ``AppError`` subclasses, each with its exit code (``ExitCode``): the command
prints the message and exits with it, the notebook sees the exception.  This is the only
module that knows all three of ingest, correlation and the report: correlation never imports
the report, and ``forensics.case`` only reads output folders.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum
from pathlib import Path
from typing import Any, Protocol

import polars as pl

from forensics.config import CaseConfig, ConfigError, as_config, check_timezone
from forensics.dataset import DATASET, DEFAULT_LAYOUT, LAYOUTS, has_events, part_files
from forensics.executors import DaskMissing, SchedulerError, check_executor, opened
from forensics.intake.engine import IngestError, IngestResult, ingest
from forensics.outputs import (
    OutputError,
    atomic,
    check_output_folder,
    clear_stale,
    locked,
    parquet_metadata,
    read_run_id,
)
from forensics.time.window import Window, WindowError, parse_window


class ExitCode(IntEnum):
    """What the ``forensics`` command's exit status means (docs/getting-started.md has the table)."""

    OK = 0  #: the outputs are written
    INTERNAL = 1  #: an unexpected error (a defect of the tool): please report it with the traceback
    USAGE = 2  #: bad usage: unknown option, wrong value (``--lang de``, a bad date, an unknown zone or format)
    UNREADABLE = 3  #: the evidence, the case config or an output folder to read cannot be read
    NOTHING_RECOGNISED = 4  #: no file of the evidence was recognised (outputs and report say so)
    REPORT_NOT_WRITTEN = 5  #: ingest and correlation are written, the report is not
    OUTPUT_REFUSED = 6  #: the output folder is a file, is in use by another run, or holds another run's outputs


#: One line per code, for ``forensics --help`` and the docs.
EXIT_CODES = {
    ExitCode.OK: "success: every output is written",
    ExitCode.INTERNAL: "unexpected error (a defect: report it with the traceback)",
    ExitCode.USAGE: "bad usage: an unknown option or a value that cannot be used (checked before any work)",
    ExitCode.UNREADABLE: "the evidence, the case config or the output folder to read cannot be read",
    ExitCode.NOTHING_RECOGNISED: "no file of the evidence was recognised (the outputs and the report say so)",
    ExitCode.REPORT_NOT_WRITTEN: "the report could not be written (the events and findings are written)",
    ExitCode.OUTPUT_REFUSED: "the output folder is a file, is in use, or holds another run's outputs (see --force)",
}


class AppError(Exception):
    """A failure worded for the user, with the exit code the command ends with."""

    code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(AppError, ValueError):
    """An option value that cannot be used (found before any work starts)."""

    code = ExitCode.USAGE


class InputError(AppError):
    """The evidence, the case config or an output folder cannot be read."""

    code = ExitCode.UNREADABLE


class OutputRefused(AppError):
    """The output folder cannot take this run (a file, in use, or holding another run's outputs)."""

    code = ExitCode.OUTPUT_REFUSED


class ReportNotWritten(AppError):
    """The report failed; what was written before it stays."""

    code = ExitCode.REPORT_NOT_WRITTEN


class NothingRecognised(AppError):
    """No file of the evidence was recognised: the outputs are written and say so."""

    code = ExitCode.NOTHING_RECOGNISED


class Reporter(Protocol):
    """Where progress goes: ``progress`` while files are read, ``stage`` for each named step, ``note``."""

    def __call__(self, done: int, total: int, item: str) -> None: ...

    def stage(self, name: str) -> None: ...

    def note(self, message: str) -> None: ...


class Silent:
    """A Reporter that says nothing (the default of the library)."""

    def __call__(self, done: int, total: int, item: str) -> None:
        return None

    def stage(self, name: str) -> None:
        return None

    def note(self, message: str) -> None:
        return None


@dataclass(frozen=True)
class Options:
    """Everything a run can be asked for, named as the command's options (``memory`` in MiB)."""

    evidence: tuple[Path, ...] = ()
    out: Path | None = None
    config: CaseConfig | Path | None = None
    account: tuple[str, ...] = ()
    format: str | None = None
    tz: str | None = None
    lang: str = "en"
    memory: int | None = None
    since: str | None = None
    until: str | None = None
    force: bool = False
    quiet: bool = False
    title: str | None = None
    analyst: str | None = None
    generated_at: str | None = None
    command_line: tuple[str, ...] | None = None
    keep_secrets: bool = False
    #: where files are parsed: ``local`` or ``dask`` (with ``scheduler``: an address or ``local``),
    #: or an executor object of ``forensics.executors`` (e.g. ``DaskExecutor(client)``)
    executor: Any = "local"
    scheduler: str | None = None
    #: the form of the event table: ``single`` (events.parquet), ``partitioned`` (events/), ``both``
    layout: str = DEFAULT_LAYOUT

    @classmethod
    def of(cls, evidence: Path | str | Sequence[Path | str] = (), **kw: Any) -> Options:
        """Options from loose values: a str or Path or list of them for evidence, str paths elsewhere."""
        paths = (evidence,) if isinstance(evidence, str | Path) else tuple(evidence)
        if kw.get("out") is not None:
            kw["out"] = Path(kw["out"])
        if isinstance(kw.get("config"), str):
            kw["config"] = Path(kw["config"])
        if isinstance(kw.get("account"), str):
            kw["account"] = (kw["account"],)
        kw["account"] = tuple(kw.get("account") or ())
        if kw.get("command_line") is not None:
            kw["command_line"] = tuple(kw["command_line"])
        return cls(evidence=tuple(Path(p) for p in paths), **kw)

    @property
    def memory_budget(self) -> int | None:
        """``memory`` in bytes, as the ingest engine counts it."""
        return None if self.memory is None else self.memory << 20


@dataclass(frozen=True)
class Checked:
    """Options after validation: the loaded config and the window as UTC bounds."""

    options: Options
    config: CaseConfig
    window: Window


def check(opts: Options, *, needs_evidence: bool = True) -> Checked:
    """Validate every option before any work starts; ``UsageError`` or ``InputError`` otherwise."""
    from forensics.findings.vocabulary import LANGUAGES

    if opts.lang not in LANGUAGES:
        raise UsageError(f"--lang {opts.lang!r}: the report is written in {' or '.join(LANGUAGES)}")
    if opts.memory is not None and opts.memory < 0:
        raise UsageError(f"--memory {opts.memory}: a number of MiB, 0 or more")
    if opts.tz:
        try:
            check_timezone(opts.tz, "--tz")
        except ConfigError as exc:
            raise UsageError(str(exc)) from None
    if opts.format is not None:
        from parsers.base import get_parser

        try:
            get_parser(opts.format)
        except KeyError as exc:
            raise UsageError(f"--format: {exc.args[0]}") from None
    if opts.layout not in LAYOUTS:
        raise UsageError(f"--layout {opts.layout!r}: one of {', '.join(LAYOUTS)}")
    try:
        if isinstance(opts.executor, str):  # else an executor made by the caller (a notebook's Dask client)
            check_executor(opts.executor, opts.scheduler)
    except (ValueError, DaskMissing) as exc:
        raise UsageError(str(exc)) from None
    if opts.generated_at is not None:
        from forensics.report.report import _parse_generated

        try:
            _parse_generated(opts.generated_at)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    try:
        cfg = as_config(opts.config)
    except ConfigError as exc:
        raise InputError(str(exc)) from None
    except OSError as exc:
        raise InputError(f"case config {opts.config}: {exc.strerror or exc}") from None
    zone, origin = (cfg.timezone, "case zone") if cfg.timezone else (opts.tz, "--tz")
    try:
        window = parse_window(opts.since, opts.until, zone=zone, zone_origin=origin)
    except WindowError as exc:
        raise UsageError(str(exc)) from None
    if needs_evidence:
        if not opts.evidence:
            raise UsageError("no evidence path given")
        for p in opts.evidence:
            if not p.exists():
                raise InputError(f"evidence path {p} does not exist")
            if not _readable(p):
                raise InputError(f"evidence path {p} cannot be read (permission denied)")
    if opts.out is not None:
        try:
            check_output_folder(opts.out)
        except OutputError as exc:
            raise OutputRefused(str(exc)) from None
    return Checked(opts, cfg, window)


def _readable(p: Path) -> bool:
    import os

    return os.access(p, os.R_OK | (os.X_OK if p.is_dir() else 0))


@dataclass
class Outcome:
    """What a run wrote: every output by name, the manifest and findings, and what to tell the user."""

    out: Path
    outputs: dict[str, Path] = field(default_factory=dict)
    manifest: dict[str, Any] | None = None
    findings: dict[str, Any] | None = None
    report: Path | None = None
    run_id: str | None = None
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def nothing_recognised(self) -> bool:
        """True when no evidence file was recognised (no file at all counts)."""
        totals = (self.manifest or {}).get("totals") or {}
        return int(totals.get("files_unrecognised") or 0) == int(totals.get("files") or 0)

    def problem(self) -> AppError | None:
        """The failure to end with although the outputs are written (nothing recognised), or None."""
        if self.manifest is not None and self.nothing_recognised:
            n = (self.manifest.get("totals") or {}).get("files", 0)
            return NothingRecognised(
                f"no file of the evidence was recognised ({n} files); the outputs and the report say so"
            )
        return None


def _out_of(opts: Options) -> Path:
    return opts.out if opts.out is not None else Path(tempfile.mkdtemp(prefix="forensics-"))


def run_ingest(checked: Checked, reporter: Reporter | None = None) -> Outcome:
    """Read the evidence into ``events.parquet``, ``rejects.parquet`` and ``manifest.json``."""
    opts, rep = checked.options, reporter or Silent()
    out = _out_of(opts)
    with _guard(out):
        rep.stage("reading the evidence")
        result = _ingest(checked, out, rep)
    outcome = _outcome_of(result)
    outcome.notes += checked.window.notes()
    return outcome


def _ingest(checked: Checked, out: Path, rep: Reporter) -> IngestResult:
    opts = checked.options
    try:
        return ingest(
            list(opts.evidence),
            out,
            config=checked.config,
            format=opts.format,
            tz=opts.tz,
            progress=rep,
            command_line=list(opts.command_line) if opts.command_line is not None else None,
            memory_budget=opts.memory_budget,
            window=checked.window,
            force=opts.force,
            say=rep.note,
            executor=opts.executor,
            scheduler=opts.scheduler,
            layout=opts.layout,
        )
    except (DaskMissing, SchedulerError) as exc:
        raise UsageError(str(exc)) from None
    except OutputError as exc:
        raise OutputRefused(str(exc)) from None
    except ConfigError as exc:
        raise InputError(str(exc)) from None
    except IngestError as exc:
        raise InputError(str(exc)) from None
    except KeyError as exc:
        raise UsageError(str(exc.args[0]) if exc.args else str(exc)) from None


def _outcome_of(result: IngestResult) -> Outcome:
    out = result.out_dir
    return Outcome(
        out=out,
        outputs={
            "events": out / "events.parquet" if (out / "events.parquet").is_file() else out / DATASET,
            "rejects": out / "rejects.parquet",
            "manifest": out / "manifest.json",
        },
        manifest=result.manifest,
        run_id=result.manifest.get("run_id"),
    )


class _guard:
    """The output folder's lock, with its failures worded as ``OutputRefused``."""

    def __init__(self, out: Path) -> None:
        self.cm = locked(out)

    def __enter__(self) -> None:
        try:
            self.cm.__enter__()
        except OutputError as exc:
            raise OutputRefused(str(exc)) from None

    def __exit__(self, *exc: object) -> None:
        self.cm.__exit__(*exc)  # type: ignore[arg-type]


def run_correlate(checked: Checked, out: Path, reporter: Reporter | None = None) -> Outcome:
    """Correlate the ingest in ``out``: sessions, links, detectors, verdicts; writes findings.json and tables.

    With ``--executor dask`` and a partitioned dataset in ``out`` that every worker can reach,
    correlation's frames are read on the workers, one UTC day per task (as ``investigate``
    does when its ingest kept the events there); otherwise this machine reads them.
    """
    rep = reporter or Silent()
    if not (out / "manifest.json").is_file() or not has_events(out):
        raise InputError(f"{out} has no manifest.json and events.parquet: run `forensics ingest` first")
    with _guard(out):
        rid = read_run_id(out / "manifest.json")
        if rid:
            try:
                clear_stale(out, rid, force=checked.options.force, say=rep.note)
            except OutputError as exc:
                raise OutputRefused(str(exc)) from None
        with _executor(checked.options) as executor:
            return _correlate(checked, out, rep, executor, any_dataset=True)


@contextlib.contextmanager
def _executor(opts: Options) -> Iterator[Any]:
    """The run's executor, opened once (a Dask cluster connected or started), closed at the end."""
    with contextlib.ExitStack() as stack:
        try:
            executor = stack.enter_context(opened(opts.executor, opts.scheduler))
        except (DaskMissing, SchedulerError) as exc:
            raise UsageError(str(exc)) from None
        yield executor


def inputs_on_workers(
    executor: Any, out: Path, config: CaseConfig | Path | str | None = None, *, any_dataset: bool = False
) -> Any:
    """Correlation's frames read on the Dask workers (``forensics.correlate.partitions``) when the
    ingest of ``out`` kept its events there and every worker can reach ``out``; else None (the
    client reads them).

    With ``any_dataset`` (``forensics correlate --executor dask``, run on an ingest already
    written) a partitioned dataset in ``out`` is enough, wherever the ingest held its events:
    its parts are the rows of ``events.parquet`` in the same order, so the findings are the same.
    """
    client = getattr(executor, "client", None)
    if client is None or not hasattr(executor, "sees"):
        return None
    try:
        manifest = json.loads((Path(out) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    held_on_workers = (manifest.get("options") or {}).get("events_held_on") == "workers"
    if not (held_on_workers or (any_dataset and part_files(Path(out)))) or not executor.sees(Path(out)):
        return None
    from forensics.correlate.partitions import load_on_cluster

    return load_on_cluster(client, Path(out), config)


def _correlate(
    checked: Checked, out: Path, rep: Reporter, executor: Any = None, *, any_dataset: bool = False
) -> Outcome:
    from forensics.correlate.pipeline import correlate

    rep.stage("correlating: sessions, links, detectors, verdicts, exfiltration")
    config = checked.options.config if checked.options.config is not None else None
    # events an ingest kept on the workers are read back there, one day per task
    inputs = inputs_on_workers(executor, out, config, any_dataset=any_dataset)
    if inputs is None and getattr(executor, "client", None) is not None and any_dataset:
        rep.note(
            f"the events of {out} are read on this machine, not on the Dask workers: they read only a "
            "partitioned dataset (--layout partitioned or both) in a folder every worker can reach"
        )
    try:
        corr = correlate(out, config=config, accounts=checked.options.account, inputs=inputs)
    except ConfigError as exc:
        raise InputError(str(exc)) from None
    except (FileNotFoundError, ValueError) as exc:
        raise InputError(str(exc)) from None
    rep.stage("writing findings")
    paths = corr.save(out)
    rid = read_run_id(out / "manifest.json")
    # the last use of correlation's working frames (every web request): let go of them as soon
    # as the attributed rows are taken, before those are ordered and written
    paths["attribution"] = _write_attribution(corr, out, rid, release=True)
    outcome = Outcome(out=out, outputs=dict(paths), findings=corr.findings, run_id=rid, timings=dict(corr.timings))
    return outcome


#: Columns of attribution.parquet: which events the correlation gave to which account.
ATTRIBUTION_SCHEMA = {"row": pl.Int64, "account": pl.String, "session": pl.String, "source": pl.String}


def _write_attribution(corr: Any, out: Path, rid: str | None, *, release: bool = False) -> Path:
    """``attribution.parquet``: every events.parquet row the correlation attributed to an account, and why.

    Web requests get their account from the application session that covers them (the
    exfiltration requests of a stolen session have no user name of their own), application
    events from their login, database events from the session they belong to.

    ``release``: set ``corr.context`` to None once the attributed rows are taken, so that the
    correlation's frames (2 to 3 GB at 10 M events) are gone before those rows are ordered
    (for a caller that has no further use for them, like the command line).
    """
    ctx = corr.context
    frames = []
    if ctx is not None:
        for frame, source in ((ctx.web, "web"), (ctx.app, "app")):
            session = f"session.{source}"
            if {"_row", "account", session} <= set(frame.columns):
                # lazily: the filter reads the three columns kept, not every column of the frame
                # (a copy of the attributed web requests whole was about 1 GB at 10 M events)
                frames.append(
                    frame.lazy()
                    .filter(pl.col("account").is_not_null())
                    .select(
                        pl.col("_row").cast(pl.Int64).alias("row"),
                        pl.col("account"),
                        pl.col(session).alias("session"),
                        pl.lit(source).alias("source"),
                    )
                    .collect()
                )
        db = ctx.db
        sessions = ctx.db_sessions
        if {"_row", "session.db"} <= set(db.columns) and {"session", "account"} <= set(sessions.columns):
            frames.append(
                db.select(pl.col("_row").cast(pl.Int64).alias("row"), pl.col("session.db").alias("session"))
                .join(sessions.select("session", "account"), on="session", how="inner")
                .filter(pl.col("account").is_not_null())
                .select("row", "account", "session", pl.lit("db").alias("source"))
            )
        del db, sessions
    if release:
        corr.context = None
    del ctx
    frame = pl.DataFrame(schema=ATTRIBUTION_SCHEMA)
    if frames:
        # ordered by row then source: the order is computed on those two columns and the rows
        # gathered once, where concatenating then sorting copied every column twice
        whole = pl.concat([f.cast(ATTRIBUTION_SCHEMA) for f in frames], rechunk=False)  # type: ignore[arg-type]
        frame = whole[whole.select(pl.arg_sort_by("row", "source")).to_series()]
    target = out / "attribution.parquet"
    with atomic(target) as tmp:
        frame.write_parquet(tmp, compression="zstd", metadata=parquet_metadata(rid))
    return target


def run_report(checked: Checked, out: Path, target: Path | None = None, reporter: Reporter | None = None) -> Path:
    """Write the report of ``out`` (default ``out/report.html``) with its .sha256."""
    from forensics.report import ReportError, write_report

    rep = reporter or Silent()
    opts = checked.options
    if not (out / "manifest.json").is_file() or not has_events(out):
        raise InputError(f"{out} has no manifest.json and events.parquet: run `forensics ingest` first")
    rep.stage("writing the report")
    try:
        with _guard(out):
            return write_report(
                out,
                target,
                lang=opts.lang,
                title=opts.title,
                analyst=opts.analyst,
                generated_at=opts.generated_at,
                config=opts.config if opts.config is not None else None,
                command_line=list(opts.command_line) if opts.command_line is not None else None,
                keep_secrets=opts.keep_secrets,
            )
    except AppError:
        raise
    except ReportError as exc:
        if "mixes the outputs of different runs" in str(exc):
            raise OutputRefused(str(exc)) from None
        raise ReportNotWritten(f"the report could not be written: {exc}") from None
    except ConfigError as exc:
        raise InputError(str(exc)) from None
    except Exception as exc:  # the findings stay written; the failure is named, not hidden
        raise ReportNotWritten(f"the report could not be written: {type(exc).__name__}: {exc}") from exc


def run_investigate(checked: Checked, reporter: Reporter | None = None, *, report: bool = True) -> Outcome:
    """The whole job: ingest, correlate, report, in one output folder under one lock."""
    rep = reporter or Silent()
    opts = checked.options
    out = _out_of(opts)
    started = time.monotonic()
    with _guard(out), _executor(opts) as executor:
        # one executor (one cluster connection) for the ingest and the correlation
        rep.stage("reading the evidence")
        outcome = _outcome_of(_ingest(replace(checked, options=replace(opts, executor=executor)), out, rep))
        outcome.notes += checked.window.notes()
        corr = _correlate(replace(checked, options=replace(opts, config=checked.config)), out, rep, executor)
        outcome.outputs.update(corr.outputs)
        outcome.findings = corr.findings
        outcome.timings = corr.timings
        if report:
            outcome.report = run_report(replace(checked, options=replace(opts, config=checked.config)), out, None, rep)
            outcome.outputs["report"] = outcome.report
    outcome.timings["run"] = round(time.monotonic() - started, 3)
    return outcome


def export_window(out: Path, since: str | None, until: str | None) -> Window:
    """The window of an export: dates without a zone are read in the case zone the manifest recorded."""
    import json

    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    zone = (manifest.get("config") or {}).get("timezone")
    try:
        return parse_window(since, until, zone=zone, zone_origin="case zone")
    except WindowError as exc:
        raise UsageError(str(exc)) from None


# -- the notebook face: the same options, as keyword arguments ---------------------------------


def investigate(
    evidence: Path | str | Sequence[Path | str],
    out: Path | str | None = None,
    *,
    config: CaseConfig | Path | str | None = None,
    account: Sequence[str] | str = (),
    format: str | None = None,
    tz: str | None = None,
    lang: str = "en",
    memory: int | None = None,
    since: str | None = None,
    until: str | None = None,
    force: bool = False,
    quiet: bool = False,
    keep_secrets: bool = False,
    executor: Any = "local",
    scheduler: str | None = None,
    layout: str = DEFAULT_LAYOUT,
    progress: Reporter | Callable[[int, int, str], None] | None = None,
) -> Any:
    """Ingest, correlate and report, as ``forensics investigate`` does; return the ``Case`` of ``out``.

    Every keyword is the command's option of the same name (``memory`` in MiB).  Without
    ``out`` the outputs go to a new temporary folder.  Progress goes to stderr unless
    ``quiet``; ``progress`` replaces it.  Raises ``UsageError``/``InputError``/``OutputRefused``/
    ``ReportNotWritten`` (all ``AppError``); a case where no file was recognised is returned
    (``case.nothing_read`` is True) with a warning.
    """
    opts = Options.of(
        evidence,
        out=out,
        config=config,
        account=account,
        format=format,
        tz=tz,
        lang=lang,
        memory=memory,
        since=since,
        until=until,
        force=force,
        quiet=quiet,
        executor=executor,
        scheduler=scheduler,
        layout=layout,
        keep_secrets=keep_secrets,
    )
    checked = check(opts)
    if opts.out is None:
        checked = replace(checked, options=replace(opts, out=_out_of(opts)))
    outcome = run_investigate(checked, _reporter(progress, quiet))
    return _case(outcome, checked)


def ingest_only(
    evidence: Path | str | Sequence[Path | str],
    out: Path | str | None = None,
    *,
    config: CaseConfig | Path | str | None = None,
    format: str | None = None,
    tz: str | None = None,
    memory: int | None = None,
    since: str | None = None,
    until: str | None = None,
    force: bool = False,
    quiet: bool = False,
    executor: Any = "local",
    scheduler: str | None = None,
    layout: str = DEFAULT_LAYOUT,
    progress: Reporter | Callable[[int, int, str], None] | None = None,
) -> Any:
    """Read the evidence only (``forensics ingest``): events, rejects and manifest; return the ``Case``."""
    opts = Options.of(
        evidence,
        out=out,
        config=config,
        format=format,
        tz=tz,
        memory=memory,
        since=since,
        until=until,
        force=force,
        quiet=quiet,
        executor=executor,
        scheduler=scheduler,
        layout=layout,
    )
    checked = check(opts)
    if opts.out is None:
        checked = replace(checked, options=replace(opts, out=_out_of(opts)))
    outcome = run_ingest(checked, _reporter(progress, quiet))
    return _case(outcome, checked)


def _case(outcome: Outcome, checked: Checked) -> Any:
    import warnings

    from forensics.case import Case

    problem = outcome.problem()
    if problem is not None:
        warnings.warn(problem.message, stacklevel=3)
    return Case(outcome.out, config=checked.config)


def _reporter(progress: Reporter | Callable[[int, int, str], None] | None, quiet: bool) -> Reporter:
    if progress is not None:
        if hasattr(progress, "stage") and hasattr(progress, "note"):
            return progress  # type: ignore[return-value]
        return _Wrapped(progress)
    if quiet:
        return Silent()
    from forensics.term import Progress

    return Progress("ingest")


class _Wrapped(Silent):
    """A bare ``progress(done, total, item)`` callable used as a Reporter."""

    def __init__(self, fn: Callable[[int, int, str], None]) -> None:
        self.fn = fn

    def __call__(self, done: int, total: int, item: str) -> None:
        self.fn(done, total, item)


__all__ = [
    "EXIT_CODES",
    "AppError",
    "Checked",
    "ExitCode",
    "InputError",
    "NothingRecognised",
    "Options",
    "Outcome",
    "OutputRefused",
    "ReportNotWritten",
    "Reporter",
    "UsageError",
    "check",
    "export_window",
    "ingest_only",
    "investigate",
    "run_correlate",
    "run_ingest",
    "run_investigate",
    "run_report",
]

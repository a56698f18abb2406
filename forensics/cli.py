"""The ``forensics`` command: a thin layer of option parsing over ``forensics.app``.

Each command builds one ``Options``, has ``app.check`` validate it before any work starts,
and calls one runner; an ``AppError`` becomes ``error: ...`` on stderr and its exit code
(the table is in ``forensics --help`` and docs/getting-started.md).  Progress, notes and
warnings go to stderr; tables and the paths written go to stdout; ``-q`` keeps only errors
and the paths.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

import forensics.allocator  # noqa: F401  (first of the project: jemalloc's options, set before polars loads)
from forensics import app as front
from forensics._version import __version__
from forensics.app import EXIT_CODES, AppError, ExitCode, Options, Outcome
from forensics.dataset import has_events, scan_events
from forensics.export import export_events
from forensics.intake.detect import detect_file
from forensics.intake.walk import walk
from forensics.outputs import atomic
from forensics.term import Progress, safe, stderr, stdout, table
from forensics.time.second_pass import source_time_warnings
from parsers.base import load_all

EPILOG = "Exit status:\n\n\b\n" + "\n".join(f"  {int(code)}  {text}" for code, text in EXIT_CODES.items())

app = typer.Typer(
    name="forensics",
    help="Reconstruct the timeline of an intrusion from web, database and application logs.",
    epilog=EPILOG,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _fail(message: str, code: int = ExitCode.USAGE) -> NoReturn:
    stderr().print(f"error: {safe(message)}", markup=False, soft_wrap=True)
    raise typer.Exit(int(code))


def _version(value: bool) -> None:
    if value:
        stdout().print(f"forensic-timeline {__version__}", markup=False)
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", callback=_version, is_eager=True)
    ] = False,
) -> None:
    """Reconstruct the timeline of an intrusion from web, database and application logs."""


def _call(fn: Callable[[], Any]) -> Any:
    """Run one front-door call; an AppError becomes its message on stderr and its exit code."""
    try:
        return fn()
    except AppError as exc:
        _fail(exc.message, exc.code)


#: Options shared by several commands (one definition, one help text each).
MemoryOption = Annotated[
    int | None,
    typer.Option(
        "--memory",
        min=0,
        help="MiB of parsed events held in memory before they go to disk (default 1024; 0: always disk).",
    ),
]
ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="Case config (case.toml).")]
TzOption = Annotated[str | None, typer.Option("--tz", help="Zone of naive timestamps when the config gives none.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors and the paths written.")]
SinceOption = Annotated[
    str | None,
    typer.Option(
        "--since",
        help="Keep events from this time on (inclusive), e.g. 2024-10-25, '25/10/2024 14:00', "
        "'2024-10-25 14:00 +02:00'. Without a zone: the case zone, else --tz, else UTC (said on stderr).",
    ),
]
UntilOption = Annotated[
    str | None,
    typer.Option("--until", help="Keep events up to this time (inclusive; a date alone means the end of that day)."),
]
ForceOption = Annotated[
    bool,
    typer.Option("--force", help="Remove outputs of another run found in OUT (each is named) instead of refusing."),
]
AccountOption = Annotated[list[str] | None, typer.Option("--account", "-a", help="An account to examine (repeatable).")]
LangOption = Annotated[str, typer.Option("--lang", help="Language of the report: en or fr.")]
ExecutorOption = Annotated[
    str,
    typer.Option(
        "--executor",
        help="Where files are parsed: local (this process) or dask (a Dask cluster; "
        "pip install 'forensic-timeline[dask]'). See docs/scale.md.",
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="With --executor dask: the scheduler's address (tcp://HOST:8786), or local to start a "
        "LocalCluster on this machine's cores. Default: DASK_SCHEDULER_ADDRESS, else local.",
    ),
]
CorrelateExecutorOption = Annotated[
    str,
    typer.Option(
        "--executor",
        help="Where correlation reads the events: local (this process) or dask (the Dask workers, one UTC "
        "day per task, when OUT holds the partitioned dataset and every worker reaches OUT). See docs/scale.md.",
    ),
]
LayoutOption = Annotated[
    str,
    typer.Option(
        "--layout",
        help="The event table: single (OUT/events.parquet), partitioned (OUT/events/source=.../day=.../"
        "part-SHA.parquet, for DuckDB, Spark, Trino) or both.",
    ),
]


def _reporter(quiet: bool) -> Progress:
    return Progress("ingest", not quiet)


#: ``--keep-secrets`` of report and export: passwords, keys and session cookies found in the
#: logs are masked unless asked (see forensics.redact).
KeepSecretsOption = Annotated[
    bool,
    typer.Option(
        "--keep-secrets",
        help="Show passwords, API keys, Authorization values and session cookies found in the logs as written "
        "(default: masked as [REDACTED]).",
    ),
]


@app.command("ingest")
def ingest_cmd(
    evidence: Annotated[list[Path], typer.Argument(help="Evidence folder (or files).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (outside the evidence).")],
    config: ConfigOption = None,
    format: Annotated[str | None, typer.Option("--format", "-f", help="Force one parser for every file.")] = None,
    tz: TzOption = None,
    quiet: QuietOption = False,
    memory: MemoryOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    force: ForceOption = False,
    executor: ExecutorOption = "local",
    scheduler: SchedulerOption = None,
    layout: LayoutOption = "single",
) -> None:
    """Parse every log under EVIDENCE into OUT/events.parquet, rejects.parquet and manifest.json."""
    opts = Options.of(
        evidence,
        out=out,
        config=config,
        format=format,
        tz=tz,
        quiet=quiet,
        memory=memory,
        since=since,
        until=until,
        force=force,
        command_line=sys.argv,
        executor=executor,
        scheduler=scheduler,
        layout=layout,
    )
    checked = _call(lambda: front.check(opts))
    progress = _reporter(quiet)
    outcome: Outcome = _call(lambda: front.run_ingest(checked, progress))
    progress.finish()
    if not quiet:
        _notes(outcome)
        print_summary(outcome.manifest or {})
    _print_outputs(outcome.outputs)
    _end(outcome)


def _notes(outcome: Outcome) -> None:
    for line in outcome.notes:
        stderr().print(f"note: {safe(line)}", markup=False, soft_wrap=True)


def _end(outcome: Outcome) -> None:
    problem = outcome.problem()
    if problem is not None:
        _fail(problem.message, problem.code)


def print_summary(manifest: dict) -> None:
    """The short table at the end of an ingest, then warnings (zones assumed, skew, damage)."""
    rows = []
    for f in manifest["files"]:
        rows.append(
            [f["path"], f["parser"] or "unrecognised", f["lines_read"], f["events"], f["rejects"], f["zone"] or ""]
        )
    console = stdout()
    if len(rows) > 25:
        by_parser: dict[str, list[int]] = {}
        for r in rows:
            acc = by_parser.setdefault(str(r[1]), [0, 0, 0, 0])
            acc[0] += 1
            acc[1] += int(r[2])
            acc[2] += int(r[3])
            acc[3] += int(r[4])
        console.print(
            table(
                "Parsed",
                ["format", "files", "lines", "events", "rejects"],
                [[k, *v] for k, v in sorted(by_parser.items())],
            )
        )
    else:
        console.print(table("Parsed", ["file", "format", "lines", "events", "rejects", "zone"], rows))
    t = manifest["totals"]
    console.print(
        table(
            "Totals",
            ["files", "unrecognised", "events", "rejects", "first (UTC)", "last (UTC)"],
            [
                [
                    t["files"],
                    t["files_unrecognised"],
                    t["events"],
                    t["rejects"],
                    t["time_first"] or "-",
                    t["time_last"] or "-",
                ]
            ],
        )
    )
    err = stderr()
    # time first, one line per source, never cut: a zone assumed or a clock off by more than 1 s
    timed = [w for s in manifest.get("sources", []) for w in source_time_warnings(s)]
    for w in timed:
        err.print(f"warning: {safe(w)}", markup=False)
    rest = [w for w in manifest["warnings"] if w not in set(timed)]
    for w in rest[:50]:
        err.print(f"warning: {safe(w)}", markup=False)
    if len(rest) > 50:
        err.print(f"warning: ... {len(rest) - 50} more in manifest.json", markup=False)


def print_findings(findings: dict) -> None:
    """The short verdict after a correlation: accounts, attack window, addresses, backdoors."""
    console = stdout()
    rows = [
        [a["account"], a["verdict"], f"{a['score']:.2f}", a["first_malicious"] or "-", ", ".join(a["source_ips"][:4])]
        for a in findings["accounts"][:15]
    ]
    if rows:
        console.print(
            table("Accounts (most suspicious first)", ["account", "verdict", "score", "first malicious", "from"], rows)
        )
    attack = findings["attack"]
    ips = findings["attacker_ips"]
    console.print(
        table(
            "Attack",
            ["first seen (UTC)", "last seen (UTC)", "attacker addresses", "accounts created", "findings"],
            [
                [
                    attack["first_seen"] or "-",
                    attack["last_seen"] or "-",
                    (", ".join(ips[:6]) + (f" (+{len(ips) - 6})" if len(ips) > 6 else "")) or "none",
                    ", ".join(findings["created_accounts"]) or "none",
                    len(findings["findings"]),
                ]
            ],
        )
    )


def _print_outputs(paths: dict[str, Path]) -> None:
    console = stdout()
    for name, path in paths.items():
        console.print(f"{name}: {safe(path)}", markup=False, soft_wrap=True)


@app.command("correlate")
def correlate_cmd(
    out_dir: Annotated[Path, typer.Argument(help="An ingest output folder (with events.parquet).")],
    account: AccountOption = None,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Case config (default: the one the ingest recorded).")
    ] = None,
    quiet: QuietOption = False,
    force: ForceOption = False,
    executor: CorrelateExecutorOption = "local",
    scheduler: SchedulerOption = None,
) -> None:
    """Link sessions across sources, run the detectors, and write findings.json next to the events."""
    opts = Options.of(
        (),
        out=out_dir,
        config=config,
        account=tuple(account or ()),
        quiet=quiet,
        force=force,
        executor=executor,
        scheduler=scheduler,
    )
    checked = _call(lambda: front.check(opts, needs_evidence=False))
    progress = _reporter(quiet)
    outcome: Outcome = _call(lambda: front.run_correlate(checked, out_dir, progress))
    progress.finish()
    if not quiet:
        print_findings(outcome.findings or {})
    _print_outputs(outcome.outputs)


@app.command("investigate")
def investigate_cmd(
    evidence: Annotated[list[Path], typer.Argument(help="Evidence folder (or files).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (outside the evidence).")],
    config: ConfigOption = None,
    account: AccountOption = None,
    format: Annotated[str | None, typer.Option("--format", "-f", help="Force one parser for every file.")] = None,
    tz: TzOption = None,
    quiet: QuietOption = False,
    lang: LangOption = "en",
    memory: MemoryOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    force: ForceOption = False,
    keep_secrets: KeepSecretsOption = False,
    executor: ExecutorOption = "local",
    scheduler: SchedulerOption = None,
    layout: LayoutOption = "single",
) -> None:
    """Ingest EVIDENCE, correlate it and write the report: everything in OUT."""
    opts = Options.of(
        evidence,
        out=out,
        config=config,
        account=tuple(account or ()),
        format=format,
        tz=tz,
        quiet=quiet,
        lang=lang,
        memory=memory,
        since=since,
        until=until,
        force=force,
        command_line=sys.argv,
        keep_secrets=keep_secrets,
        executor=executor,
        scheduler=scheduler,
        layout=layout,
    )
    checked = _call(lambda: front.check(opts))
    progress = _reporter(quiet)
    try:
        outcome: Outcome = front.run_investigate(checked, progress)
    except front.ReportNotWritten as exc:
        progress.finish()
        stdout().print(f"findings: {safe(out / 'findings.json')}", markup=False, soft_wrap=True)
        _fail(exc.message, exc.code)
    except AppError as exc:
        progress.finish()
        _fail(exc.message, exc.code)
    progress.finish()
    if not quiet:
        _notes(outcome)
        print_summary(outcome.manifest or {})
        print_findings(outcome.findings or {})
    _print_outputs({k: v for k, v in outcome.outputs.items() if k != "report"})
    stdout().print(f"outputs are in {safe(outcome.out)}", markup=False, soft_wrap=True)
    if outcome.report is not None:
        stdout().print(f"report: {safe(outcome.report)}", markup=False, soft_wrap=True)
    _end(outcome)


@app.command("formats")
def formats_cmd() -> None:
    """List the log formats this tool reads."""
    rows = [[name, cls.description(), ", ".join(cls.option_keys)] for name, cls in load_all().items()]
    stdout().print(table("Formats", ["name", "description", "options"], rows))


@app.command("detect")
def detect_cmd(paths: Annotated[list[Path], typer.Argument(help="Files or folders to sniff.")]) -> None:
    """Print the parser detection would choose for each file, with its score."""
    rows = []
    for p in paths:
        if p.is_dir():
            files, _ = walk(p)
            targets = [(f.path, f.relpath) for f in files]
        else:
            targets = [(p, str(p))]
        for path, label in targets:
            d = detect_file(path)
            others = ", ".join(f"{n}={s:.2f}" for n, s in d.candidates[1:4])
            inferred = ", ".join(f"{k}={v!r}" for k, v in d.inferred.items())
            rows.append([label, d.parser or "unrecognised", f"{d.score:.2f}", inferred, others])
    stdout().print(table("Detection", ["file", "format", "score", "inferred", "other candidates"], rows))


@app.command("export")
def export_cmd(
    out_dir: Annotated[Path, typer.Argument(help="An ingest output folder.")],
    to: Annotated[str, typer.Option("--to", help="jsonl, csv or timesketch.")] = "jsonl",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write.")] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    keep_secrets: KeepSecretsOption = False,
) -> None:
    """Export the events of an ingest for other tools (CSV cells are formula-safe, secrets masked)."""
    if to not in {"jsonl", "csv", "timesketch"}:
        _fail(f"--to must be jsonl, csv or timesketch, not {to!r}")
    if not has_events(out_dir):
        _fail(f"{out_dir / 'events.parquet'} not found: run `forensics ingest` first", ExitCode.UNREADABLE)
    window = _call(lambda: front.export_window(out_dir, since, until))
    for line in window.notes():
        stderr().print(f"note: {safe(line)}", markup=False, soft_wrap=True)
    suffix = {"jsonl": ".jsonl", "csv": ".csv", "timesketch": ".timesketch.csv"}[to]
    target = output or out_dir / f"events{suffix}"
    with atomic(target) as tmp:
        export_events(window.apply(scan_events(out_dir)).collect(), to, tmp, keep_secrets=keep_secrets)
    stdout().print(f"written: {safe(target)}", markup=False)


@app.command("simulate")
def simulate_cmd(
    out_dir: Annotated[Path, typer.Argument(help="Folder to create (must be empty unless --force).")],
    scale: Annotated[
        float, typer.Option("--scale", help="Share of the normal traffic volume (1.0 is about 1.4 M web lines).")
    ] = 0.1,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Random seed (the same seed and scale give the same bytes).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Empty OUT_DIR first if it is not empty.")] = False,
    app_name: Annotated[
        str, typer.Option("--app", help="Application: mediboard (the sample case) or generic (a REST back end).")
    ] = "mediboard",
    scenario: Annotated[
        list[str] | None,
        typer.Option(
            "--scenario",
            help="Route to an account (repeatable; none for a quiet week), on either application: password_spraying, "
            "credential_stuffing, brute_force, session_hijacking, stolen_api_key, insider, privilege_escalation, "
            "backdoor_account, concurrent_use. Mediboard also plays sample (the sample case's attack, the default, "
            "alone).",
        ),
    ] = None,
    audit_format: Annotated[
        str, typer.Option("--audit-format", help="Audit trail of the generic application: jsonl or csv.")
    ] = "jsonl",
) -> None:
    """Write an invented case (evidence tree, case.toml, ground_truth.json) into OUT_DIR."""
    from forensics.simulate.__main__ import main as simulate_main

    argv = [str(out_dir), "--scale", str(scale), "--app", app_name, "--audit-format", audit_format]
    for name in scenario or []:
        argv += ["--scenario", name]
    if seed is not None:
        argv += ["--seed", str(seed)]
    if force:
        argv.append("--force")
    code = simulate_main(argv)
    if code:
        raise typer.Exit(code)


@app.command("report")
def report_cmd(
    out_dir: Annotated[Path, typer.Argument(help="An ingest (and correlate) output folder.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="HTML file to write.")] = None,
    lang: LangOption = "en",
    title: Annotated[str | None, typer.Option("--title", help="Title (default: from the case name).")] = None,
    analyst: Annotated[str | None, typer.Option("--analyst", help="Analyst named in the report.")] = None,
    generated_at: Annotated[
        str | None,
        typer.Option("--generated-at", help="ISO time written as the generation time (reproducible output)."),
    ] = None,
    keep_secrets: KeepSecretsOption = False,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also print it to a PDF beside it (headless Chromium), with its .sha256.")
    ] = False,
) -> None:
    """Write the attack-timeline report (one self-contained HTML file) and its .sha256."""
    opts = Options.of(
        (),
        out=out_dir,
        lang=lang,
        title=title,
        analyst=analyst,
        generated_at=generated_at,
        command_line=sys.argv,
        keep_secrets=keep_secrets,
    )
    checked = _call(lambda: front.check(opts, needs_evidence=False))
    path = _call(lambda: front.run_report(checked, out_dir, output))
    stdout().print(f"written: {safe(path)}", markup=False)
    stdout().print(f"sha256: {safe(path.with_name(path.name + '.sha256'))}", markup=False)
    if pdf:
        from forensics.report.pdf import ChromiumError, write_pdf

        try:
            printed = write_pdf(path, path.with_suffix(".pdf"))
        except ChromiumError as exc:
            _fail(str(exc), ExitCode.REPORT_NOT_WRITTEN)
            return
        stdout().print(f"pdf: {safe(printed)}", markup=False)


def main() -> None:
    app()


if __name__ == "__main__":
    main()

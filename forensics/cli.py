"""The ``forensics`` command: a thin layer of option parsing over the library."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from forensics import __version__
from forensics.config import ConfigError
from forensics.detect import detect_file
from forensics.evidence import walk
from forensics.export import export_events
from forensics.ingest import IngestError, ingest
from forensics.term import Progress, safe, stderr, stdout, table
from forensics.timing import source_time_warnings
from parsers.base import load_all

app = typer.Typer(
    name="forensics",
    help="Reconstruct the timeline of an intrusion from web, database and application logs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(message: str) -> None:
    stderr().print(f"error: {safe(message)}", markup=False)
    raise typer.Exit(2)


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False) -> None:
    if version:
        stdout().print(f"forensic-timeline {__version__}", markup=False)
        raise typer.Exit()


#: ``--memory`` of ingest and investigate (one definition, one help text).
MemoryOption = Annotated[
    int | None,
    typer.Option(
        "--memory",
        min=0,
        help="MiB of parsed events held in memory before they go to disk (default 1024; 0: always disk).",
    ),
]


@app.command("ingest")
def ingest_cmd(
    evidence: Annotated[list[Path], typer.Argument(help="Evidence folder (or files).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (outside the evidence).")],
    config: Annotated[Path | None, typer.Option("--config", "-c", help="Case config (case.toml).")] = None,
    format: Annotated[str | None, typer.Option("--format", "-f", help="Force one parser for every file.")] = None,
    tz: Annotated[str | None, typer.Option("--tz", help="Zone of naive timestamps when the config gives none.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    memory: MemoryOption = None,
) -> None:
    """Parse every log under EVIDENCE into OUT/events.parquet, rejects.parquet and manifest.json."""
    try:
        result = ingest(
            evidence,
            out,
            config=config,
            format=format,
            tz=tz,
            progress=Progress("ingest", not quiet),
            command_line=sys.argv,
            memory_budget=None if memory is None else memory << 20,
        )
    except (ConfigError, IngestError, KeyError) as exc:
        _fail(exc.args[0] if exc.args else str(exc))
        return
    print_summary(result.manifest)
    stdout().print(f"events: {safe(result.events_path)}", markup=False)


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
    account: Annotated[
        list[str] | None, typer.Option("--account", "-a", help="An account to examine (repeatable).")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Case config (default: the one the ingest recorded).")
    ] = None,
) -> None:
    """Link sessions across sources, run the detectors, and write findings.json next to the events."""
    from forensics.correlate import correlate

    try:
        result = correlate(out_dir, config=config, accounts=tuple(account or ()))
    except (ConfigError, FileNotFoundError, ValueError) as exc:
        _fail(str(exc))
        return
    paths = result.save(out_dir)
    print_findings(result.findings)
    _print_outputs(paths)


@app.command("investigate")
def investigate_cmd(
    evidence: Annotated[list[Path], typer.Argument(help="Evidence folder (or files).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (outside the evidence).")],
    config: Annotated[Path | None, typer.Option("--config", "-c", help="Case config (case.toml).")] = None,
    account: Annotated[
        list[str] | None, typer.Option("--account", "-a", help="An account to examine (repeatable).")
    ] = None,
    tz: Annotated[str | None, typer.Option("--tz", help="Zone of naive timestamps when the config gives none.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    lang: Annotated[str, typer.Option("--lang", help="Language of the report: en or fr.")] = "en",
    memory: MemoryOption = None,
) -> None:
    """Ingest EVIDENCE, correlate it and write the report: everything in OUT."""
    from forensics.correlate import investigate

    try:
        inv = investigate(
            evidence,
            out,
            config=config,
            accounts=tuple(account or ()),
            tz=tz,
            progress=Progress("ingest", not quiet),
            command_line=sys.argv,
            lang=lang,
            memory_budget=None if memory is None else memory << 20,
        )
    except (ConfigError, IngestError, KeyError, FileNotFoundError, ValueError) as exc:
        _fail(exc.args[0] if exc.args else str(exc))
        return
    print_summary(inv.ingest.manifest)
    print_findings(inv.correlation.findings)
    if inv.report_error:
        stderr().print(f"warning: the report could not be written: {safe(inv.report_error)}", markup=False)
    elif inv.report is None:
        stderr().print("note: no HTML report (the report module is not installed)", markup=False)
    _print_outputs({k: v for k, v in inv.outputs.items() if k != "report"})
    stdout().print(f"outputs are in {safe(inv.ingest.out_dir)}", markup=False, soft_wrap=True)
    if inv.report is not None:
        stdout().print(f"report: {safe(inv.report)}", markup=False, soft_wrap=True)


@app.command("formats")
def formats_cmd() -> None:
    """List the log formats this tool reads."""
    rows = [[name, cls.description()] for name, cls in load_all().items()]
    stdout().print(table("Formats", ["name", "description"], rows))


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
            rows.append([label, d.parser or "unrecognised", f"{d.score:.2f}", others])
    stdout().print(table("Detection", ["file", "format", "score", "other candidates"], rows))


@app.command("export")
def export_cmd(
    out_dir: Annotated[Path, typer.Argument(help="An ingest output folder.")],
    to: Annotated[str, typer.Option("--to", help="jsonl, csv or timesketch.")] = "jsonl",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write.")] = None,
) -> None:
    """Export the events of an ingest for other tools (CSV cells are formula-safe)."""
    events_path = out_dir / "events.parquet"
    if not events_path.is_file():
        _fail(f"{events_path} not found: run `forensics ingest` first")
    if to not in {"jsonl", "csv", "timesketch"}:
        _fail(f"--to must be jsonl, csv or timesketch, not {to!r}")
    suffix = {"jsonl": ".jsonl", "csv": ".csv", "timesketch": ".timesketch.csv"}[to]
    target = output or out_dir / f"events{suffix}"
    export_events(pl.read_parquet(events_path), to, target)
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
) -> None:
    """Write the invented sample case (evidence tree, case.toml, ground_truth.json) into OUT_DIR."""
    from forensics.simulate.__main__ import main as simulate_main

    argv = [str(out_dir), "--scale", str(scale)]
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
    lang: Annotated[str, typer.Option("--lang", help="Language of the report: en or fr.")] = "en",
    title: Annotated[str | None, typer.Option("--title", help="Title (default: from the case name).")] = None,
    analyst: Annotated[str | None, typer.Option("--analyst", help="Analyst named in the report.")] = None,
    generated_at: Annotated[
        str | None,
        typer.Option("--generated-at", help="ISO time written as the generation time (reproducible output)."),
    ] = None,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also print it to a PDF beside it (headless Chromium), with its .sha256.")
    ] = False,
) -> None:
    """Write the attack-timeline report (one self-contained HTML file) and its .sha256."""
    from forensics.report import ReportError, write_report

    try:
        path = write_report(
            out_dir,
            output,
            lang=lang,
            title=title,
            analyst=analyst,
            generated_at=generated_at,
            command_line=sys.argv,
        )
    except (ReportError, ConfigError) as exc:
        _fail(str(exc))
        return
    stdout().print(f"written: {safe(path)}", markup=False)
    stdout().print(f"sha256: {safe(path.with_name(path.name + '.sha256'))}", markup=False)
    if pdf:
        from forensics.report.pdf import ChromiumError, write_pdf

        try:
            printed = write_pdf(path, path.with_suffix(".pdf"))
        except ChromiumError as exc:
            _fail(str(exc))
            return
        stdout().print(f"pdf: {safe(printed)}", markup=False)


def main() -> None:
    app()


if __name__ == "__main__":
    main()

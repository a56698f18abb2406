"""What the report says, in which order, in which language; and that it is reproducible."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from forensics.report import Report, ReportError, build_report, write_report
from forensics.report.model import read_findings
from tests.report.conftest import FINDINGS, GENERATED_AT
from tests.report.htmlscan import parse

ROOT = Path(__file__).resolve().parents[2]


def _text(report: Report) -> str:
    """The displayed text, one space between elements and runs of blanks collapsed."""
    return re.sub(r"\s+", " ", " ".join(parse(report.html).text))


def _unstamped(html: str) -> str:
    """The page without its content hash (the running header's stylesheet and the policy that names it)."""
    html = re.sub(r'<style id="print-furniture">.*?</style>', "", html, flags=re.S)
    return re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)


def test_sections_in_the_issue_order(report_en: Report) -> None:
    ids = re.findall(r'<h2 id="(s\d+)">', report_en.html)
    assert ids == [f"s{i}" for i in range(1, 12)]
    text = _text(report_en)
    titles = [
        "Identification",
        "Executive summary",
        "Attack timeline",
        "Phases of the attack",
        "Findings",
        "Accounts",
        "Exfiltration estimate",
        "Indicators",
        "Time statement",
        "Coverage and limitations",
        "Notification aid (GDPR art. 33)",
    ]
    headings = re.findall(r'<h2 id="s\d+"><span class="num">(\d+)</span> ([^<]+)</h2>', report_en.html)
    assert headings == [(str(i), t) for i, t in enumerate(titles, 1)]
    assert text.index("1 Identification") < text.index("2 Executive summary") < text.index("11 Notification aid")
    # the annexes follow the body, folded: every finding's lines, sessions and links, the manifest
    annexes = re.findall(r'<details class="annex[^"]*" id="(a\d)">', report_en.html)
    assert annexes == ["a1", "a2", "a3"]
    assert text.index("11 Notification aid") < text.index("A Findings in full") < text.index("C Evidence manifest")


def test_identification(report_en: Report, case_out: Path) -> None:
    text = _text(report_en)
    manifest = json.loads((case_out / "manifest.json").read_text())
    assert "forensics ingest evidence -o out --config case.toml" in text
    assert "forensics correlate out" in text
    assert manifest["config"]["sha256"] in text
    assert hashlib.sha256((case_out / "manifest.json").read_bytes()).hexdigest() in text
    assert "forensic-timeline 0.1.0" in text
    assert "C. Durand (CSIRT Santé Exemple)" in text
    assert "2024-10-29 09:00:00 +01:00" in text and "2024-10-29 08:00:00 UTC" in text


def test_summary_answers_the_questions(report_en: Report) -> None:
    text = _text(report_en)
    lead = text[text.index("The account adm.interop") :][:1200]
    # times with their seconds: 23:01:59 is not 23:02
    assert "25 October 2024, 03:12:41 to 27 October 2024, 04:05:40 (Paris time)" in lead
    assert "24 October 2024, 23:02:00" in lead  # first sign of the attack
    assert "password spraying" in lead
    assert "203.0.113[.]10 – 203.0.113[.]19" in lead
    assert "About 118,412 records (254.4 MB)" in lead
    assert "support.xtrem" in lead
    assert "Still to be confirmed" in lead and "F-008" in lead
    for label in ("Which account", "Since when", "From where", "How the attacker got in", "What was taken"):
        assert label in text
    assert "Persistence left" in text and "Still uncertain" in text


def test_findings_show_basis_reasoning_and_raw_lines(report_en: Report) -> None:
    html = report_en.html
    assert html.count('class="basis basis-observed"') >= 2  # legend + F-002, F-006
    assert 'class="basis basis-inferred"' in html and 'class="basis basis-derived"' in html
    text = _text(report_en)
    # the raw line of F-002's first citation, quoted from events.parquet, escaped
    assert '"POST /mediboard/index.php HTTP/1.1" 200 48211' in text
    assert "app01/apache2/access.log.2.gz" in text
    assert "the new-user form (user_id=0) was opened" in text
    assert "not found in events.parquet" not in text


def test_every_citation_of_the_fixture_resolves(case_out: Path) -> None:
    findings = read_findings(FINDINGS)
    assert not findings.problems
    events = pl.read_parquet(case_out / "events.parquet", columns=["log.file.path", "log.file.line"])
    cited = {(e.file, e.line) for f in findings.findings for e in f.evidence}
    found = set(
        events.filter(
            pl.struct("log.file.path", "log.file.line").is_in(
                [{"log.file.path": a, "log.file.line": b} for a, b in cited]
            )
        ).iter_rows()
    )
    assert cited == found


def test_phases_table_has_attack_ids_and_times(report_en: Report) -> None:
    text = _text(report_en)
    section = text[text.index("4 Phases of the attack") : text.index("5 Findings")]
    for tid in ("T1110.003", "T1078", "T1087", "T1213", "T1030", "T1136.001", "T1090.003"):
        assert tid in section
    assert "attack.mitre.org/techniques/T1136/001" in section
    assert "2024-10-24 23:02:00 +02:00" in section and "2024-10-24 21:02:00 UTC" in section


def test_indicators_are_defanged(report_en: Report) -> None:
    text = _text(report_en)
    section = text[text.index("8 Indicators") : text.index("9 Time statement")]
    assert "203.0.113[.]201" in section and "203.0.113[.]14" in section
    assert not re.search(r"\b203\.0\.113\.\d+\b", section)
    assert "python-requests/2.32.3" in section
    assert "support.xtrem" in section


def test_manifest_section(report_en: Report, case_out: Path) -> None:
    manifest = json.loads((case_out / "manifest.json").read_text())
    text = _text(report_en)
    for f in manifest["files"]:
        assert f["path"] in text and f["sha256_before"] in text
    assert "+3.0 s" in text  # app01 clock correction


def test_time_statement_and_dst(report_en: Report) -> None:
    text = _text(report_en)
    section = text[text.index("9 Time statement") : text.index("10 Coverage")]
    assert "Europe/Paris" in section
    assert "clocks in Europe/Paris went back from 03:00 to 02:00" in section
    assert "+3.0 s (case configuration)" in section


def test_coverage_gap_is_called_out(report_en: Report) -> None:
    text = _text(report_en)
    section = text[text.index("10 Coverage and limitations") : text.index("11 Notification")]
    # from the source's last event before the silence to its first after
    assert re.search(
        r"app01/apache2/access\.log 2024-10-24 12:5\d:\d\d \+02:00 2024-10-24 10:5\d:\d\d UTC "
        r"2024-10-24 1[34]:0\d:\d\d \+02:00 2024-10-24 1[12]:0\d:\d\d UTC",
        section,
    ), section[:1500]
    assert "events per hour" in section


def test_notification_deadline_in_case_zone(report_en: Report, report_fr: Report) -> None:
    text = _text(report_en)
    section = text[text.index("11 Notification aid") : text.index("End of report")]
    assert "28 October 2024 at 11:30:00 Paris time (UTC+01:00; 10:30:00 UTC)" in section
    assert "31 October 2024 at 11:30:00 Paris time (UTC+01:00; 10:30:00 UTC)" in section
    assert "about 118,412 (between 118,401 and 118,412)" in section
    # people: the distinct patient records of the estimate, not the records named by number
    assert "about 118,412 patients (distinct patient records exposed, between 118,401 and 118,412" in section
    fr = _text(report_fr)
    assert "31 octobre 2024 à 11:30:00 heure de Paris (UTC+01:00 ; 10:30:00 UTC)" in fr


def test_french_report(report_fr: Report) -> None:
    text = _text(report_fr)
    for words in ("Synthèse", "Constats", "Inventaire des preuves", "Aide à la notification (RGPD, art. 33)"):
        assert words in text
    raw = parse(report_fr.html).body_text
    assert "118\u202f412" in raw and "254,4\u00a0Mo" not in raw and "254,4 Mo" in raw
    assert '<html lang="fr">' in report_fr.html
    assert "Executive summary" not in text and "Evidence manifest" not in text


def test_sessions_and_links_not_available(report_en: Report) -> None:
    text = _text(report_en)
    assert "Not available: sessions.parquet is not in the output folder" in text
    assert "Not available: links.parquet is not in the output folder" in text


def test_sessions_and_links_rendered_when_present(case_out: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(case_out, out)
    ts = pl.Series(["2024-10-26T21:41:02Z", "2024-10-20T08:00:00Z"]).str.to_datetime(time_unit="us", time_zone="UTC")
    end = pl.Series(["2024-10-27T03:05:40Z", "2024-10-20T09:00:00Z"]).str.to_datetime(time_unit="us", time_zone="UTC")
    pl.DataFrame(
        {
            "kind": ["web", "web"],
            "account": ["adm.interop", "m.lefevre"],
            "ips": [["203.0.113.45"], ["10.20.5.12"]],
            "first_seen": ts,
            "last_seen": end,
            "event_count": [900, 12],
            "reasons": [["cookie b7c1e0d4"], ["cookie 11aa"]],
        }
    ).write_parquet(out / "sessions.parquet")
    pl.DataFrame(
        {"account": ["adm.interop"], "reason": ["same client IP and user agent within 2 s"], "confidence": [0.9]}
    ).write_parquet(out / "links.parquet")
    report = build_report(out, generated_at=GENERATED_AT)
    text = _text(report)
    assert "cookie b7c1e0d4" in text and "m.lefevre" not in text  # only the assessed accounts
    assert "same client IP and user agent within 2 s" in text
    assert "203.0.113[.]45" in text
    figure = json.loads(re.search(r'data-figure="fig-timeline">(.*?)</script>', report.html).group(1))
    assert "Sessions: adm.interop" in figure["layout"]["yaxis"]["categoryarray"]


def test_without_findings(small_out: Path) -> None:
    report = build_report(small_out, generated_at=GENERATED_AT)
    text = _text(report)
    assert "Correlation results are not available" in text
    assert "Small example" in text
    assert 'id="fig-timeline"' in report.html and 'id="fig-coverage"' in report.html


def test_damaged_findings_file(small_out: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(small_out, out)
    (out / "findings.json").write_text("{not json", encoding="utf-8")
    assert "could not be read" in _text(build_report(out, generated_at=GENERATED_AT))
    (out / "findings.json").write_text(
        json.dumps({"schema": "other", "findings": [{"id": 3, "title": ["x"], "evidence": "no"}], "accounts": 5}),
        encoding="utf-8",
    )
    text = _text(build_report(out, generated_at=GENERATED_AT))
    assert "unexpected schema" in text and "no evidence line is referenced" in text


def test_deterministic(case_out: Path, report_en: Report, tmp_path: Path) -> None:
    again = build_report(case_out, lang="en", generated_at=GENERATED_AT)
    assert again.html == report_en.html
    a = again.save(tmp_path / "a" / "report.html")
    b = report_en.save(tmp_path / "b" / "report.html")
    assert a.read_bytes() == b.read_bytes()
    assert (tmp_path / "a" / "report.html.sha256").read_text() == (
        f"{hashlib.sha256(a.read_bytes()).hexdigest()}  report.html\n"
    )
    # ids of the figure containers are fixed
    assert 'id="fig-timeline"' in report_en.html and 'id="fig-coverage"' in report_en.html


def test_generated_at_changes_only_the_stamp(case_out: Path, report_en: Report) -> None:
    other = build_report(case_out, lang="en", generated_at="2024-10-30T10:00:00Z")
    assert other.html != report_en.html
    assert "2024-10-30 11:00:00 +01:00" in other.html
    with pytest.raises(ReportError):
        build_report(case_out, generated_at="2024-10-30 10:00")


def test_size_and_single_file(report_en: Report) -> None:
    size = len(report_en.html.encode("utf-8"))
    assert size < 10 * 1024 * 1024
    assert not [a for _, a in parse(report_en.html).elements if "src" in a]


def test_notebook_repr(report_en: Report) -> None:
    html = report_en._repr_html_()
    assert html.startswith('<iframe sandbox="allow-scripts" ')
    assert "allow-same-origin" not in html
    srcdoc = re.search(r'srcdoc="([^"]*)"', html)
    assert srcdoc is not None
    import html as htmllib

    assert htmllib.unescape(srcdoc.group(1)) == report_en.html


def test_write_report_default_path(small_out: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(small_out, out)
    path = write_report(out, generated_at=GENERATED_AT, lang="fr")
    assert path == out / "report.html"
    assert (out / "report.html.sha256").is_file()


def test_cli(case_out: Path, tmp_path: Path, report_fr: Report) -> None:
    target = tmp_path / "r.html"
    run = subprocess.run(
        [sys.executable, "-m", "forensics", "report", str(case_out), "-o", str(target), "--lang", "fr",
         "--generated-at", GENERATED_AT],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    html = target.read_text(encoding="utf-8")
    # the library's output, plus one row in section 1: the report's own command line
    row = re.search(r'<div class="ident-row wide">\n<dt>Ligne de commande du rapport</dt>\n[^\n]*\n</div>\n', html)
    assert row is not None and "--generated-at 2024-10-29T09:00:00+01:00" in row.group(0)
    assert _unstamped(html.replace(row.group(0), "")) == _unstamped(report_fr.html)
    check = subprocess.run(["sha256sum", "-c", "r.html.sha256"], cwd=tmp_path, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "forensics", "report", str(tmp_path), "--lang", "de"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert bad.returncode == 2


def test_no_events_at_all(tmp_path: Path) -> None:
    from forensics.intake.engine import ingest

    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "notes.txt").write_text("hello\nworld\n", encoding="utf-8")
    ingest(evidence, tmp_path / "out")
    report = build_report(tmp_path / "out", generated_at=GENERATED_AT)
    text = _text(report)
    assert "There are no events to draw." in text and "notes.txt" in text and "unrecognised" in text
    assert "fig-timeline" not in report.html


def test_deterministic_across_processes(case_out: Path, report_en: Report) -> None:
    """Another interpreter with another hash seed writes the same bytes (no set or dict order leaks)."""
    code = (
        "import hashlib, sys; from forensics.report import build_report; "
        f"r = build_report(sys.argv[1], lang='en', generated_at={GENERATED_AT!r}); "
        "print(hashlib.sha256(r.html.encode()).hexdigest())"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(case_out)],
        cwd=ROOT, capture_output=True, text=True, check=True, env={"PYTHONHASHSEED": "12345", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert run.stdout.strip() == report_en.sha256

"""The French report says the correlator's link reasons, table words and ingest notes in French.

The English phrases are taken from the code that writes them (the reason literals of
forensics.correlate.links / dblinks / pipeline, the warnings and skip reasons of the ingest catalogue),
so a new English sentence there fails here until the report can say it in French.
"""

from __future__ import annotations

import ast
import html
import json
import re
import shutil
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from forensics.correlate import correlate
from forensics.finding_text import DBLINK_HOW, EN, render
from forensics.ingest_messages import EN as INGEST_EN
from forensics.report import Report, build_report
from forensics.report.i18n import FR as FR_REPORT
from forensics.report.i18n import Locale
from forensics.report.reasons import parse, reason_text
from tests.correlate import scenarios
from tests.correlate.builder import CHROME, PYREQ, Case, config, utc
from tests.report.conftest import GENERATED_AT

ROOT = Path(__file__).resolve().parents[2]
REASON_CODE = {
    "forensics/correlate/links.py": ("match_app_to_web", "link_sessions", "_continuations"),
    "forensics/correlate/dblinks.py": ("link_web_db",),
    "forensics/correlate/pipeline.py": ("_session_reasons",),
}


def _functions(path: str, names: tuple[str, ...]) -> list[ast.FunctionDef]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name in names]


def _reason_literals() -> set[str]:
    """Every ``pl.lit("...")`` text with a space in it inside the functions that write reasons."""
    out = set()
    for path, names in REASON_CODE.items():
        for fn in _functions(path, names):
            for node in ast.walk(fn):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "lit"
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                    and " " in node.args[0].value
                ):
                    out.add(node.args[0].value)
    return out


def _visible(fragment: str) -> str:
    text = re.sub(r"<script\b.*?</script>", " ", fragment, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))


def _section(page: str, anchor: str, next_anchor: str) -> str:
    start = page.index(f'id="{anchor}"')
    return page[start : page.index(f'id="{next_anchor}"', start)]


def _case() -> Case:
    """The correlator's attack scenario, plus a session tied by overlap and one continued after a circuit change."""
    c = scenarios.attack_case()
    t = utc(2024, 10, 28, 8, 0)
    c.web(t, "10.20.1.5", method="POST", ua=CHROME)
    c.login(t + timedelta(seconds=1), "a.petit", 1105, "ov1", "10.20.1.5", CHROME)
    c.web(t + timedelta(minutes=1), "10.20.1.5", query="m=dPcabinet&tab=edit_planning", ua=CHROME)
    for k in range(3):
        c.web(t + timedelta(minutes=41 + k), "10.20.1.5", query="m=dPcabinet&tab=edit_planning", ua=CHROME)
    c.session_end(t + timedelta(minutes=60), "a.petit", 1105, "ov1", "10.20.1.5", CHROME)
    t = utc(2024, 10, 28, 2, 0)
    c.login(t + timedelta(seconds=1), "adm.interop", 1042, "cont1", "203.0.113.201", PYREQ, method="basic", screen=None)
    for k in range(20):
        ip = "203.0.113.201" if k < 10 else "203.0.113.202"
        c.web(t + timedelta(seconds=2 * k), ip, f"/mediboard/api/dossierpatient/patients/{k}", ua=PYREQ)
    return c


@pytest.fixture(scope="module")
def correlated(case_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report's sample slice with the correlator's attack scenario beside it (sessions, links, findings).

    The slice alone has only web logs, hence no links; the scenario has application and database
    events, so every kind of link and its reason."""
    out = tmp_path_factory.mktemp("fr_tables") / "out"
    shutil.copytree(case_out, out)
    correlate(_case().frame(), config(tmp_path_factory.mktemp("cfg")), ()).save(out)
    return out


@pytest.fixture(scope="module")
def french(correlated: Path) -> Report:
    return build_report(correlated, lang="fr", generated_at=GENERATED_AT)


@pytest.fixture(scope="module")
def reasons(correlated: Path) -> list[str]:
    links = pl.read_parquet(correlated / "links.parquet").get_column("reason")
    sessions = pl.read_parquet(correlated / "sessions.parquet").get_column("link_reasons").explode()
    return sorted(set(links.drop_nulls().to_list()) | set(sessions.drop_nulls().to_list()))


def test_every_reason_literal_is_in_a_catalogue_template() -> None:
    literals = _reason_literals()
    assert len(literals) >= 30, "the reason code was not found"
    templates = "\n".join([EN[c] for c in EN if c.startswith("link.")] + list(DBLINK_HOW))
    assert not [lit for lit in literals if lit not in templates]


def test_every_stored_reason_reads_back_exactly(reasons: list[str]) -> None:
    assert len(reasons) >= 20, "the scenario should give links and session reasons"
    kinds = {m.code for m in map(parse, reasons) if m is not None}
    assert {"link.match", "link.overlap", "link.continuation", "link.db", "link.db_ties"} <= kinds, kinds
    for text in reasons:
        message = parse(text)
        assert message is not None, text
        assert render(message, "en") == text


def test_unknown_or_hostile_reason_is_shown_as_written() -> None:
    loc = Locale("fr", "Europe/Paris")
    for text in ("", "something else", "login of x at 2024-13-45T99:99:99Z matches"):
        assert reason_text(text, loc) == text
    odd = "login of a -> 200 at b at 2024-10-22T08:14:30Z matches GET /x -> 200 at 2024-10-22T08:14:31Z (+0.0 s) from ?"
    assert "a -> 200 at b" in reason_text(odd, loc)


def test_french_sessions_and_links_have_no_english(french: Report, correlated: Path) -> None:
    part = _section(french.html, "a2", "a3")
    text = _visible(part)
    assert "session" in text and "requête web" in text, "the tables should be there"
    words = {w for lit in _reason_literals() for w in re.findall(r"[A-Za-z][A-Za-z' -]{3,}[a-z]", lit)}
    words = {w.strip() for w in words} - {"X-Forwarded-For", "web"}
    found = sorted(w for w in words if re.search(rf"(?<![\w/.-]){re.escape(w)}(?![\w/-])", text))
    assert not found, found
    # enumerated words of the tables: every value the slice has is in the catalogue, none shown raw
    sessions = pl.read_parquet(correlated / "sessions.parquet")
    links = pl.read_parquet(correlated / "links.parquet")
    values = {("kind", v) for v in sessions.get_column("kind").unique().to_list() + links["kind"].unique().to_list()}
    values |= {("flag", v) for v in sessions.get_column("flags").explode().drop_nulls().unique().to_list()}
    missing = [f"word.{k}.{v}" for k, v in values if f"word.{k}.{v}" not in FR_REPORT]
    assert not missing, missing
    cells = set(re.findall(r"<td[^>]*>([^<]*)</td>", part))
    raw = [v for k, v in values if v in cells and FR_REPORT[f"word.{k}.{v}"] != v]
    assert not raw, raw
    assert not any(c.startswith("row:") for c in cells)


def test_french_report_shows_no_english_ingest_note(french: Report, correlated: Path) -> None:
    manifest = json.loads((correlated / "manifest.json").read_text(encoding="utf-8"))
    shown = [w for w in manifest.get("warnings", [])] + [s["reason"] for s in manifest.get("skipped", [])]
    assert shown, "the slice should have warnings or skipped paths"
    text = _visible(french.html)
    pieces = {part.strip(" :;()") for english in INGEST_EN.values() for part in re.split(r"\{[^}]*\}", english)}
    assert not [p for p in pieces if len(p) >= 15 and p in text]
    assert not [s for s in shown if s in text]


def test_user_agent_header_agrees_with_its_noun(french: Report) -> None:
    part = _section(french.html, "s8", "s9")
    assert "Événements qui le citent" in part  # un agent utilisateur
    assert "Événements qui la citent" in part  # une adresse
    head = re.search(r"<th>Agent utilisateur</th><th>([^<]*)</th>", part)
    assert head is not None and head.group(1) == "Événements qui le citent"

"""The French report writes the correlator's findings in French (codes + parameters), never its English."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pytest

from forensics.correlate import correlate
from forensics.finding_text import EN, FR
from forensics.report import Report, build_report
from forensics.report.i18n import Locale
from forensics.report.model import findings_from_dict
from tests.report.conftest import GENERATED_AT


@pytest.fixture(scope="module")
def correlated_out(case_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample slice with findings.json written by the real correlator (with codes)."""
    out = tmp_path_factory.mktemp("correlated") / "out"
    shutil.copytree(case_out, out)
    (out / "findings.json").unlink()
    correlate(out).save(out)
    return out


@pytest.fixture(scope="module")
def doc(correlated_out: Path) -> dict:
    return json.loads((correlated_out / "findings.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def french(correlated_out: Path) -> Report:
    return build_report(correlated_out, lang="fr", generated_at=GENERATED_AT)


def _visible(page: str) -> str:
    text = re.sub(r"<script\b.*?</script>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))


def _english(doc: dict) -> list[str]:
    texts = [f["title"] for f in doc["findings"]] + [f["reason"] for f in doc["findings"]]
    texts += [r for a in doc["accounts"] for r in a["reasons"]]
    texts += [e["method"] for e in doc["exfiltration"]]
    return texts


def test_catalogue_has_both_languages_for_every_code() -> None:
    assert sorted(EN) == sorted(FR)


def test_french_report_has_no_english_finding_text(doc: dict, french: Report) -> None:
    assert len(doc["findings"]) >= 5, "the slice should give the correlator something to find"
    page = _visible(french.html)
    # the start of each English sentence, cut before its first data value (addresses are defanged)
    leaked = [t for t in _english(doc) if re.split(r"\d|\(", t, maxsplit=1)[0].strip()[:40] in page]
    leaked = [t for t in leaked if len(re.split(r"\d|\(", t, maxsplit=1)[0].strip()) >= 12]
    assert not leaked, leaked[:5]
    for phrase in ("Scripted client", "Bulk export by", "Forged X-Forwarded-For", "Administrative reconnaissance"):
        assert phrase not in page


def test_french_report_shows_the_french_texts(doc: dict, french: Report) -> None:
    page = _visible(french.html)
    loc = Locale("fr", "Europe/Paris")
    for f in doc["findings"]:
        title = loc.finding_text(f["messages"]["title"], "")
        assert title and title != f["title"]
        assert title in page, title
    assert "Export massif par 203.0.113[.]45 en tranches" in page
    assert "Constats en détail, avec leurs lignes de preuve" in page


def test_english_report_is_unchanged_text(doc: dict, correlated_out: Path) -> None:
    page = _visible(build_report(correlated_out, lang="en", generated_at=GENERATED_AT).html)
    loc = Locale("en", "Europe/Paris")
    for f in doc["findings"]:
        assert loc.finding_text(f["messages"]["title"], "") in page


def test_french_numbers_and_times() -> None:
    loc = Locale("fr", "Europe/Paris")
    message = {
        "code": "saf.reason",
        "params": {
            "failures": 118412,
            "account": "s.garnier",
            "ip": "10.20.9.10",
            "time": "2024-10-25T01:12:41Z",
            "minutes": 60.0,
        },
    }
    text = loc.finding_text(message, "english")
    assert text.startswith("118\u202f412 échecs de connexion sur s.garnier depuis 10.20.9[.]10")
    assert "le 2024-10-25 03:12:41 +02:00 depuis" in text


@pytest.mark.parametrize(
    "message",
    [
        None,
        "spray.title",
        {"code": "no.such.code", "params": {}},
        {"code": "spray.title", "params": {}},
        {"code": "spray.title", "params": {"n_ips": "x", "accounts": "many"}},
        {"code": "_seq", "params": {"items": [{"code": "_seq", "params": {"items": "<b>"}}]}},
    ],
)
def test_damaged_message_falls_back_to_the_stored_text(message: object) -> None:
    loc = Locale("fr", "Europe/Paris")
    text = loc.finding_text(message, "stored text")
    assert text == "stored text" or "<b>" in text  # plain text: escaped later by the templates


def test_localized_copy_keeps_texts_without_messages() -> None:
    data = {
        "schema": "forensics.findings/1",
        "findings": [
            {
                "id": "F-001",
                "title": "Old title",
                "reason": "Old reason",
                "basis": "derived",
                "evidence": [{"file": "a.log", "line": 1}],
                "messages": {"title": {"code": "brute.title", "params": {"account": "adm.interop"}}},
            }
        ],
        "accounts": [],
        "exfiltration": [],
    }
    f = findings_from_dict(data).localized(Locale("fr", "UTC").finding_text).findings[0]
    assert f.title == "Force brute contre adm.interop"
    assert f.reasons == ["Old reason"]

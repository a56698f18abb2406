"""Both languages say everything: same keys, same placeholders, and no text outside the catalogue."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from forensics.findings.attack import PHASES, TECHNIQUES
from forensics.findings.vocabulary import BASES, VERDICTS
from forensics.report import Report
from forensics.report.i18n import EN, FR, TECHNIQUE_NAMES, TECHNIQUE_PLAIN, Locale
from tests.report.htmlscan import parse

PACKAGE = Path(__file__).resolve().parents[2] / "forensics" / "report"
FIELDS = string.Formatter()


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in FIELDS.parse(text) if name}


def test_same_keys_in_both_languages() -> None:
    assert set(EN) == set(FR), f"only en: {set(EN) - set(FR)}; only fr: {set(FR) - set(EN)}"


def test_same_placeholders() -> None:
    empty = [k for k in EN if not EN[k].strip() or not FR[k].strip()]
    differ = [k for k in EN if _placeholders(EN[k]) != _placeholders(FR[k])]
    assert not empty and not differ, (empty, differ)


def test_lists_have_their_length() -> None:
    for cat in (EN, FR):
        assert len(cat["months"].split()) == 12 and len(cat["months_short"].split()) == 12
        assert len(cat["days"].split()) == 7 and len(cat["unit.size"].split()) == 5


def test_french_is_translated() -> None:
    same = {k for k in EN if EN[k] == FR[k]}
    allowed = {"dash", "time.utc", "s1", "duration.h", "duration.min", "duration.s", "ph.phase", "ph.techniques",
               "fi.techniques", "ma.sha", "time.short", "kf.records_value", "verdict.normal",
               "phase.exfiltration", "co.source", "ti.source", "fig.axis_source", "id.config_value",
               "time.long_utc", "fig.h.session", "col.session", "se.title", "fig.h.client", "ex.total",
               "ac.score", "word.kind.app", "word.kind.web", "word.flag.tor", "word.flag.vpn",
               "word.flag.proxy", "annexes", "co.hours", "print.page"}  # fmt: skip
    assert same <= allowed, same - allowed


def test_every_dynamic_key_exists() -> None:
    for phase in PHASES:
        assert f"phase.{phase}" in EN
    for basis in (*BASES, "unknown"):
        assert f"basis.{basis}" in EN and f"basis.{basis}.help" in EN
    for verdict in VERDICTS:
        assert f"verdict.{verdict}" in EN
    for zs in ("record", "source", "case", "cli", "assumed_utc"):
        assert f"zs.{zs}" in EN
    for technique in TECHNIQUES:
        assert technique in TECHNIQUE_NAMES and all(TECHNIQUE_NAMES[technique])
    assert set(TECHNIQUE_PLAIN) <= set(TECHNIQUES)


def test_every_key_used_in_code_and_templates_exists() -> None:
    used: set[str] = set()
    pattern = re.compile(r"""\b(?:t|loc|self\.t|self\.loc|loc\.text|self\.loc\.text)\(\s*["']([a-z_.0-9]+)["']""")
    for path in [*PACKAGE.glob("*.py"), *(PACKAGE / "templates").glob("*.html")]:
        used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    used = {k for k in used if ("." in k or k in EN) and not k.endswith(".")}
    assert used, "the scan found no key"
    assert used <= set(EN), used - set(EN)


def test_templates_hold_no_literal_text() -> None:
    """Every visible word goes through the catalogue: templates only hold markup and expressions."""
    for path in (PACKAGE / "templates").glob("*.html"):
        source = path.read_text(encoding="utf-8")
        stripped = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", source, flags=re.S)
        page = parse(stripped)
        leftover = re.sub(r"[\s·→–≤:;,.()#\-]+", "", "".join(page.text))
        assert leftover == "", f"{path.name}: literal text {leftover!r}"


def _fragments(message: str) -> list[str]:
    pieces = re.split(r"\{[^}]*\}|<[^>]+>", message)
    return [p.strip() for p in pieces if len(p.strip()) >= 20]


def test_french_report_has_no_english_sentence(report_fr: Report) -> None:
    text = re.sub(r"\s+", " ", " ".join(parse(report_fr.html).text))
    for key, message in EN.items():
        if EN[key] == FR[key]:
            continue
        for fragment in _fragments(message):
            assert fragment not in text, f"{key}: {fragment!r}"


def test_english_report_has_no_french_sentence(report_en: Report) -> None:
    text = re.sub(r"\s+", " ", " ".join(parse(report_en.html).text))
    for key, message in FR.items():
        if EN[key] == FR[key]:
            continue
        for fragment in _fragments(message):
            assert fragment not in text, f"{key}: {fragment!r}"


def test_formats() -> None:
    from datetime import UTC, datetime

    en, fr = Locale("en", "Europe/Paris"), Locale("fr", "Europe/Paris")
    t = datetime(2024, 10, 27, 1, 30, tzinfo=UTC)  # after the fall-back: 02:30 CET
    assert en.local(t) == "2024-10-27 02:30:00 +01:00"
    assert en.utc(t) == "2024-10-27 01:30:00 UTC"
    assert fr.long(t) == "27 octobre 2024 à 02:30:00 heure de Paris (UTC+01:00 ; 01:30:00 UTC)"
    assert en.num(1234567) == "1,234,567" and fr.num(1234567) == "1\u202f234\u202f567"
    assert en.size(254411687) == "254.4 MB" and fr.size(254411687) == "254,4 Mo" and fr.size(12) == "12 o"
    assert en.duration(3 * 86400 + 4 * 3600 + 60) == "3 d 4 h" and fr.duration(125) == "2 min"
    assert str(en.join(["a", "<b>", "c"])) == "a, &lt;b&gt; and c"
    assert (
        str(fr("sum.lead.exfil", records="<1>", size="2"))
        == "Environ &lt;1&gt; enregistrements (2) ont été envoyés à l'attaquant."
    )
    with pytest.raises(ValueError):
        Locale("de", "UTC")

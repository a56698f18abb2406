"""The report writes ingest warnings and skip reasons from their codes, in its own language.

It never reads the English back: a manifest written before the codes existed (or with a code
this version does not know) shows the English as written, in either language.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from forensics.ingest_messages import Note, note, structured
from forensics.report import build_report
from forensics.report.i18n import Locale
from forensics.report.ingest_text import skip_reason, warning_texts
from tests.report.conftest import GENERATED_AT
from tests.report.test_french_tables import _visible

WARNINGS = [
    Note("time.dst_unplaced", {"n": 1234}, "app01/mediboard/tmp/application.log"),
    Note("time.ahead_estimated", {"x": 3.009, "n": 53754}, "web/access.log"),
    note("time.clocks_disagree", host="db02", x=-6.99, other="rp01", x2=0.0, n=1357, x3=5.98),
    note("read.line_split", n=33554432).about("web/huge.log"),
    note("stream.cap", n=4096).about("web/access.log.1.gz"),
]
SKIPPED = [("web/escape.log", note("walk.outside_symlink")), ("web/pipe", note("walk.fifo"))]
FRENCH = [
    "app01/mediboard/tmp/application.log : 1\u202f234 horodatages de l'heure répétée (passage à l'heure d'hiver) "
    "n'ont pas pu être placés",
    "web/access.log : horloge en avance de 3,0 s (estimée sur 53\u202f754 paires d'événements) ; corrigée",
    "les horloges de db02 (\u22126,99 s) et de rp01 (+0,00 s) ne concordent pas avec les 1\u202f357 paires",
    "web/huge.log : une ligne de plus de 33\u202f554\u202f432 octets a été coupée en plusieurs lignes",
    "web/access.log.1.gz : plafond de décompression de 4\u202f096 octets atteint : la suite du fichier n'est pas lue",
    "lien symbolique hors du dossier des preuves, non suivi",
    "tube nommé (FIFO) ignoré (jamais ouvert)",
]


def _with_manifest(case_out: Path, tmp_path: Path, change: Any) -> Path:
    out = tmp_path / "out"
    shutil.copytree(case_out, out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    change(manifest)
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return out


def _coded(manifest: dict[str, Any]) -> None:
    manifest["warnings"] = list(WARNINGS)
    manifest["warning_messages"] = [structured(w) for w in WARNINGS]
    manifest["skipped"] = [
        {"relpath": rel, "reason": str(r), "reason_code": r.code, "params": r.params} for rel, r in SKIPPED
    ]


def _old(manifest: dict[str, Any]) -> None:
    manifest["warnings"] = [str(w) for w in WARNINGS]
    manifest.pop("warning_messages", None)
    manifest["skipped"] = [{"relpath": rel, "reason": str(r)} for rel, r in SKIPPED]


def test_a_french_report_says_the_ingest_notes_in_french(case_out: Path, tmp_path: Path) -> None:
    text = _visible(build_report(_with_manifest(case_out, tmp_path, _coded), lang="fr", generated_at=GENERATED_AT).html)
    # the page text has its spaces collapsed (the narrow no-break space of French numbers included)
    assert not [f for f in FRENCH if re.sub(r"\s+", " ", f) not in text]
    assert not [str(w) for w in WARNINGS if str(w) in text]


def test_an_english_report_shows_the_manifest_sentences(case_out: Path, tmp_path: Path) -> None:
    text = _visible(build_report(_with_manifest(case_out, tmp_path, _coded), lang="en", generated_at=GENERATED_AT).html)
    assert not [str(w) for w in WARNINGS if str(w) not in text]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_manifest_without_codes_shows_its_english_as_written(case_out: Path, tmp_path: Path, lang: str) -> None:
    text = _visible(build_report(_with_manifest(case_out, tmp_path, _old), lang=lang, generated_at=GENERATED_AT).html)
    assert not [str(w) for w in WARNINGS if str(w) not in text]
    assert not [str(r) for _, r in SKIPPED if str(r) not in text]


def test_an_unreadable_message_falls_back_to_the_english() -> None:
    loc = Locale("fr", "UTC")
    manifest = {
        "warnings": ["a", "b", "c", "d", "e"],
        "warning_messages": [
            {"code": "no.such.code", "params": {}, "subject": None},
            {"code": "read.mismatch", "params": {"n": 3}, "subject": None},  # n2 missing
            {"code": "read.mismatch", "params": {"n": "x", "n2": 1}, "subject": None},
            {"code": "read.changed", "params": [], "subject": 7},
            None,
        ],
    }
    assert warning_texts(manifest, loc) == ["a", "b", "c", "d", "e"]
    assert warning_texts({"warnings": ["a", "b"], "warning_messages": [None]}, loc) == ["a", "b"]
    assert skip_reason({"reason": "odd", "reason_code": "walk.nope", "params": {}}, loc) == "odd"
    assert skip_reason({"reason": "device skipped", "reason_code": "walk.device"}, loc) == "périphérique ignoré"

"""Ingest warnings and skip reasons are message codes with values, in English and French.

The codes are taken from the code that writes them (every ``note("...")`` / ``Note("...")`` in
the intake and time packages), so a new warning without both texts fails here; and no warning
or skip reason may be written as a bare English sentence any more.
"""

from __future__ import annotations

import ast
import gzip
import json
import os
import pickle
from pathlib import Path

import pytest

from forensics.ingest_messages import EN, FR, Note, fields, note, render
from forensics.intake.engine import ingest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(
    [
        *(ROOT / "forensics/intake").glob("*.py"),
        *(ROOT / "forensics/time").glob("*.py"),
        *(ROOT / "forensics/executors").glob("*.py"),
    ]
)
GOOD = '10.0.0.{i} - - [22/Oct/2024:09:02:{s:02d} +0200] "GET /x?i={i} HTTP/1.1" 200 {i} "-" "UA {i}"'


def _calls(path: Path) -> list[ast.Call]:
    return [n for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(n, ast.Call)]


def _name(call: ast.Call) -> str:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _codes_in_source() -> dict[str, set[str]]:
    """Every message code written in the source, with the value names given to it."""
    out: dict[str, set[str]] = {}
    for path in SOURCES:
        for call in _calls(path):
            if _name(call) not in ("note", "Note") or not call.args:
                continue
            first = call.args[0]
            assert isinstance(first, ast.Constant), f"{path.relative_to(ROOT)}:{call.lineno}: write the code as is"
            codes = [first.value]
            names = {k.arg for k in call.keywords if k.arg}
            if len(call.args) > 1 and isinstance(call.args[1], ast.Dict):
                names |= {k.value for k in call.args[1].keys if isinstance(k, ast.Constant)}
            for code in codes:
                out.setdefault(code, set()).update(names)
    return out


def test_the_scan_finds_the_codes() -> None:
    found = _codes_in_source()
    assert {"read.line_split", "walk.excluded", "stream.cap", "time.dst_unplaced", "time.clocks_disagree"} <= set(found)
    assert len(found) >= 35


def test_every_code_in_the_source_has_both_texts_with_its_values() -> None:
    for code, names in sorted(_codes_in_source().items()):
        assert code in EN and code in FR, f"{code} lacks a text"
        wanted = {n for n, _ in fields(EN[code])}
        assert names == wanted, f"{code}: given {sorted(names)}, its text takes {sorted(wanted)}"


def test_english_and_french_take_the_same_values_of_the_same_kinds() -> None:
    assert set(EN) == set(FR)
    for code in EN:
        assert sorted(fields(EN[code])) == sorted(fields(FR[code])), code


def test_the_catalogue_has_no_code_the_source_never_writes() -> None:
    assert set(EN) - set(_codes_in_source()) == set()


def test_no_warning_or_skip_reason_is_a_bare_sentence() -> None:
    """Each ``warnings.append``/``out.append`` of text and each ``Skipped(...)`` reason is a message."""
    bare = []
    for path in SOURCES:
        for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(fn, ast.FunctionDef) and fn.name in ("notes", "source_time_warnings"):
                for call in ast.walk(fn):
                    if isinstance(call, ast.Call) and _name(call) == "append" and call.args:
                        if isinstance(call.args[0], ast.Constant | ast.JoinedStr):
                            bare.append(f"{path.relative_to(ROOT)}:{call.lineno}")
        for call in _calls(path):
            name = _name(call)
            f = call.func
            target = (
                f.value.id
                if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name)
                else f.value.attr
                if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Attribute)
                else ""
            )
            if name == "append" and target in ("warnings",) and call.args:
                arg = call.args[0]
            elif name == "Skipped" and len(call.args) > 1:
                arg = call.args[1]
            else:
                continue
            if isinstance(arg, ast.Constant | ast.JoinedStr):
                bare.append(f"{path.relative_to(ROOT)}:{call.lineno}")
    assert not bare, "warnings written as English sentences: " + ", ".join(bare)


def test_a_note_is_its_english_sentence_and_survives_a_copy() -> None:
    n = note("read.mismatch", n=10, n2=9).about("web/access.log")
    assert n == "web/access.log: accounting mismatch: 10 lines read but 9 accounted"
    assert json.dumps([n]) == json.dumps([str(n)])
    back = pickle.loads(pickle.dumps(n))
    assert isinstance(back, Note) and back.to_json() == n.to_json() and back == n
    assert n.to_json() == {"code": "read.mismatch", "params": {"n": 10, "n2": 9}, "subject": "web/access.log"}


def test_french_numbers_are_written_the_french_way() -> None:
    said = render(
        "time.clocks_disagree",
        {"host": "db02", "x": -6.99, "other": "rp01", "x2": 0.0, "n": 1357, "x3": 5.98},
        "fr",
        count=lambda v: f"{v:,}".replace(",", "\u202f"),
    )
    assert said == (
        "les horloges de db02 (\u22126,99 s) et de rp01 (+0,00 s) ne concordent pas avec les 1\u202f357 paires "
        "d'événements qui les relient (+5,98 s)"
    )


def _evidence(tmp_path: Path) -> Path:
    root = tmp_path / "evidence"
    (root / "web").mkdir(parents=True)
    lines = "".join(GOOD.format(i=i, s=i % 60) + "\n" for i in range(40)).encode()
    (root / "web" / "access.log").write_bytes(lines[:-1])  # no final newline
    (root / "web" / "access.log.1.gz").write_bytes(gzip.compress(lines * 50))
    outside = tmp_path / "outside.log"
    outside.write_bytes(lines)
    os.symlink(outside, root / "web" / "escape.log")
    return root


def test_the_manifest_carries_the_codes_beside_the_english(tmp_path: Path) -> None:
    res = ingest(_evidence(tmp_path), tmp_path / "out", max_decompressed=4096)
    m = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert m == json.loads(json.dumps(res.manifest))
    assert len(m["warning_messages"]) == len(m["warnings"])
    coded = {w["code"]: (w, text) for w, text in zip(m["warning_messages"], m["warnings"], strict=True) if w}
    assert {"stream.cap", "read.no_final_newline"} <= set(coded)
    cap, text = coded["stream.cap"]
    assert cap == {"code": "stream.cap", "params": {"n": 4096}, "subject": "web/access.log.1.gz"}
    assert text == "web/access.log.1.gz: decompression cap of 4096 bytes reached: rest of the file not read"
    for message, text in zip(m["warning_messages"], m["warnings"], strict=True):
        assert render(message["code"], message["params"], subject=message["subject"]) == text
    (gz,) = [f for f in m["files"] if f["path"] == "web/access.log.1.gz"]
    assert {"code": "stream.cap", "params": {"n": 4096}, "subject": None} in gz["warning_messages"]
    assert len(gz["warning_messages"]) == len(gz["warnings"])
    (skip,) = [s for s in m["skipped"] if s["relpath"] == "web/escape.log"]
    assert skip == {
        "relpath": "web/escape.log",
        "reason": "symlink pointing outside the evidence root not followed",
        "reason_code": "walk.outside_symlink",
        "params": {},
    }


@pytest.mark.parametrize("code", sorted(EN))
def test_every_message_renders_in_both_languages(code: str) -> None:
    sample = {"n": 1234, "n2": 7, "first": 3, "last": 9, "x": -3.5, "x2": 0.0, "x3": 12.25}
    params = {name: sample.get(name, "gzip") for name, _ in fields(EN[code])}
    english = render(code, params, "en", subject="app01/x.log")
    french = render(code, params, "fr", subject="app01/x.log", count=lambda v: f"{v:,}".replace(",", "\u202f"))
    assert english.startswith("app01/x.log: ") and french.startswith("app01/x.log : ")
    assert english != french and "1234" not in french


def test_a_value_nobody_measured_still_gives_a_warning() -> None:
    assert note("read.parser_error", first=None, last=None, error="boom") == "lines ?-?: boom"

"""The report renders from a damaged findings document, shows what it could read, and says what it could not."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from forensics.report import build_report
from tests.report.conftest import FINDINGS, GENERATED_AT
from tests.report.htmlscan import parse


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", " ".join(parse(html).text))


def test_a_damaged_document_still_makes_a_report_that_names_its_problems(case_out: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(case_out, out)
    data = json.loads(FINDINGS.read_text(encoding="utf-8"))
    data["accounts"][0]["score"] = "very high"  # a wrong type
    del data["findings"][1]["title"]  # a missing key
    data["findings"][2]["first_seen"] = "last Tuesday"  # a time that is not one
    data["findings"].append("cut here")  # a list cut short by junk
    data["risk_model"] = {"version": 3}  # a key a newer version writes
    (out / "findings.json").write_text(json.dumps(data), encoding="utf-8")
    for lang in ("en", "fr"):
        text = _text(build_report(out, lang=lang, generated_at=GENERATED_AT).html)
        # what could be read is shown
        assert "adm.interop" in text and data["findings"][0]["title"] in text
        # what could not is named, by path, in the limitations; the summary counts it
        for problem in (
            "accounts[0].score: is not a number",
            "findings[1].title: is missing",
            "findings[2].first_seen: is not an ISO 8601 time",
            f"findings[{len(data['findings']) - 1}]: is not an object",
        ):
            assert problem in text, (lang, problem)
        assert "risk_model" not in text  # an unknown key is not a problem
    assert "findings.json has 4 formatting problem(s)" in _text(build_report(out, generated_at=GENERATED_AT).html)

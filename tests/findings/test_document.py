"""The findings document model: an exact round trip, and tolerant reading that names each problem."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from forensics.findings import Document, FindingRecord, Problem, read_document, validate

ROOT = Path(__file__).resolve().parent.parent.parent
OLDER = ROOT / "tests" / "data" / "report" / "findings.json"


@pytest.fixture(scope="module")
def sample_doc(sample_case: Path) -> dict[str, Any]:
    """The sample case's findings.json, as correlation wrote it."""
    return json.loads((sample_case / "findings.json").read_text(encoding="utf-8"))


def _paths(problems: list[Problem]) -> dict[str, str]:
    return {p.path: p.reason for p in problems}


def test_the_sample_document_round_trips_exactly(sample_case: Path, sample_doc: dict[str, Any]) -> None:
    doc = Document.from_json(sample_doc)
    assert doc.problems == []
    assert doc.to_json() == sample_doc
    # the bytes too: keys in the same order, the same numbers and times
    assert doc.dumps() == (sample_case / "findings.json").read_text(encoding="utf-8")
    # and the typed values are the real ones, not strings carried through
    assert doc.accounts[0].verdict == "compromised" and doc.accounts[0].first_malicious is not None
    assert doc.accounts[0].first_malicious.tzinfo is not None
    grouped = [f for f in doc.findings if f.members]
    assert grouped and all(isinstance(m, FindingRecord) for f in grouped for m in f.members or [])
    assert all(e.records.low is not None and e.records.low <= (e.records.estimate or 0) for e in doc.exfiltration)
    assert all(c.evidence for e in doc.exfiltration for c in e.components or [])
    assert set(doc.by_id()) >= {s.member for a in doc.accounts for s in a.signals if s.member}


def test_an_older_document_reads_without_problems_and_settles() -> None:
    """A document of an earlier version (no signals, no tool, legacy reasons) reads cleanly; written
    back it takes today's shape, which then reads back unchanged."""
    older = json.loads(OLDER.read_text(encoding="utf-8"))
    doc = Document.from_json(older)
    assert doc.problems == []
    assert doc.command_line and doc.uncertainties is not None
    assert any(f.reasons for f in doc.findings)  # the older list of reasons is kept
    again = Document.from_json(doc.to_json())
    assert again.problems == [] and again.to_json() == doc.to_json()
    validate(doc.to_json())


def test_missing_keys_are_named(sample_doc: dict[str, Any]) -> None:
    data = copy.deepcopy(sample_doc)
    del data["attacker_ips"]
    del data["findings"][0]["title"]
    del data["exfiltration"][0]["records"]
    doc = Document.from_json(data)
    problems = _paths(doc.problems)
    assert problems == {
        "attacker_ips": "is missing",
        "findings[0].title": "is missing",
        "exfiltration[0].records": "is missing",
    }
    # the rest is read as written
    assert doc.accounts[0].account == sample_doc["accounts"][0]["account"]
    assert len(doc.findings) == len(sample_doc["findings"])


def test_wrong_types_are_named_and_cost_only_themselves(sample_doc: dict[str, Any]) -> None:
    data = copy.deepcopy(sample_doc)
    data["accounts"][0]["score"] = "high"
    data["accounts"][1]["first_malicious"] = "yesterday"
    data["findings"][1]["techniques"] = {"T1078": True}
    data["findings"][2]["evidence"] = "see the logs"
    data["exfiltration"][0]["records"] = [1, 2]
    data["summary"]["events"] = "many"
    data["attack"] = "soon"
    doc = Document.from_json(data)
    problems = _paths(doc.problems)
    assert problems["accounts[0].score"] == "is not a number"
    assert problems["accounts[1].first_malicious"] == "is not an ISO 8601 time"
    assert problems["findings[1].techniques"] == "is not a list"
    assert problems["findings[2].evidence"] == "no evidence line is referenced"
    assert problems["exfiltration[0].records"] == "is not an object"
    assert problems["summary.events"] == "is not a number"
    assert problems["attack"] == "is not an object"
    assert doc.accounts[0].score is None and doc.accounts[0].verdict == "compromised"
    assert doc.findings[1].techniques == [] and doc.findings[1].title == sample_doc["findings"][1]["title"]
    assert doc.exfiltration[0].records.estimate is None
    assert doc.attack.first_seen is None


def test_unknown_future_keys_are_kept_and_written_back(sample_doc: dict[str, Any]) -> None:
    data = copy.deepcopy(sample_doc)
    data["verdict_model"] = {"name": "next", "version": 2}
    data["findings"][0]["severity"] = "high"
    data["findings"][0]["evidence"][0]["offset"] = 1234
    data["accounts"][0]["peers"] = ["a", "b"]
    data["exfiltration"][0]["components"][0]["pages"] = 3
    doc = Document.from_json(data)
    assert doc.problems == []
    assert doc.extra == {"verdict_model": {"name": "next", "version": 2}}
    assert doc.findings[0].extra == {"severity": "high"}
    assert doc.to_json() == data


def test_truncated_lists_are_named(sample_doc: dict[str, Any]) -> None:
    """A document cut short (the findings list truncated, an item replaced by junk) still reads;
    an account citing a finding the document no longer holds is named."""
    data = copy.deepcopy(sample_doc)
    data["findings"] = data["findings"][:3]
    data["accounts"].append(5)
    data["exfiltration"][0]["components"] = [*data["exfiltration"][0]["components"][:1], "cut"]
    doc = Document.from_json(data)
    problems = doc.problems
    paths = [p.path for p in problems]
    n = len(sample_doc["accounts"])
    assert f"accounts[{n}]" in paths
    assert "exfiltration[0].components[1]" in paths
    dangling = [p for p in problems if "which the document does not hold" in p.reason]
    assert dangling and all(p.path.startswith("accounts[") for p in dangling)
    assert len(doc.findings) == 3 and len(doc.accounts) == n


def test_nothing_raises_whatever_a_field_holds() -> None:
    """Every field of a document replaced in turn by every kind of wrong value: read, named, written."""
    base = json.loads(OLDER.read_text(encoding="utf-8"))

    def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        out = [prefix] if prefix else []
        if isinstance(value, dict):
            for k, v in value.items():
                out += paths(v, (*prefix, k))
        elif isinstance(value, list):
            for i, v in enumerate(value[:2]):
                out += paths(v, (*prefix, i))
        return out

    every = paths(base)
    assert len(every) > 100
    for path in every:
        for wrong in (None, 7, -1.5, True, "x", [], {}, [None, 3], {"code": 1}):
            data = copy.deepcopy(base)
            holder = data
            for k in path[:-1]:
                holder = holder[k]
            holder[path[-1]] = wrong
            doc = Document.from_json(data)
            json.dumps(doc.to_json())
    for junk in (None, 3, "text", [], [{"schema": 1}]):
        doc = Document.from_json(junk)
        assert doc.problems, junk


def test_a_file_that_is_not_json_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "findings.json"
    path.write_text('{"schema": "forensics.findings/1", "accounts": [', encoding="utf-8")
    doc = read_document(path)
    assert len(doc.problems) == 1 and "findings.json is not valid JSON" in str(doc.problems[0])
    assert doc.findings == [] and doc.accounts == []


def test_contract_words_are_checked(sample_doc: dict[str, Any]) -> None:
    data = copy.deepcopy(sample_doc)
    data["schema"] = "other/2"
    data["accounts"][0]["verdict"] = "guilty"
    data["findings"][0]["basis"] = "rumour"
    data["exfiltration"][0]["records"]["low"] = 10**9
    problems = _paths(Document.from_json(data).problems)
    assert "unexpected schema" in problems["schema"]
    assert "'guilty' is not one of compromised" in problems["accounts[0].verdict"]
    assert "'rumour' is not one of observed" in problems["findings[0].basis"]
    assert problems["exfiltration[0].records"] == "the estimate is not within its bounds"


def test_the_notebook_reads_through_the_model(sample_case: Path, sample_doc: dict[str, Any], tmp_path: Path) -> None:
    import forensics

    case = forensics.load(sample_case)
    assert case.document is not None and case.document.problems == []
    assert case.findings == sample_doc
    assert case.accounts is not None and case.accounts.height == len(sample_doc["accounts"])
    assert "reason_messages" not in case.accounts.columns
    assert case.account(sample_doc["accounts"][0]["account"]).verdict == sample_doc["accounts"][0]
    # a damaged document still opens, and says what it could not read
    out = tmp_path / "out"
    shutil.copytree(sample_case, out)
    damaged = copy.deepcopy(sample_doc)
    damaged["accounts"][0]["score"] = "high"
    (out / "findings.json").write_text(json.dumps(damaged), encoding="utf-8")
    case = forensics.load(out)
    assert case.document is not None
    assert [str(p) for p in case.document.problems] == ["accounts[0].score: is not a number"]
    assert case.accounts is not None and case.accounts.height == len(sample_doc["accounts"])
    assert "could not be read" in case._repr_html_()

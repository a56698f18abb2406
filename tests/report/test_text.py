"""Display helpers for hostile text, and the findings reader."""

from __future__ import annotations

import html
import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from forensics.findings.attack import phase_of, primary_phase, reference
from forensics.report.model import findings_from_dict, read_findings
from forensics.report.text import defang, ip_runs, plot_text, show, show_block, truncate
from tests.report.conftest import FINDINGS


def test_defang() -> None:
    assert defang("203.0.113.14") == "203.0.113[.]14"
    assert defang("2001:db8::1") == "2001:db8:[:]1"
    assert defang("https://evil.example/x") == "hxxps[://]evil[.]example/x"
    assert defang("10.20.3.47\u202e") == "10[.]20[.]3[.]47\\u202e"


def test_show_makes_hidden_characters_visible() -> None:
    assert show("a\x1b[31mb\u202ec\u2028d\x00") == "a\\x1b[31mb\\u202ec\\u2028d\\x00"
    assert show_block("line1\nline2\tx\r\n\x07") == "line1\nline2\tx\n\\x07"
    assert show(None) == ""


def test_truncate() -> None:
    assert truncate("abcdef", 4) == ("abcd", 2)
    assert truncate("abc", 4) == ("abc", 0)


def test_ip_runs() -> None:
    ips = [f"203.0.113.{i}" for i in (19, 10, 11, 12, 13, 14, 15, 16, 17, 18, 45, 201, 202)] + ["x", "::1"]
    assert ip_runs(ips) == [
        ("203.0.113.10", "203.0.113.19", 10),
        ("203.0.113.45", "203.0.113.45", 1),
        ("203.0.113.201", "203.0.113.202", 2),
        ("::1", "::1", 1),
        ("x", "x", 1),
    ]


@given(st.text(max_size=80))
def test_plot_text_never_holds_markup_and_reads_back(value: str) -> None:
    out = plot_text(value, limit=1000)
    assert "<" not in out and ">" not in out
    # plotly decodes &lt; &gt; &amp; for display: what is shown is the visible form of the value
    assert html.unescape(out) == show(value)


def test_attack_catalogue() -> None:
    assert phase_of("T1110.003") == "credential_access"
    assert phase_of("T1110.002") == "credential_access"
    assert phase_of("T1566.001") == "other"
    assert primary_phase(["T1078", "T1110.003"]) == "initial_access"
    assert primary_phase([]) is None
    assert reference("T1136.001") == "attack.mitre.org/techniques/T1136/001"
    assert reference("<script>") is None


def test_fixture_findings_follow_the_contract() -> None:
    data = json.loads(FINDINGS.read_text(encoding="utf-8"))
    assert data["schema"] == "forensics.findings/1"
    for key in ("attack", "accounts", "attacker_ips", "created_accounts", "findings", "exfiltration"):
        assert key in data
    for f in data["findings"]:
        assert {"id", "title", "techniques", "basis", "account", "ips", "first_seen", "last_seen", "event_count",
                "evidence"} <= set(f)  # fmt: skip
        assert f["basis"] in ("observed", "derived", "inferred")
        assert f["first_seen"].endswith("Z")
    findings = read_findings(FINDINGS)
    assert not findings.problems
    assert [a.account for a in findings.compromised] == ["adm.interop"]


def test_findings_reader_survives_bad_types(tmp_path: Path) -> None:
    bad = {
        "schema": 7,
        "attack": "soon",
        "accounts": [{"account": "a", "verdict": "evil", "score": "high", "first_malicious": "yesterday"}],
        "findings": [
            {"id": None, "title": 3, "techniques": "T1078", "basis": "guessed", "evidence": [{"file": "f"}, 4]},
        ],
        "exfiltration": [{"records": [1, 2], "bytes": True}],
    }
    findings = findings_from_dict(bad)
    assert findings.findings[0].id == "#1" and findings.findings[0].techniques == ["T1078"]
    assert findings.findings[0].basis == "unknown"
    assert findings.accounts[0].score is None and findings.accounts[0].first_malicious is None
    assert len(findings.problems) >= 8
    assert findings_from_dict([]).problems

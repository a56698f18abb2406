"""The report tells the attacker's story: ordinary staff findings stay apart.

The sample slice's hand-written findings plus what a real correlation also reports: staff
logins from a new desk, staff password changes, staff reports, and the compromised account
used by its owners from their usual desk.  None of these may enter the phases, their time
spans, the summary, the timeline marks or the indicators; all stay listed in section 5.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from forensics.findings.attack import TECHNIQUES
from forensics.findings.values import parse_time
from forensics.report import Report, build_report
from forensics.report import frames as fr
from forensics.report.i18n import TECHNIQUE_NAMES, Locale
from forensics.report.inputs import read_inputs
from forensics.report.model import read_findings
from forensics.report.scope import attack_scope
from forensics.report.sections import Builder
from tests.report.conftest import FINDINGS, GENERATED_AT

ROOT = Path(__file__).resolve().parents[2]
STAFF = ("F-101", "F-102", "F-103", "F-104")
#: the attack as the hand-written findings tell it (first and last of its phases)
ATTACK = (datetime(2024, 10, 24, 21, 2, tzinfo=UTC), datetime(2024, 10, 27, 3, 5, 40, tzinfo=UTC))


def _busy_staff_ip(out: Path) -> tuple[str, str]:
    """Two clinic desks with web traffic inside the attack's nights and days."""
    rows = (
        pl.scan_parquet(out / "events.parquet")
        .filter(
            pl.col("source.ip").str.starts_with("10.20.")
            & (pl.col("source.ip") != "10.20.3.47")
            & pl.col("@timestamp").is_between(ATTACK[0], ATTACK[1])
        )
        .group_by("source.ip")
        .agg(pl.len().alias("n"))
        .sort(["n", "source.ip"], descending=[True, False])
        .collect()
    )
    ips = rows.get_column("source.ip").to_list()
    assert len(ips) >= 2, "the slice has no clinic traffic during the attack"
    return ips[0], ips[1]


def _finding(fid: str, title: str, techniques: list[str], account: str, ip: str, first: str, last: str) -> dict:
    return {
        "id": fid,
        "title": title,
        "techniques": techniques,
        "basis": "observed",
        "account": account,
        "ips": [ip],
        "first_seen": first,
        "last_seen": last,
        "event_count": 3,
        "reason": title,
        "evidence": [{"file": "app01/apache2/access.log", "line": 1}],
    }


@pytest.fixture(scope="module")
def staff_out(case_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample slice with staff findings (normal verdicts) and a second compromised account."""
    out = tmp_path_factory.mktemp("staff") / "out"
    shutil.copytree(case_out, out)
    desk, desk2 = _busy_staff_ip(out)
    data = json.loads(FINDINGS.read_text(encoding="utf-8"))
    data["findings"] += [
        # a nurse logs in from a new desk: before, during and after the attack
        _finding("F-101", "n.staff logged in from a new address", ["T1078"], "n.staff", desk,
                 "2024-10-24T06:30:00Z", "2024-10-27T05:30:00Z"),
        # password changed after expiry, the morning before the spray
        _finding("F-102", "p.staff changed passwords 2 time(s)", ["T1098"], "p.staff", desk2,
                 "2024-10-24T07:00:00Z", "2024-10-24T07:05:00Z"),
        # the statistics office's large report, across the collection nights
        _finding("F-103", "Large database reads by r.staff", ["T1213"], "r.staff", desk,
                 "2024-10-24T08:00:00Z", "2024-10-27T05:00:00Z"),
        # the compromised account used by its owners from their usual desk
        _finding("F-104", "Large database reads by adm.interop", ["T1213"], "adm.interop", desk2,
                 "2024-10-24T09:00:00Z", "2024-10-27T05:30:00Z"),
    ]  # fmt: skip
    for account in ("n.staff", "p.staff", "r.staff"):
        data["accounts"].append(
            {"account": account, "verdict": "normal", "score": 0.3, "source_ips": [], "reasons": ["new source"]}
        )
    data["accounts"].append(
        {
            "account": "support.xtrem",
            "verdict": "compromised",
            "score": 0.9,
            "first_malicious": "2024-10-27T02:47:11Z",
            "last_malicious": "2024-10-27T02:48:51Z",
            "source_ips": [],
            "reasons": ["created by the attacker"],
        }
    )
    (out / "findings.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
    # sessions of adm.interop: the attacker's, and its owners' daytime use in between
    sessions = pl.DataFrame(
        {
            "session": ["W1", "W2", "W3"],
            "kind": ["web", "web", "web"],
            "account": ["adm.interop", "adm.interop", "adm.interop"],
            "ips": [["203.0.113.45"], [desk2], ["203.0.113.201"]],
            "first": [
                datetime(2024, 10, 25, 1, 25, 7, tzinfo=UTC),
                datetime(2024, 10, 26, 9, 0, tzinfo=UTC),
                datetime(2024, 10, 26, 23, 58, 10, tzinfo=UTC),
            ],
            "last": [
                datetime(2024, 10, 25, 1, 52, 30, tzinfo=UTC),
                datetime(2024, 10, 26, 11, 0, tzinfo=UTC),
                datetime(2024, 10, 27, 0, 31, 40, tzinfo=UTC),
            ],
        }
    )
    sessions.write_parquet(out / "sessions.parquet")
    return out


@pytest.fixture(scope="module")
def builder(staff_out: Path) -> Builder:
    return Builder(
        read_inputs(staff_out),
        Locale("en", "Europe/Paris"),
        title=None,
        analyst=None,
        generated_at=datetime(2024, 10, 29, 8, tzinfo=UTC),
        command_line=None,
    )


@pytest.fixture(scope="module")
def staff_fr(staff_out: Path) -> Report:
    return build_report(staff_out, lang="fr", generated_at=GENERATED_AT)


@pytest.fixture(scope="module")
def staff_en(staff_out: Path) -> Report:
    return build_report(staff_out, lang="en", generated_at=GENERATED_AT)


def _utc(stamp: object) -> datetime:
    text = getattr(stamp, "utc")  # noqa: B009
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=UTC)


def test_staff_findings_are_not_in_the_attack(builder: Builder) -> None:
    # F-010 is a log gap the morning before the spray: outside the attack too
    assert [f.id for f in builder.others] == ["F-010", *STAFF]
    assert not {f.id for f in builder.story} & set(STAFF)
    scope = builder.scope
    assert scope is not None and scope.known
    # the compromised account's own finding from its owners' desk is theirs, not the attacker's
    assert not scope.is_attack(builder.F.by_id()["F-104"])  # type: ignore[union-attr]


def test_phases_hold_only_attack_findings_and_their_spans(builder: Builder) -> None:
    phases = {p["phase"]: p for p in builder.phases()}
    for p in phases.values():
        assert not set(p["findings"].split(", ")) & set(STAFF), p
        # every span lies within the attack: benign findings do not stretch it
        assert ATTACK[0] <= _utc(p["first"]) <= _utc(p["last"]) <= ATTACK[1], p["phase"]
    assert phases["initial_access"]["findings"] == "F-002"
    assert _utc(phases["initial_access"]["first"]) == datetime(2024, 10, 25, 1, 12, 41, tzinfo=UTC)
    assert _utc(phases["collection"]["first"]) == datetime(2024, 10, 26, 21, 42, 30, tzinfo=UTC)
    assert _utc(phases["persistence"]["first"]) == datetime(2024, 10, 27, 2, 46, 30, tzinfo=UTC)
    note = builder.phases_note()
    assert note is not None and "5 other findings" in note


def test_timeline_marks_only_the_attacker(builder: Builder, staff_out: Path) -> None:
    findings = read_findings(staff_out / "findings.json")
    desk, desk2 = _busy_staff_ip(staff_out)
    lanes = builder.lanes[: fr.MAX_LANES]
    old = fr.attack_marks(builder.lf, findings, lanes, builder.other, 10.0, limit=10**7).frame
    # without the scope, the staff windows mark the nurses' and the owners' ordinary use
    assert set(old.get_column("finding").to_list()) & set(STAFF)
    marks = fr.attack_marks(builder.lf, findings, lanes, builder.other, 10.0, attack_scope(findings), limit=10**7)
    frame = marks.frame
    assert frame.height > 0
    assert not set(frame.get_column("finding").to_list()) & set(STAFF)
    assert not set(frame.get_column("ip").drop_nulls().to_list()) & {desk, desk2}
    # marks outside the attacker's addresses are lines an attack finding cites, nothing else
    scope = attack_scope(findings)
    allowed = scope.attacker_ips | {"10.20.3.47"}
    stray = frame.filter(~pl.col("ip").is_in(sorted(allowed)) | pl.col("ip").is_null())
    cited = {(e.file, e.line) for f in findings.findings if scope.is_attack(f) for e in f.evidence}
    assert all((r["file"], r["line"]) in cited for r in stray.iter_rows(named=True))


def test_session_bars_are_the_attackers(builder: Builder) -> None:
    bars = builder._session_bars()
    starts = sorted(b.start for b in bars)
    assert starts == [datetime(2024, 10, 25, 1, 25, 7, tzinfo=UTC), datetime(2024, 10, 26, 23, 58, 10, tzinfo=UTC)]


def test_summary_and_indicators_leave_staff_out(builder: Builder, staff_out: Path) -> None:
    how = [f.id for f in builder._how_findings()]
    assert how == ["F-001", "F-002"]
    desk, _ = _busy_staff_ip(staff_out)
    plain = builder.indicators()["plain"]
    assert desk.replace(".", "[.]", 1) not in plain and "10.20" not in plain.replace("10.20.3[.]47", "")


def _section(html: str, sid: str) -> str:
    start = html.index(f'id="{sid}"')
    return html[start : html.index("</section>", start)]


def test_html_lists_other_signals_apart(staff_en: Report, staff_fr: Report) -> None:
    for report, title in ((staff_en, "Other signals, not tied to the attack"), (staff_fr, "Autres signaux")):
        s5 = _section(report.html, "s5")
        other = s5.index('id="s5-other"')
        assert title in s5[other:]
        for fid in STAFF:
            # one row per kind in the body, each finding in full in annex A, marked apart
            assert f">{fid}<" not in s5[:other]
            annex = report.html[report.html.index('<details class="annex" id="a1">') :]
            assert f'<span class="fid">{fid}</span>' in annex
        assert "F-002" in s5[:other]
        s4 = _section(report.html, "s4")
        assert not any(fid in s4 for fid in STAFF)
        s2 = _section(report.html, "s2")
        assert not any(fid in s2 for fid in STAFF)


def test_account_agreement(staff_fr: Report, staff_en: Report, report_fr: Report, report_en: Report) -> None:
    two_fr, two_en = _section(staff_fr.html, "s2"), _section(staff_en.html, "s2")
    assert "Les comptes <strong>adm.interop</strong> et <strong>support.xtrem</strong> de l'application ont été " \
           "utilisés par un attaquant" in two_fr  # fmt: skip
    assert "The accounts <strong>adm.interop</strong> and <strong>support.xtrem</strong> of the application were " \
           "used by an attacker" in two_en  # fmt: skip
    assert "Comptes compromis" in two_fr and "Compromised accounts" in two_en and "Quels comptes" in two_fr
    one_fr, one_en = _section(report_fr.html, "s2"), _section(report_en.html, "s2")
    assert "Le compte <strong>adm.interop</strong> de l'application a été utilisé par" in one_fr
    assert "The account <strong>adm.interop</strong> of the application was used by" in one_en
    assert "Compte compromis<" in one_fr and "Comptes compromis" not in one_fr


def test_persistence_is_a_sentence(report_fr: Report, report_en: Report) -> None:
    fr_text = re.sub(r"\s+", " ", _section(report_fr.html, "s2"))
    en_text = re.sub(r"\s+", " ", _section(report_en.html, "s2"))
    assert "Le compte support.xtrem a été créé par l'attaquant (déduit : constat F-008)." in fr_text
    assert "The account support.xtrem was created by the attacker (inferred: finding F-008)." in en_text


def _emitted_techniques() -> set[str]:
    """Every ATT&CK id the correlator's code can write into findings.json."""
    found: set[str] = set()
    for path in (ROOT / "forensics" / "correlate").rglob("*.py"):
        found |= set(re.findall(r"[\"'](T\d{4}(?:\.\d{3})?)[\"']", path.read_text(encoding="utf-8")))
    return found


def test_every_emitted_technique_has_a_name_and_phase() -> None:
    emitted = _emitted_techniques()
    assert {"T1090.002", "T1110.003", "T1119"} <= emitted
    missing = sorted(x for x in emitted if x not in TECHNIQUES or not all(TECHNIQUE_NAMES.get(x, ("", ""))))
    assert not missing, missing
    en, fr_ = Locale("en", "UTC"), Locale("fr", "UTC")
    assert en.technique("T1090.002") == "Proxy: External Proxy"
    assert fr_.technique("T1090.002") == "Proxy : proxy externe (Proxy: External Proxy)"


def test_no_scope_keeps_every_finding() -> None:
    """Findings that name no attacker cannot be told apart: all of them stay in the story."""
    data = json.loads(FINDINGS.read_text(encoding="utf-8"))
    data["accounts"], data["attacker_ips"], data["created_accounts"] = [], [], []
    from forensics.report.model import findings_from_dict

    findings = findings_from_dict(data)
    scope = attack_scope(findings)
    assert not scope.known and all(scope.is_attack(f) for f in findings.findings)
    assert parse_time("2024-10-25T01:12:41Z") is not None

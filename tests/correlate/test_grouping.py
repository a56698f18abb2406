"""Repeated low-signal findings become one finding that lists them all; nothing is dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from forensics.correlate import correlate
from forensics.correlate.grouping import GROUP_MIN, Group, group_findings
from forensics.findings import Finding
from tests.correlate import scenarios
from tests.correlate.builder import CHROME118, FIREFOX, config, utc


def _f(detector: str, account: str | None, weight: float | None, k: int, signal: str | None = "new_source") -> Finding:
    t = datetime(2024, 10, 21, 8, tzinfo=UTC) + timedelta(hours=k)
    return Finding(
        detector=detector,
        title=f"{detector} {k}",
        techniques=[],
        basis="derived",
        reason="r",
        account=account,
        ips=[f"192.0.2.{k}"],
        first_seen=t,
        last_seen=t,
        event_count=2,
        rows=[10 * k, 10 * k + 1],
        signal=signal if weight is not None else None,
        weight=weight,
    )


def test_low_signal_findings_of_one_kind_are_grouped_with_every_member():
    weak = [_f("unusual_access", f"u{k}", 0.3, k) for k in range(GROUP_MIN + 2)]
    strong = _f("bulk", "u1", 0.5, 9, "bulk_collection")
    entries = group_findings([*weak, strong], flagged=set())
    groups = [e for e in entries if isinstance(e, Group)]
    assert len(groups) == 1 and strong in entries
    g = groups[0]
    assert g.members == weak
    assert g.finding.accounts == [f"u{k}" for k in range(GROUP_MIN + 2)]
    assert sorted(g.finding.rows) == sorted(r for f in weak for r in f.rows)
    assert g.finding.event_count == sum(f.event_count for f in weak)


def test_flagged_accounts_access_signals_and_rare_kinds_stay_on_their_own():
    weak = [_f("unusual_access", f"u{k}", 0.3, k) for k in range(GROUP_MIN)]
    entries = group_findings(weak, flagged={"u0"})  # u0 is suspicious: its finding stands alone
    assert all(not isinstance(e, Group) for e in entries)
    access = [_f("concurrent_use", f"u{k}", 0.6, k, "concurrent_use") for k in range(GROUP_MIN + 1)]
    assert all(not isinstance(e, Group) for e in group_findings(access, flagged=set()))


@pytest.fixture(scope="module")
def attack(tmp_path_factory):
    """The attack case, plus four staff members who work one evening from a new home connection."""
    c = scenarios.attack_case()
    homes = [("192.0.2.20", 19, FIREFOX), ("198.51.100.200", 20, FIREFOX), ("192.0.2.150", 22, CHROME118)]
    homes.append(("198.18.7.9", 23, CHROME118))
    for (user, uid), (ip, hour, ua) in zip(scenarios.STAFF[:4], homes, strict=True):
        scenarios._session(c, user, uid, utc(2024, 10, 26, hour, 5), 12, ip=ip, ua=ua)
    return correlate(c.frame(), config(tmp_path_factory.mktemp("cfg")))


def test_findings_json_keeps_every_member_traceable(attack):
    doc = attack.findings
    ids = {f["id"] for f in doc["findings"]}
    members = [m for f in doc["findings"] for m in f.get("members", [])]
    assert members, "the attack case has repeated low-signal findings (scripted clients of the staff)"
    for m in members:
        assert m["evidence"] and m["id"].split(".")[0] in ids
    # every account's signal names a finding of findings[] (and the member when grouped)
    for a in doc["accounts"]:
        for s in a["signals"]:
            assert s["finding"] in ids
            if s["member"] is not None:
                assert s["member"] in {m["id"] for m in members}
    fe = attack.finding_events
    assert set(fe.get_column("finding").unique().to_list()) <= ids
    assert set(fe.get_column("member").drop_nulls().unique().to_list()) == {m["id"] for m in members}
    assert fe.filter(pl.col("member").is_not_null()).height >= sum(1 for _ in members)


def test_each_verdict_says_which_baseline_its_signals_were_judged_against(attack):
    for a in attack.findings["accounts"]:
        assert [b["signal"] for b in a["baselines"]] == [s["signal"] for s in a["signals"]]
        for b in a["baselines"]:
            assert b["baseline"], (a["account"], b)
            if b["signal"] == "new_source":
                assert b["baseline"] == "own_history+peers"
                assert "own_history.logins=" in b["compared_with"] and "peers.basis=" in b["compared_with"]

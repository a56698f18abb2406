"""The generic application case: deterministic, mapped only through case.toml, every scenario in its truth."""

from __future__ import annotations

import hashlib
import json
import pathlib
import tomllib

import polars as pl
import pytest

from forensics.intake.engine import ingest
from forensics.simulate.__main__ import main
from forensics.simulate.generic import SCENARIOS, simulate_generic

SMALL = 0.03


def _digest(root: pathlib.Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes_and_another_seed_differs(tmp_path: pathlib.Path) -> None:
    a = simulate_generic(tmp_path / "a", scale=SMALL, seed=5, scenarios=("brute_force", "insider"))
    b = simulate_generic(tmp_path / "b", scale=SMALL, seed=5, scenarios=("brute_force", "insider"))
    simulate_generic(tmp_path / "c", scale=SMALL, seed=6, scenarios=("brute_force", "insider"))
    assert a == b
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_every_scenario_names_its_accounts_and_addresses(tmp_path: pathlib.Path) -> None:
    truth = simulate_generic(tmp_path / "all", scale=SMALL, seed=2, scenarios=tuple(SCENARIOS))
    routes = {v["route"] for v in truth["accounts"].values()}
    assert routes == set(SCENARIOS)
    assert truth["backdoor_accounts"] == ["support.ops"]
    assert not set(truth["attacker_ips"]) & set(truth["benign_ips"])
    assert {v["expected"] for v in truth["accounts"].values()} == {"compromised", "suspicious"}
    for acc in truth["accounts"]:
        assert acc not in truth["benign_accounts"]
    # each route its own victim
    victims = [a for a, v in truth["accounts"].items() if v["route"] != "backdoor_account"]
    assert len(victims) == len(set(victims))
    quiet = simulate_generic(tmp_path / "quiet", scale=SMALL, seed=2, scenarios=("none",))
    assert quiet["accounts"] == {} and quiet["attacker_ips"] == [] and quiet["scenarios"] == ["none"]


@pytest.mark.parametrize("audit_format", ["jsonl", "csv"])
def test_the_audit_trail_is_read_through_the_generated_mapping(tmp_path: pathlib.Path, audit_format: str) -> None:
    ev = tmp_path / "ev"
    truth = simulate_generic(ev, scale=SMALL, seed=3, scenarios=("backdoor_account",), audit_format=audit_format)
    cfg = tomllib.loads((ev / "case.toml").read_text())
    audit = [s for s in cfg["source"] if s["format"] == audit_format]
    assert audit and audit[0]["fields"]["user.target.name"] == "target"
    res = ingest(ev, tmp_path / "out", config=ev / "case.toml")
    events = res.events
    app = events.filter(pl.col("event.dataset") == audit_format)
    assert app.height == truth["counts"][f"api01/audit/audit.{audit_format}"] - (audit_format == "csv")
    assert app.filter(pl.col("event.action") == "log_message").height == 0
    created = app.filter(pl.col("event.action") == "account_created").get_column("user.target.name").to_list()
    assert "support.ops" in created and "apikey:support-ops" in created and "new.hire" in created
    roles = app.filter(pl.col("event.action") == "permission_changed").get_column("user.changes.roles").to_list()
    assert ["admin"] in roles
    web = events.filter(pl.col("event.dataset") == "nginx.access")
    assert web.get_column("http.request.id").null_count() == 0
    assert set(app.get_column("http.request.id").drop_nulls()) <= set(web.get_column("http.request.id"))


def test_cli_app_and_scenarios(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "g"
    assert (
        main([str(out), "--app", "generic", "--scale", "0.02", "--scenario", "insider", "--scenario", "brute_force"])
        == 0
    )
    truth = json.loads((out / "ground_truth.json").read_text())
    assert truth["scenarios"] == ["insider", "brute_force"]
    with pytest.raises(SystemExit):
        main([str(tmp_path / "x"), "--app", "generic", "--scenario", "phishing"])
    assert "unknown scenario" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([str(tmp_path / "y"), "--app", "generic", "--scenario", "sample"])  # the Mediboard sample only

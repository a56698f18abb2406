"""The stolen API key and the backdoor account, written the way Mediboard records them.

Mediboard logs an API key's use as one ``user_authentication`` row per user, method and day
that keeps the day's first address only, so:

* the key's requests belong to a stateless application session opened by the key itself
  (``auth_method`` token): they are still requests made with the key (``key_reuse``);
* on the day the stolen key is used first, the row keeps the thief's address and the
  integration's own calls from its usual server belong to no account; they still show the
  usual client using the key again.

The backdoor's creator, an administrator who logs in once a week, has too few logins of its
own to say what is new for it: its peers decide (a network and a user agent none of them
had used), and the account it created, logging in from that same network and reading in
bulk, corroborates that the change was not planned.  IT creating a new hire's account from
the office stays ordinary.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from forensics.correlate import correlate
from forensics.intake.engine import ingest
from forensics.simulate import simulate
from forensics.simulate.mediboard_routes import BACKDOOR_ROUTE_LOGIN, INTEGRATION_LOGIN
from forensics.simulate.routes import BACKDOOR_IP, KEY_IP


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mb-key-backdoor")
    ev = tmp / "ev"
    truth = simulate(
        ev, scale=0.01, seed=11, progress=lambda _m: None, scenarios=("stolen_api_key", "backdoor_account")
    )
    res = ingest(ev, tmp / "out", config=ev / "case.toml")
    return truth, correlate(res.out_dir, ev / "case.toml").findings


def _account(doc: dict, name: str) -> dict:
    return next((a for a in doc["accounts"] if a["account"] == name), {"verdict": "normal", "first_malicious": None})


def _by(doc: dict, detector: str) -> list[dict]:
    return [f for f in doc["findings"] if f["detector"] == detector] + [
        m for f in doc["findings"] for m in f.get("members", []) if m["detector"] == detector
    ]


def _error(doc: dict, truth: dict, name: str) -> float:
    got = _account(doc, name)["first_malicious"]
    assert got, f"{name} has no first_malicious"
    want = truth["accounts"][name]["first_malicious"]
    return abs((datetime.fromisoformat(got) - datetime.fromisoformat(want.replace("Z", "+00:00"))).total_seconds())


def test_the_integrations_key_used_from_another_network_is_use_by_someone_else(case) -> None:
    truth, doc = case
    acc = _account(doc, INTEGRATION_LOGIN)
    assert acc["verdict"] == "compromised"
    found = [f for f in _by(doc, "key_reuse") if f["account"] == INTEGRATION_LOGIN]
    assert len(found) == 1 and found[0]["ips"] == [KEY_IP]
    # the row of that day kept the thief's address: the integration's own calls were nobody's
    assert found[0]["details"]["usual_again_unattributed"] is True
    assert found[0]["details"]["baseline"]["own_history"]["days"] >= 1
    assert KEY_IP in doc["attacker_ips"]
    assert _error(doc, truth, INTEGRATION_LOGIN) <= 10


def test_an_administrator_with_a_thin_history_is_judged_against_its_peers(case) -> None:
    truth, doc = case
    creator = next(a for a, v in truth["accounts"].items() if v["records"] == 0)
    assert _account(doc, creator)["verdict"] == "compromised"
    changes = [f for f in _by(doc, "new_client_change") if f["signal"] == "new_client_change"]
    assert [f["account"] for f in changes] == [creator]
    own = changes[0]["details"]["baseline"]["own_history"]
    assert own["thin"] is True and own["logins"] < doc["thresholds"]["baseline_min_logins"]
    assert "peers" in changes[0]["reason"]
    misused = [f for f in _by(doc, "new_client_change") if f["signal"] == "changed_account_misused"]
    assert [(f["account"], f["details"]["changed_account"]) for f in misused] == [(creator, BACKDOOR_ROUTE_LOGIN)]
    assert _error(doc, truth, creator) <= 10


def test_the_created_account_is_a_backdoor_and_the_new_hire_is_not(case) -> None:
    truth, doc = case
    assert set(truth["backdoor_accounts"]) == {BACKDOOR_ROUTE_LOGIN}
    assert doc["created_accounts"] == [BACKDOOR_ROUTE_LOGIN]
    assert _account(doc, BACKDOOR_ROUTE_LOGIN)["verdict"] == "compromised"
    hire = truth["benign_lookalikes"]["new_hire_created"]["account"]
    assert _account(doc, hire)["verdict"] == "normal"
    assert BACKDOOR_IP in doc["attacker_ips"]
    compromised = {a["account"] for a in doc["accounts"] if a["verdict"] == "compromised"}
    assert compromised == set(truth["accounts"])
    assert set(doc["attacker_ips"]) == set(truth["attacker_ips"])

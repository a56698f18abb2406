"""ATT&CK techniques follow what the requests did: a steady beat of logins is not collection.

The report draws its phases from the techniques each finding carries, so a spray labelled
"Automated Collection" would start the collection phase hours early, and pagination that
carries no exfiltration technique would leave the exfiltration phase short.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from forensics.correlate import correlate
from forensics.correlate.detectors.scripted import purpose
from forensics.findings import parse_utc
from forensics.findings.attack import TECHNIQUES, primary_phase
from tests.correlate import scenarios
from tests.correlate.builder import CHROME, Case, config, utc
from tests.correlate.scenarios import staff_ip

EXFILTRATION = {"T1020", "T1030", "T1041", "T1048", "T1567"}


@pytest.fixture(scope="module")
def attack_result(tmp_path_factory):
    return correlate(scenarios.attack_case().frame(), config(tmp_path_factory.mktemp("cfg")))


def _run(c: Case, tmp_path, **kw):
    return correlate(c.frame(), config(tmp_path), **kw)


def _of(r, detector: str) -> list[dict]:
    return [f for f in r.findings["findings"] if f["detector"] == detector]


def test_rhythmic_login_spray_is_credential_access_not_collection(tmp_path):
    c = Case()
    scenarios.rhythmic_spray(c, "203.0.113.60")
    r = _run(c, tmp_path)
    scripted = [f for f in _of(r, "scripted") if "203.0.113.60" in f["ips"]]
    assert len(scripted) == 1, _of(r, "scripted")
    f = scripted[0]
    assert f["details"]["purpose"] == "credential" and f["details"]["automated"]
    # the spray detector named the attack: the scripted finding takes its sub-technique
    assert f["techniques"] == ["T1110.003"]
    assert primary_phase(f["techniques"]) == "credential_access"
    assert "login attempts" in f["reason"]
    assert not any("T1119" in x["techniques"] for x in r.findings["findings"])


def test_rhythmic_login_attempts_without_a_named_campaign_are_brute_force(tmp_path):
    """Below the spray threshold (few accounts): still credential access, the generic T1110."""
    c = Case()
    t = utc(2024, 10, 24, 21, 0)
    for k in range(40):
        c.web(t + timedelta(seconds=3 * k), "203.0.113.61", method="POST", status=401)
    r = _run(c, tmp_path)
    f = [x for x in _of(r, "scripted") if "203.0.113.61" in x["ips"]]
    assert len(f) == 1 and f[0]["techniques"] == ["T1110"]


def test_rhythmic_api_pagination_is_automated_collection_and_exfiltration(tmp_path):
    c = Case()
    scenarios.rhythmic_pagination(c, "203.0.113.201")
    r = _run(c, tmp_path)
    scripted = _of(r, "scripted")
    assert len(scripted) == 1 and scripted[0]["techniques"] == ["T1119"]
    assert scripted[0]["details"]["purpose"] == "collection"
    pages = _of(r, "bulk")
    assert len(pages) == 1
    tech = pages[0]["techniques"]
    assert tech[0] == "T1119" and "T1213" in tech
    # the pages went back to an outside address (same channel), 100 at a time, from a loop
    assert {"T1041", "T1030", "T1020"} <= set(tech)
    assert "T1567" not in tech
    assert pages[0]["details"]["exfiltration"]["out_ips"] == ["203.0.113.201"]
    assert "Transfer:" in pages[0]["reason"]


def test_pagination_inside_the_network_is_collection_without_exfiltration(tmp_path):
    """The same loop from a clinic desk: the data did not leave the networks, nothing was exfiltrated."""
    c = Case()
    ip = staff_ip(1101)
    c.login(utc(2024, 10, 26, 23, 57), "j.martin", 1101, "s-1", ip, CHROME)
    scenarios.rhythmic_pagination(c, ip)
    r = _run(c, tmp_path)
    pages = _of(r, "bulk")
    assert pages and all(not {"T1041", "T1020"} & set(f["techniques"]) for f in pages)


def test_browser_export_in_chunks_leaves_over_the_session_but_is_not_automated(tmp_path):
    c = Case()
    t = utc(2024, 10, 26, 21, 44)
    for m in range(1, 13):
        end = (date(2023, m, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        q = f"m=dPpatients&raw=ajax_export_patients_csv&date_min=2023-{m:02d}-01&date_max={end}"
        c.web(t, "203.0.113.45", query=q, ua=scenarios.FIREFOX, nbytes=1_200_000)
        t += timedelta(seconds=50 + 20 * (m % 3))
    r = _run(c, tmp_path)
    ex = _of(r, "bulk")
    assert len(ex) == 1
    assert {"T1213", "T1030", "T1041"} <= set(ex[0]["techniques"]) and "T1020" not in ex[0]["techniques"]


def test_purpose_reads_what_the_requests_do():
    def frame(*rows):
        return pl.DataFrame(
            rows,
            schema={"activity": pl.String, "http.request.method": pl.String, "http.response.status_code": pl.Int64},
            orient="row",
        )

    logins = frame(*[("login_failed", "POST", 401)] * 5, ("form_post", "POST", 200), ("static", "GET", 200))
    assert purpose(logins)["purpose"] == "credential"
    assert purpose(frame(*[("form_post", "POST", 200)] * 6))["purpose"] is None  # no failure: not a password attack
    assert purpose(frame(*[("api_list", "GET", 200)] * 6, ("login", "GET", 200)))["purpose"] == "collection"
    assert purpose(frame(*[("api_list", "GET", 403)] * 6))["purpose"] is None  # refused reads collect nothing
    assert purpose(frame(("static", "GET", 200)))["purpose"] is None


def test_attack_steps_carry_the_techniques_of_their_phase(attack_result):
    """The miniature attack: each step's findings fall in the phase the ground truth gives it."""
    attacker = set(attack_result.findings["attacker_ips"])
    findings = [f for f in attack_result.findings["findings"] if attacker & set(f["ips"])]
    for f in attack_result.findings["findings"]:
        for x in f["techniques"]:
            assert x in TECHNIQUES, x
    collection = [f for f in findings if "T1119" in f["techniques"]]
    assert collection
    spray_end = utc(2024, 10, 25, 1, 30)
    assert all(parse_utc(f["first_seen"]) > spray_end for f in collection)
    exfil = [f for f in findings if EXFILTRATION & set(f["techniques"])]
    titles = " | ".join(f["title"] for f in exfil)
    assert "Bulk export" in titles and "pagination" in titles and "Record-by-record" in titles, titles
    assert not any("T1567" in f["techniques"] for f in findings)

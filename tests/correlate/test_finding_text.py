"""Finding texts: every code has an English and a French entry, and the JSON carries them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from forensics.finding_text import EN, FR, Msg, Style, codes, msg, render
from forensics.findings import Finding

#: kinds a template may use (finding_text.Style and _Formatter)
KINDS = {"", "num", "g", "dec", "time", "minute", "clock", "date", "ip", "ips", "list", "join", "msg", "msgs"}
KINDS |= {"plural", "repr", "02d", "word"}


def _messages(value: Any) -> list[dict[str, Any]]:
    """Every message (nested ones included) in a findings document."""
    out = []
    if isinstance(value, dict):
        if isinstance(value.get("code"), str) and isinstance(value.get("params"), dict):
            out.append(value)
        for v in value.values():
            out += _messages(v)
    elif isinstance(value, list):
        for v in value:
            out += _messages(v)
    return out


def test_every_code_has_an_english_and_a_french_entry():
    assert set(EN) - set(FR) == set(), "codes without French"
    assert set(FR) - set(EN) == set(), "French codes without English"


@pytest.mark.parametrize("code", sorted(EN))
def test_same_placeholders_in_both_languages(code):
    en = {name for name, _ in codes(EN[code])}
    fr = {name for name, _ in codes(FR[code])}
    assert en == fr, code
    for lang in (EN, FR):
        for name, kind in codes(lang[code]):
            assert kind in KINDS, (code, name, kind)


def test_finding_keeps_english_text_and_message():
    f = Finding(
        detector="spray",
        title=msg("spray.title", n_ips=2, accounts=1236),
        techniques=["T1110.003"],
        basis="derived",
        reason=msg("brute.web.reason", events=1179, ip="203.0.113.10", minutes=60.0, min_failures=30),
        first_seen=datetime(2024, 10, 24, 21, 2, tzinfo=UTC),
    )
    assert f.title == "Password spraying from 2 address(es) against 1,236 accounts"
    assert f.reason.startswith("1,179 login requests from 203.0.113.10 were refused (HTTP 401/403) within 60 minutes")
    j = f.record([]).to_json()
    assert j["messages"]["title"] == {"code": "spray.title", "params": {"accounts": 1236, "n_ips": 2}}
    assert (
        render(j["messages"]["title"], "fr") == "Pulvérisation de mots de passe depuis 2 adresses contre 1,236 comptes"
    )


def test_nested_messages_times_lists_and_plurals():
    m = msg(
        "persistence.reason",
        actor="adm.interop",
        parts=[msg("persistence.created", n=1, accounts=["support.xtrem"]), msg("persistence.passwords", n=1)],
        first=datetime(2024, 10, 27, 2, 47, 11, tzinfo=UTC),
        last="2024-10-27T02:48:51Z",
        source=msg("persistence.from", ips=[f"203.0.113.{i}" for i in range(10, 20)]),
        end=msg("persistence.end"),
    )
    assert render(m) == (
        "The audit trail records that adm.interop created 1 account(s): support.xtrem; changed passwords 1 time(s) "
        "between 2024-10-27 02:47:11Z and 2024-10-27 02:48:51Z from 203.0.113.10, 203.0.113.11, 203.0.113.12, "
        "203.0.113.13, 203.0.113.14, 203.0.113.15, 203.0.113.16, 203.0.113.17 and 2 more."
    )
    fr = render(Msg(**{"code": m.code, "params": m.to_json()["params"]}), "fr")
    assert fr.startswith("Le journal d'audit enregistre que adm.interop a créé 1 compte : support.xtrem ; changé")
    assert fr.endswith("203.0.113.17 et 2 autres.")


def test_a_style_formats_each_kind():
    class Defanged(Style):
        def ip(self, value: Any, arg: str) -> str:
            head, _, tail = str(value).rpartition(".")
            return f"{head}[.]{tail}"

    text = render(msg("brute.web.title", ip="203.0.113.10"), "fr", Defanged("fr"))
    assert text == "Rafale d'échecs de connexion depuis 203.0.113[.]10 (journaux web)"


def test_unknown_code_raises_for_the_caller_to_fall_back():
    with pytest.raises(KeyError):
        render({"code": "no.such.code", "params": {}}, "fr")


def test_scenario_document_codes_are_all_in_the_catalogue(tmp_path_factory):
    from forensics.correlate import correlate
    from tests.correlate import scenarios
    from tests.correlate.builder import config

    cases = [scenarios.attack_case(), scenarios.stuffing_case(), scenarios.insider_case()]
    found: set[str] = set()
    for case in cases:
        doc = correlate(case.frame(), config(tmp_path_factory.mktemp("cfg")), ()).findings
        for f in doc["findings"]:
            assert "messages" in f and {"title", "reason"} <= set(f["messages"]), f["id"]
            assert render(f["messages"]["title"]) == f["title"]
            assert render(f["messages"]["reason"]) == f["reason"]
        for a in doc["accounts"]:
            assert [render(m) for m in a["reason_messages"]] == a["reasons"]
        for e in doc["exfiltration"]:
            assert render(e["method_message"]) == e["method"]
        for m in _messages(doc):
            found.add(m["code"])
            render(m, "fr")  # every parameter fits the French template too
    assert found <= set(EN) and found <= set(FR)
    # the cases exercise the main detectors
    assert {"spray.title", "saf.campaign.title", "backdoor.title", "exfil.method"} <= found

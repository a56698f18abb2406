"""The answers: what happened, when (UTC), from where, and what each file holds."""

from __future__ import annotations

import gzip
import json
import zlib

from .attack import SPOOFED, SPRAY_IPS, TECHNIQUES, TOR_1, TOR_2, VPN_IP
from .clock import HOST_SKEW, iso_z, utc
from .model import (
    BACKDOOR_ID,
    BACKDOOR_LOGIN,
    COMPROMISED_ID,
    COMPROMISED_LOGIN,
    N_PATIENTS,
)
from .pipeline import GAP, Outputs, Pipeline
from .traffic import APP_IP, PROXY_IP

SCHEMA = "forensics.ground_truth/1"
TECHNIQUE_TABLE = [
    ("Reconnaissance", "Gather Victim Identity Info: Employee Names", "T1589.003"),
    ("Credential Access", "Brute Force: Password Spraying", "T1110.003"),
    (
        "Initial Access / Persistence / Defense Evasion",
        "Valid Accounts: Local Accounts",
        "T1078.003",
    ),
    ("Discovery", "Account Discovery", "T1087"),
    ("Discovery", "Permission Groups Discovery", "T1069"),
    ("Collection", "Data from Information Repositories", "T1213"),
    ("Collection", "Automated Collection", "T1119"),
    ("Collection", "Data Staged", "T1074"),
    ("Command and Control", "Application Layer Protocol: Web Protocols", "T1071.001"),
    ("Command and Control", "Proxy: External Proxy", "T1090.002"),
    ("Command and Control", "Proxy: Multi-hop Proxy", "T1090.003"),
    ("Exfiltration", "Exfiltration Over C2 Channel", "T1041"),
    ("Exfiltration", "Data Transfer Size Limits", "T1030"),
    ("Exfiltration", "Automated Exfiltration", "T1020"),
    ("Persistence", "Create Account: Local Account", "T1136.001"),
    ("Persistence", "Account Manipulation", "T1098"),
]
PHASE_NAMES = {
    "A1": "Password spray",
    "A2": "First success (adm.interop / round 4)",
    "A3": "Reconnaissance",
    "A4": "Saturday-night login",
    "A5": "Full-range export fails (HTTP 500)",
    "A6": "Chunked CSV export",
    "A7": "API pagination through Tor",
    "A8": "Per-patient API detail",
    "A9": "Backdoor account",
    "A10": "Logout",
}
SPEC_ANCHORS = {
    "A1": utc(2024, 10, 24, 21, 2, 0),
    "A2": utc(2024, 10, 25, 1, 12, 41),
    "A3": utc(2024, 10, 25, 1, 25, 7),
    "A4": utc(2024, 10, 26, 21, 41, 2),
    "A5": utc(2024, 10, 26, 21, 42, 30),
    "A6": utc(2024, 10, 26, 21, 44, 10),
    "A7": utc(2024, 10, 26, 23, 58, 10),
    "A8": utc(2024, 10, 27, 0, 31, 45),
    "A9": utc(2024, 10, 27, 2, 47, 12),
    "A10": utc(2024, 10, 27, 3, 5, 40),
}


def _lines(path: str, data: bytes) -> int:
    if path.endswith(".gz"):
        raw = b""
        d = data
        while d:
            dec = zlib.decompressobj(16 + zlib.MAX_WBITS)
            raw += dec.decompress(d)
            d = dec.unused_data
        data = raw
    _ = gzip
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def build(
    pipe: Pipeline,
    outputs: Outputs,
    seed: int,
    scale: float,
    table_counts: dict[str, int],
) -> dict:
    w = pipe.world
    info = w.attack.info
    phases = {}
    for tag in [f"A{i}" for i in range(1, 11)]:
        phases[tag] = {
            "name": PHASE_NAMES[tag],
            "first": iso_z(pipe.first_by_tag[tag]),
            "last": iso_z(pipe.last_by_tag[tag]),
            "last_completed": iso_z(round(pipe.end_by_tag[tag], 6)),
            "spec_time": iso_z(SPEC_ANCHORS[tag]),
            "attack_ids": TECHNIQUES[tag],
            "requests": pipe.counts_by_tag[tag],
            "bytes": pipe.bytes_by_tag[tag],
        }
    attack_bytes = sum(v for k, v in pipe.bytes_by_tag.items() if k.startswith("A"))
    benign_ips = sorted(
        {s.ip for s in w.mb.sessions if s.user_id != COMPROMISED_ID or s.ip.startswith("10.")}
        | {
            "198.51.100.77",
            "10.20.5.12",
            "10.20.0.30",
            "10.20.0.40",
            "10.10.0.9",
            "127.0.0.1",
        }
        - {SPOOFED}
    )
    counts = {path: _lines(path, data) for path, data in sorted(outputs.files.items())}
    counts.update(table_counts)
    notes = outputs.notes
    audit = notes["audit"]
    for host in ("db01", "db02"):
        oldest = audit[host]["oldest_retained"]
        audit[host]["oldest_retained"] = iso_z(oldest) if oldest is not None else None
    look = {}
    for key, v in w.look.truth.items():
        entry = {
            "account": v["account"],
            "ip": v["ip"],
            "time": iso_z(v["time"]),
            "what": v["what"],
        }
        if "events" in v:
            entry["events"] = [{"account": e["account"], "ip": e["ip"], "time": iso_z(e["time"])} for e in v["events"]]
        look[key] = entry
    return {
        "schema": SCHEMA,
        "seed": seed,
        "scale": scale,
        "case": "Clinique Saint-Exemple",
        "timezone": "Europe/Paris",
        "evidence_window": {"start": iso_z(pipe.t0), "end": iso_z(pipe.t1)},
        "compromised_account": COMPROMISED_LOGIN,
        "compromised_user_id": COMPROMISED_ID,
        "backdoor_account": BACKDOOR_LOGIN,
        "backdoor_user_id": BACKDOOR_ID,
        "attacker_ips": [*SPRAY_IPS, VPN_IP, TOR_1, TOR_2],
        "spoofed_ips": [SPOOFED],
        "first_attacker_event": iso_z(pipe.first_by_tag["A1"]),
        "first_malicious": iso_z(w.attack.anchors["A2"]),
        "last_malicious": iso_z(w.attack.anchors["A10"]),
        "tor_circuit_change": iso_z(info["tor_switch"]),
        "phases": phases,
        "spray": info["spray"],
        "exfiltration": {
            "distinct_patients": N_PATIENTS,
            "csv_export_patients": info["csv"]["distinct_patients"],
            "csv_export_rows": info["csv"]["rows"],
            "csv_chunks": info["csv"]["chunks"],
            "csv_long_request_rows": info["csv"]["long_request_rows"],
            "api_list_items": info["api_list_items"],
            "api_list_pages": pipe.counts_by_tag["A7"],
            "api_detail_ids": info["api_detail_ids"],
            "bytes": attack_bytes,
            "bytes_csv": pipe.bytes_by_tag["A6"],
            "bytes_api": pipe.bytes_by_tag["A7"] + pipe.bytes_by_tag["A8"],
            "recon_patients_viewed": info["recon_six_patients"],
        },
        "backdoor": info["backdoor"],
        "techniques": [{"tactic": a, "technique": b, "id": c} for a, b, c in TECHNIQUE_TABLE],
        "benign_lookalikes": look,
        "benign_ips": benign_ips,
        "skew_seconds": dict(HOST_SKEW),
        "log_gap": {
            "host": "app01",
            "source": "app01/apache2/access.log*",
            "start": iso_z(GAP[0]),
            "end": iso_z(GAP[1]),
            "lines_missing": pipe.gap_lines,
        },
        "file_quirks": {
            "truncated_last_line": notes["truncated_last_line"],
            "concatenated_gzip": notes["concatenated_gzip"],
            "copytruncate_duplicate": notes["copytruncate_duplicate"],
            "server_audit": audit,
        },
        "counts": counts,
    }


def route_truth(pipe: Pipeline, outputs: Outputs, seed: int, scale: float, scenarios: list[str]) -> dict:
    """The answers of a Mediboard week with routes to an account (or none), in the shape of the
    generic application's: accounts with their route, expected verdict, first malicious time and
    records taken; the attacker's addresses; the accounts left behind; the look-alikes."""
    w = pipe.world
    week = pipe.routes
    assert week is not None
    truth = week.truth
    accounts = {
        acc: {**v, "first_malicious": iso_z(v["first_malicious"])}
        for acc, v in sorted(truth.get("accounts", {}).items())
    }
    attacker = sorted(truth.get("attacker_ips", set()))
    look = {}
    for key, v in w.look.truth.items():
        look[key] = {"account": v["account"], "ip": v["ip"], "time": iso_z(v["time"]), "what": v["what"]}
    for key, v in week.lookalikes.items():
        look[key] = {**v, "time": iso_z(v["time"])}
    benign_ips = sorted(
        ({s.ip for s in w.mb.sessions if s.session_id not in week.attack_sessions} | week.benign_ips) - set(attacker)
    )
    internal = sorted({ip for ip in benign_ips if ip.startswith(("10.", "127."))} | {PROXY_IP, APP_IP})
    return {
        "schema": SCHEMA,
        "app": "mediboard",
        "seed": seed,
        "scale": scale,
        "scenarios": scenarios,
        "case": "Clinique Saint-Exemple",
        "timezone": "Europe/Paris",
        "evidence_window": {"start": iso_z(pipe.t0), "end": iso_z(pipe.t1)},
        "accounts": accounts,
        "attacker_ips": attacker,
        "spoofed_ips": [],
        "backdoor_accounts": sorted(truth.get("backdoors", [])),
        "benign_accounts": sorted({u.login for u in w.clinic.users} - set(accounts)),
        "benign_ips": benign_ips,
        "internal_ips": internal,
        "benign_lookalikes": look,
        "counts": {path: _lines(path, data) for path, data in sorted(outputs.files.items())},
    }


def to_json(truth: dict) -> bytes:
    return (json.dumps(truth, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")

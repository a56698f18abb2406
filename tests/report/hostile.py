"""A case whose every displayed field is hostile: log text, file and folder names, the case
config, findings.json, sessions and links.

Each hostile string carries the token ``XSS`` so a test can prove it never became an
element, an attribute or an attribute value, only text.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from forensics.intake.engine import ingest

#: Strings that would do something if a report let them: markup, script ends, URL schemes,
#: template and plotly syntax, JSON breakers, invisible and reordering characters.
PAYLOADS = [
    "<script>alert('XSS-1')</script>",
    '"><img src=x onerror=alert("XSS-2")>',
    "javascript:alert('XSS-3')",
    "</script><script>alert('XSS-4')</script>",
    '<a href="javascript:alert(1)">XSS-5 click</a>',
    '<span style="font-size:90px">XSS-6 big</span>',
    "XSS-7 line\u2028separator\u2029paragraph",
    "{{ 7*7 }} {% raw %} XSS-8 %{customdata[0]} %{x}",
    "<!-- XSS-9 <script>",
    "XSS-10 \u202egnp.exe \x1b[31mred\x1b[0m",
    "<svg/onload=alert('XSS-11')>",
    "<br>XSS-12<b>bold</b>",
]
HOST = "<svg onload=alert(XSS-host)><b>bold"
FILE = 'access"><img src=x onerror=alert(XSS-file)>\u2028.log'
CASE = "<script>alert('XSS-case')</script>"
ANALYST = '"><img src=x onerror=alert("XSS-analyst")>'
TITLE = "</title><script>alert('XSS-title')</script>"


def _apache_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _line(i: int, payload: str) -> str:
    minute = 10 + i
    ua = _apache_escape(payload)
    url = "/mediboard/index.php?q=" + payload.replace(" ", "%20").replace('"', "%22")
    return (
        f"10.10.0.5 - {payload.replace(' ', '_').replace(chr(34), '')} [26/Oct/2024:23:{minute:02d}:00 +0200] "
        f'"GET {_apache_escape(url)} HTTP/1.1" 200 {1000 + i} "{_apache_escape(payload)}" "{ua}" 1234 '
        f'"203.0.113.{100 + i}"'
    )


def write(root: Path) -> Path:
    """Build the hostile evidence, ingest it, and add findings/sessions/links; return OUT_DIR."""
    evidence = root / "evidence"
    folder = evidence / HOST
    folder.mkdir(parents=True)
    lines = [_line(i, p) for i, p in enumerate(PAYLOADS)]
    (folder / FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = root / "case.toml"
    config.write_text(
        "[case]\n"
        f"name = {json.dumps(CASE)}\n"
        f"analyst = {json.dumps(ANALYST)}\n"
        'timezone = "Europe/Paris"\n'
        'awareness = "2024-10-28T11:30:00+01:00"\n'
        "[network]\n"
        'trusted_proxies = ["10.10.0.5"]\n'
        "[[source]]\n"
        'path = "**"\n'
        'format = "apache.access"\n'
        'timezone = "Europe/Paris"\n',
        encoding="utf-8",
    )
    out = root / "out"
    ingest(evidence, out, config=config, command_line=["forensics", "ingest", *PAYLOADS[:3]])
    relpath = f"{HOST}/{FILE}"
    ips = [f"203.0.113.{100 + i}" for i in range(len(PAYLOADS))]
    findings = {
        "schema": "forensics.findings/1",
        "command_line": ["forensics", "correlate", PAYLOADS[3]],
        "attack": {"first_seen": "2024-10-26T21:10:00Z", "last_seen": "2024-10-26T21:21:00Z"},
        "accounts": [
            {
                "account": p,
                "verdict": "compromised" if i == 0 else "suspicious",
                "score": 0.9,
                "first_malicious": "2024-10-26T21:10:00Z",
                "last_malicious": "2024-10-26T21:21:00Z",
                "source_ips": [ips[i], p],
                "reasons": [p],
            }
            for i, p in enumerate(PAYLOADS[:4])
        ],
        "attacker_ips": [*ips, PAYLOADS[1]],
        "created_accounts": PAYLOADS[4:6],
        "findings": [
            {
                "id": f"F-{i}{p[:12]}",
                "title": p,
                "techniques": ["T1110.003", p] if i % 2 else ["T1213"],
                "basis": "inferred" if i % 3 == 0 else p,
                "account": p,
                "ips": [ips[i], p],
                "first_seen": f"2024-10-26T21:{10 + i:02d}:00Z",
                "last_seen": f"2024-10-26T21:{10 + i:02d}:00Z",
                "event_count": 1,
                "reasons": [p, f"SQL: SELECT '{p}' FROM patients"],
                "evidence": [{"file": relpath, "line": i + 1}, {"file": p, "line": 7}],
            }
            for i, p in enumerate(PAYLOADS)
        ],
        "exfiltration": [
            {
                "account": p,
                "ip": None if i == 0 else p,
                "records": {"estimate": 10 + i, "low": 5, "high": 20},
                "distinct_objects": 10,
                "bytes": 1000,
                "first_seen": "2024-10-26T21:10:00Z",
                "last_seen": "2024-10-26T21:21:00Z",
                "method": p,
                "categories": [p, "health"],
                "findings": [p],
            }
            for i, p in enumerate(PAYLOADS[:3])
        ],
        "uncertainties": PAYLOADS[6:8],
    }
    (out / "findings.json").write_text(json.dumps(findings, ensure_ascii=False), encoding="utf-8")
    ts = pl.Series(["2024-10-26T21:10:00Z"] * 3).str.to_datetime(time_unit="us", time_zone="UTC")
    pl.DataFrame(
        {
            "kind": PAYLOADS[:3],
            "account": PAYLOADS[:3],
            "keys": PAYLOADS[3:6],
            "ips": [[ips[0], PAYLOADS[1]]] * 3,
            "user_agents": [[PAYLOADS[3], PAYLOADS[6]]] * 3,
            "first_seen": ts,
            "last_seen": ts,
            "event_count": [1, 2, 3],
            "bytes": [10, 20, 30],
            "reasons": [[PAYLOADS[4]]] * 3,
            PAYLOADS[9]: PAYLOADS[6:9],
        }
    ).write_parquet(out / "sessions.parquet")
    pl.DataFrame(
        {
            "account": PAYLOADS[:3],
            "left": PAYLOADS[3:6],
            "right": PAYLOADS[6:9],
            "reason": PAYLOADS[9:12],
            "confidence": [0.5, 0.7, 0.9],
            "db.query.text": [f"SELECT * FROM patients WHERE nom = '{p}'" for p in PAYLOADS[:3]],
        }
    ).write_parquet(out / "links.parquet")
    return out

"""Analyst-side context files, ``case.toml`` and the folder README."""

from __future__ import annotations

import csv
import io

from .attack import SPRAY_IPS, TOR_1, TOR_2, VPN_IP
from .model import WARDS, Clinic

CASE_TOML_HEAD = """[case]
name = "Clinique Saint-Exemple"
timezone = "Europe/Paris"
awareness = "2024-10-28T11:30:00+01:00"
exclude = ["ground_truth.json", "case.toml", "context/**", "README.md"]

[network]
trusted_proxies = ["10.10.0.5"]
internal = ["10.0.0.0/8", "127.0.0.0/8"]
ip_context = "context/ip_context.csv"     # columns: network (IP or CIDR), label (tor, vpn, hosting, isp, ...), note

[[source]]
path = "app01/apache2/access.log*"
format = "apache.access"
log_format = '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D "%{X-Forwarded-For}i"'
host = "app01"
timezone = "Europe/Paris"

[[source]]
path = "rp01/nginx/access.log*"
format = "nginx.access"
log_format = '$remote_addr - $remote_user [$time_iso8601] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" rt=$request_time xff_in="$http_x_forwarded_for"'
host = "rp01"
timezone = "UTC"
clock_offset = "0s"   # the host provider states rp01 is NTP-synchronised: the reference clock
"""

OTHER_SOURCES = [
    ("app01/apache2/error.log*", "apache.error", "app01"),
    ("app01/mediboard/tmp/application.log*", "mediboard.applog", "app01"),
    ("db01/mysql/server_audit.log*", "mariadb.audit", "db01"),
    ("db01/mysql/mariadb-slow.log*", "mysql.slow", "db01"),
    ("db02/mysql/server_audit.log*", "mariadb.audit", "db02"),
    ("db02/mysql/mariadb-slow.log*", "mysql.slow", "db02"),
    ("db02/mysql/general.log*", "mysql.general", "db02"),
]
DUMP_TABLES = [
    "users",
    "user_authentication",
    "user_authentication_error",
    "user_agent",
    "user_log",
    "log_access_medical_data",
    "long_request_log",
    "access_log",
    "datasource_log",
    "module_action",
]


def case_toml() -> str:
    parts = [CASE_TOML_HEAD]
    for path, fmt, host in OTHER_SOURCES:
        parts.append(f'\n[[source]]\npath = "{path}"\nformat = "{fmt}"\nhost = "{host}"\ntimezone = "Europe/Paris"\n')
    for table in DUMP_TABLES:
        parts.append(
            f'\n[[source]]\npath = "mediboard_dump/{table}.tsv"\nformat = "mediboard.{table}"\n'
            '# DATETIMEs come from the PHP clock of app01 (the rows live on db01)\nhost = "app01"\n'
            'timezone = "Europe/Paris"\n'
        )
    return "".join(parts)


def _csv(rows: list[list[object]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for row in rows:
        w.writerow(row)
    return buf.getvalue().encode("utf-8")


def ip_context() -> bytes:
    rows: list[list[object]] = [["network", "label", "note"]]
    for ip in (TOR_1, TOR_2, "203.0.113.203"):
        rows.append([ip, "tor", "Tor exit relay (synthetic list)"])
    rows.append(["203.0.113.32/27", "vpn", f"Commercial VPN endpoint pool (includes {VPN_IP})"])
    for ip in SPRAY_IPS:
        rows.append([ip, "hosting", "VPS hosting provider"])
    rows.append(["198.51.100.0/25", "isp", "French residential ISP"])
    rows.append(["198.51.100.128/25", "isp", "French mobile ISP"])
    rows.append(["192.0.2.0/24", "hosting", "HDS provider (clinic hosting)"])
    rows.append(["10.20.0.0/16", "internal", "Clinic LAN (IPsec tunnel to rp01)"])
    rows.append(["10.10.0.0/16", "internal", "HDS platform network"])
    rows.append(["127.0.0.0/8", "internal", "loopback"])
    return _csv(rows)


def hosts_csv() -> bytes:
    return _csv(
        [
            ["host", "role", "ip", "log_time_zone", "notes"],
            [
                "rp01",
                "nginx TLS reverse proxy",
                "192.0.2.10;10.10.0.5",
                "UTC (ISO 8601)",
                "public 192.0.2.10, internal 10.10.0.5",
            ],
            [
                "app01",
                "Apache 2.4 + PHP-FPM + Mediboard",
                "10.10.1.21",
                "Europe/Paris",
                "access log with offset; error log and Mediboard DATETIMEs naive local",
            ],
            [
                "db01",
                "MariaDB 10.6 primary",
                "10.10.2.31",
                "Europe/Paris",
                "server_audit CONNECT; slow log 2 s",
            ],
            [
                "db02",
                "MariaDB 10.6 replica (exports, reports)",
                "10.10.2.32",
                "Europe/Paris",
                "server_audit CONNECT,QUERY; slow log 2 s; general log on since Sat 26 Oct 18:00",
            ],
            [
                "mon01",
                "monitoring",
                "10.10.0.9",
                "",
                "probes /mediboard/status.php every minute",
            ],
        ]
    )


def asn_geo() -> bytes:
    return _csv(
        [
            ["network", "asn", "as_name", "country", "city", "kind"],
            [
                "203.0.113.8/29",
                "64501",
                "Hypothetical Cloud BV",
                "NL",
                "Amsterdam",
                "hosting",
            ],
            [
                "203.0.113.16/30",
                "64501",
                "Hypothetical Cloud BV",
                "NL",
                "Amsterdam",
                "hosting",
            ],
            [
                "203.0.113.32/27",
                "64502",
                "Fictive Privacy VPN Ltd",
                "SE",
                "Stockholm",
                "vpn",
            ],
            [
                "203.0.113.200/29",
                "64503",
                "Relay Association (synthetic)",
                "DE",
                "Frankfurt",
                "tor",
            ],
            [
                "198.51.100.0/25",
                "64496",
                "Synthetic Telecom France",
                "FR",
                "Lyon",
                "isp",
            ],
            ["198.51.100.128/25", "64497", "Exemple Mobile", "FR", "Paris", "isp"],
            [
                "192.0.2.0/24",
                "64510",
                "HDS Hosting (synthetic)",
                "FR",
                "Roubaix",
                "hosting",
            ],
        ]
    )


def tor_exits() -> bytes:
    return (
        "# Tor exit relays seen during 2024-10 (synthetic list)\n" + "\n".join([TOR_1, TOR_2, "203.0.113.203"]) + "\n"
    ).encode("ascii")


def staff_roster(clinic: Clinic) -> bytes:
    fonctions = {
        3: "Chirurgien",
        4: "Anesthésiste",
        13: "Médecin",
        7: "Infirmier(e)",
        10: "Secrétaire",
        14: "Technicien",
        5: "Direction",
        1: "Informatique",
    }
    rows: list[list[object]] = [["login", "nom", "prenom", "fonction", "service", "statut"]]
    for u in clinic.users:
        if u.role in ("robot", "tech"):
            continue
        service = "DIM" if u.login == "m.lefevre" else ("Administration" if u.role == "admin" else WARDS[u.ward])
        rows.append(
            [
                u.login,
                u.last,
                u.first,
                fonctions.get(u.user_type, "Autre"),
                service,
                "actif" if u.active else "parti",
            ]
        )
    return _csv(rows)


def readme(scale: float, seed: int, command: str) -> bytes:
    text = f"""# Clinique Saint-Exemple: synthetic intrusion case

This folder is an **invented** case. The clinic, its staff, its patients and the attacker do not exist; every
name is made up and every IP address comes from the documentation ranges 192.0.2.0/24, 198.51.100.0/24,
203.0.113.0/24 or from private ranges. It holds one week (Mon 21 Oct 2024 00:00 to Mon 28 Oct 2024 12:05,
Europe/Paris, across the DST change of 27 Oct) of logs from a Mediboard-like patient-records application:
the nginx reverse proxy (rp01, UTC), Apache access and error logs and the Monolog application log (app01),
MariaDB audit, slow and general logs of the primary (db01) and the replica (db02), and dumps of Mediboard's
own log tables (`mediboard_dump/`, `SELECT ... INTO OUTFILE` format, latin-1). Hidden in the normal traffic are
a password spray, the takeover of an administrator account, bulk exports of the patient table through the
CSV exporter and the REST API (via a VPN and Tor, with a forged X-Forwarded-For), and a backdoor account,
plus benign look-alikes. The answers are in `ground_truth.json`; `case.toml` describes the sources.

It was generated by the project's deterministic generator with seed {seed} and scale {scale} (the share of
the normal weekday volume of about 240,000 Apache requests per day; the attack is always full size):
`{command}`.
The same seed and scale give byte-identical files. Each host's clock is off by a few seconds (the offsets
are only in the ground truth), rotated logs follow logrotate and server_audit rules, and the files contain
the usual parsing traps (ambiguous local times, truncated and duplicated lines, concatenated gzip members,
latin-1 bytes, a missing hour).
"""
    return text.encode("utf-8")


def routes_readme(scale: float, seed: int, command: str, routes: list[str]) -> bytes:
    """The README of a week with routes to an account (or a quiet week) instead of the sample's attack."""
    hidden = (
        "Hidden in the normal traffic are these routes to an account: " + ", ".join(r.replace("_", " ") for r in routes)
        if routes
        else "There is no attack in this week"
    )
    text = f"""# Clinique Saint-Exemple: an invented week ({", ".join(routes) or "quiet"})

This folder is an **invented** case: the clinic, its staff, its patients and any attacker do not exist; every
name is made up and every IP address comes from the documentation ranges or from private ranges. It holds
the same week and the same kinds of logs as the sample case (rp01 nginx, app01 Apache and application.log,
db01/db02 MariaDB audit, slow and general logs, dumps of Mediboard's own tables). {hidden}, with the week's
benign look-alikes (new home addresses, password typos and a lockout, password expiry, a legitimate export,
a data manager reading many files, a DHCP change in an evening session, a billing integration polling with
its token, IT creating a new hire, monitoring and nightly jobs). The answers are in `ground_truth.json`.

Generated with seed {seed} and scale {scale}: `{command}`. The same seed, scale and scenarios give
byte-identical files.
"""
    return text.encode("utf-8")

"""A small, deterministic slice of the sample case, written as real log files for report tests.

Two hosts see the same requests: rp01 (nginx reverse proxy, UTC, peer = the real client)
and app01 (Apache behind it, Europe/Paris with offsets, clock 3 s ahead, %h = the proxy,
X-Forwarded-For quoted last).  Background traffic from the clinic LAN runs from
2024-10-24 06:00Z to 2024-10-27 06:00Z; the attack follows the sample case's ground truth
(sample-case.md 6.3) with the spray and the per-patient API reads scaled down so the files
stay small.  app01 misses Thursday 13:00-14:00 local (a coverage gap to find).

``tests/data/report/findings.json`` cites lines of these files: change the generator and
the test that resolves every citation fails.
"""

from __future__ import annotations

import gzip
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2024, 10, 24, 6, 0, tzinfo=UTC)
END = datetime(2024, 10, 27, 6, 0, tzinfo=UTC)
SITE = "https://dpi.clinique-exemple.fr/mediboard/index.php"
PROXY = "10.10.0.5"
CHROME_118 = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36"
)
EDGE_129 = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/129.0.0.0 Safari/537.36 Edg/129.0.0.0"
)
FIREFOX_131 = "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0"
PYREQ = "python-requests/2.32.3"
SPRAY_IPS = [f"203.0.113.{i}" for i in range(10, 20)]
VPN_IP = "203.0.113.45"
TOR_1, TOR_2 = "203.0.113.201", "203.0.113.202"
SPOOFED = "10.20.3.47"
#: app01 lost this hour (UTC): Thursday 24 Oct 13:00-14:00 Paris time.
GAP = (datetime(2024, 10, 24, 11, 0, tzinfo=UTC), datetime(2024, 10, 24, 12, 0, tzinfo=UTC))

CASE_TOML = """\
[case]
name = "Clinique Saint-Exemple - DPI intrusion, October 2024"
timezone = "Europe/Paris"
awareness = "2024-10-28T11:30:00+01:00"
analyst = "C. Durand (CSIRT Santé Exemple)"
skew_tolerance = "10s"

[network]
trusted_proxies = ["10.10.0.5"]
internal = ["10.0.0.0/8"]

[[source]]
path = "app01/apache2/access.log*"
host = "app01"
timezone = "Europe/Paris"
clock_offset = "+3s"

[[source]]
path = "rp01/nginx/access.log*"
host = "rp01"
timezone = "UTC"
"""


@dataclass(frozen=True)
class Request:
    """One HTTP request as the client sent it, at its true time."""

    at: datetime
    client: str
    method: str
    target: str
    status: int
    size: int
    referrer: str
    agent: str
    micros: int
    xff_in: str | None = None
    via_proxy: bool = True


def _background(rng: random.Random) -> list[Request]:
    pages = [
        "/mediboard/index.php?m=dPcabinet&tab=edit_planning",
        "/mediboard/index.php?m=dPpatients&tab=vw_idx_patients",
        "/mediboard/index.php?m=dPpatients&a=ajax_search_patient&nom=L%E9v%EAque&prenom=H%E9l%E8ne",
        "/mediboard/index.php?m=dPhospi&tab=vw_placement",
        "/mediboard/style/mediboard_ext/images/icons/loading.gif",
    ]
    out: list[Request] = []
    hour = START
    while hour < END:
        local = hour.astimezone(PARIS)
        per_hour = 24 if 7 <= local.hour < 21 else 6
        for i in range(per_hour):
            at = hour + timedelta(seconds=int((i + rng.random()) * 3600 / per_hour))
            out.append(
                Request(
                    at=at,
                    client=f"10.20.{rng.randint(1, 9)}.{rng.randint(2, 250)}",
                    method="GET",
                    target=rng.choice(pages),
                    status=200,
                    size=rng.randint(500, 90000),
                    referrer=SITE,
                    agent=EDGE_129,
                    micros=rng.randint(20000, 900000),
                )
            )
        # the monitoring probe goes straight to app01
        for minute in range(0, 60, 10):
            out.append(
                Request(
                    at=hour + timedelta(minutes=minute, seconds=3),
                    client="10.10.0.9",
                    method="GET",
                    target="/mediboard/status.php",
                    status=200,
                    size=512,
                    referrer="-",
                    agent="curl/7.81.0",
                    micros=20411,
                    via_proxy=False,
                )
            )
        hour += timedelta(hours=1)
    return out


def _attack(rng: random.Random) -> list[Request]:
    out: list[Request] = []
    # A1-A2: password spray, 5 rounds x 48 names, rotating through .10-.19; success at 01:12:41
    spray_start = datetime(2024, 10, 24, 21, 2, tzinfo=UTC)
    spray_end = datetime(2024, 10, 25, 1, 20, tzinfo=UTC)
    success = datetime(2024, 10, 25, 1, 12, 41, tzinfo=UTC)
    n = 240
    step = (spray_end - spray_start) / (n - 1)
    for i in range(n):
        at = spray_start + step * i
        at = at.replace(microsecond=0)
        out.append(Request(at, SPRAY_IPS[i % 10], "POST", "/mediboard/index.php", 401, 6021, SITE, CHROME_118, 184233))
    out.append(Request(success, "203.0.113.14", "POST", "/mediboard/index.php", 200, 48211, SITE, CHROME_118, 402118))
    # A3: reconnaissance from a VPN address with Firefox
    views = [
        "m=admin&tab=vw_edit_users",
        "m=admin&tab=vw_user_authentication",
        "m=admin&tab=vw_list_medical_access",
        "m=admin&tab=edit_perms",
        "m=system&tab=about",
        "m=system&tab=view_modules",
        "m=dPpatients&a=ajax_search_patient&nom=a",
    ]
    views += [f"m=dPpatients&tab=vw_full_patients&patient_id={pid}" for pid in (48213, 1207, 88412, 3310, 70021, 5)]
    views += ["m=dPpatients&tab=vw_export_patients_csv", "m=dPpatients&raw=ajax_export_patients_csv&patient_id=1"]
    recon_start = datetime(2024, 10, 25, 1, 25, 7, tzinfo=UTC)
    for i in range(40):
        view = views[i % len(views)]
        out.append(
            Request(
                recon_start + timedelta(seconds=41 * i),
                VPN_IP,
                "GET",
                f"/mediboard/index.php?{view}",
                200,
                rng.randint(8000, 95000),
                f"{SITE}?m=system",
                FIREFOX_131,
                rng.randint(90000, 600000),
            )
        )
    out.append(
        Request(
            datetime(2024, 10, 25, 1, 52, 30, tzinfo=UTC),
            VPN_IP,
            "GET",
            "/mediboard/index.php?logout=-1",
            302,
            0,
            SITE,
            FIREFOX_131,
            31000,
        )
    )
    # A4: Saturday-night login; A5: the full-range export fails (PHP memory exhausted)
    out.append(
        Request(
            datetime(2024, 10, 26, 21, 41, 2, tzinfo=UTC),
            VPN_IP,
            "POST",
            "/mediboard/index.php",
            200,
            48100,
            SITE,
            FIREFOX_131,
            398551,
        )
    )
    export_tab = f"{SITE}?m=dPpatients&tab=vw_export_patients_csv"
    out.append(
        Request(
            datetime(2024, 10, 26, 21, 42, 30, tzinfo=UTC),
            VPN_IP,
            "GET",
            "/mediboard/index.php?m=dPpatients&raw=ajax_export_patients_csv&date_min=2000-01-01"
            "&date_max=2024-10-26&patient_id=&all_prats=on",
            500,
            531,
            export_tab,
            FIREFOX_131,
            88114502,
        )
    )
    # A6: 154 monthly chunks, 2012-01 ... 2024-10
    chunk_start = datetime(2024, 10, 26, 21, 44, 10, tzinfo=UTC)
    months = [(y, m) for y in range(2012, 2025) for m in range(1, 13)][:154]
    for i, (y, m) in enumerate(months):
        last = (datetime(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)).day
        out.append(
            Request(
                chunk_start + timedelta(seconds=round(i * 7670 / 153)),
                VPN_IP,
                "GET",
                f"/mediboard/index.php?m=dPpatients&raw=ajax_export_patients_csv&date_min={y}-{m:02d}-01"
                f"&date_max={y}-{m:02d}-{last:02d}&patient_id=&all_prats=on",
                200,
                rng.randint(200_000, 1_750_000),
                export_tab,
                FIREFOX_131,
                rng.randint(8_000_000, 45_000_000),
            )
        )
    # A7: API pagination over Tor with a spoofed internal X-Forwarded-For
    api_start = datetime(2024, 10, 26, 23, 58, 10, tzinfo=UTC)
    for i in range(1185):
        offset = i * 100
        size = 88412 if offset < 118400 else 10611
        out.append(
            Request(
                api_start + timedelta(milliseconds=round(i * 1698.3)),
                TOR_1,
                "GET",
                f"/mediboard/api/dossierpatient/patients?offset={offset}&limit=100",
                200,
                size,
                "-",
                PYREQ,
                rng.randint(400000, 700000),
                xff_in=SPOOFED,
            )
        )
    # A8: per-patient detail reads across the DST change; the Tor circuit changes at 01:10Z
    detail_start = datetime(2024, 10, 27, 0, 31, 45, tzinfo=UTC)
    switch = datetime(2024, 10, 27, 1, 10, tzinfo=UTC)
    ids = sorted(rng.sample(range(1, 121950), 400))
    for i, pid in enumerate(ids):
        at = detail_start + timedelta(seconds=round(i * 5535 / 399))
        out.append(
            Request(
                at,
                TOR_1 if at < switch else TOR_2,
                "GET",
                f"/mediboard/api/dossierpatient/patients/{pid}",
                200,
                rng.randint(2800, 4100),
                "-",
                PYREQ,
                rng.randint(60000, 140000),
                xff_in=SPOOFED,
            )
        )
    # A9: persistence (the account creation form is posted); A10: logout
    users_form = f"{SITE}?m=admin&tab=vw_edit_users&user_id=0"
    out.append(
        Request(
            datetime(2024, 10, 27, 2, 46, 30, tzinfo=UTC),
            VPN_IP,
            "GET",
            "/mediboard/index.php?m=admin&tab=vw_edit_users&user_id=0",
            200,
            20211,
            f"{SITE}?m=admin",
            FIREFOX_131,
            188000,
        )
    )
    out.append(
        Request(
            datetime(2024, 10, 27, 2, 47, 12, tzinfo=UTC),
            VPN_IP,
            "POST",
            "/mediboard/index.php",
            200,
            1822,
            users_form,
            FIREFOX_131,
            233410,
        )
    )
    out.append(
        Request(
            datetime(2024, 10, 27, 3, 5, 40, tzinfo=UTC),
            VPN_IP,
            "GET",
            "/mediboard/index.php?logout=-1",
            302,
            0,
            SITE,
            FIREFOX_131,
            29000,
        )
    )
    return out


def _apache_line(r: Request) -> str:
    written = (r.at + timedelta(seconds=3)).astimezone(PARIS)
    stamp = written.strftime("%d/%b/%Y:%H:%M:%S %z")
    if r.via_proxy:
        peer = PROXY
        xff = f"{r.xff_in}, {r.client}" if r.xff_in else r.client
    else:
        peer, xff = r.client, "-"
    return (
        f'{peer} - - [{stamp}] "{r.method} {r.target} HTTP/1.1" {r.status} {r.size} "{r.referrer}" "{r.agent}" '
        f'{r.micros} "{xff}"'
    )


def _nginx_line(r: Request) -> str:
    stamp = r.at.strftime("%d/%b/%Y:%H:%M:%S +0000")
    return (
        f'{r.client} - - [{stamp}] "{r.method} {r.target} HTTP/1.1" {r.status} {r.size} "{r.referrer}" "{r.agent}" '
        f'"{r.xff_in or "-"}"'
    )


def _write(path: Path, lines: list[str], compress: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    path.write_bytes(gzip.compress(data, mtime=0) if compress else data)


def requests() -> list[Request]:
    """Every request of the slice, in true time order."""
    rng = random.Random(20241027)
    reqs = _background(rng) + _attack(rng)
    return sorted(reqs, key=lambda r: (r.at, r.client, r.target))


def write_case(root: Path) -> tuple[Path, Path]:
    """Write the evidence folder and the case config; return (evidence, case.toml)."""
    evidence = root / "evidence"
    reqs = requests()
    # app01 rotates daily at 06:25 local (delaycompress); it lost one hour on Thursday
    app = [r for r in reqs if not (GAP[0] <= r.at < GAP[1])]
    cuts = [datetime(2024, 10, 25, 6, 25, tzinfo=PARIS), datetime(2024, 10, 26, 6, 25, tzinfo=PARIS)]
    parts: list[list[str]] = [[], [], []]
    for r in app:
        k = sum(r.at + timedelta(seconds=3) >= c for c in cuts)
        parts[k].append(_apache_line(r))
    _write(evidence / "app01/apache2/access.log.2.gz", parts[0], True)
    _write(evidence / "app01/apache2/access.log.1", parts[1], False)
    _write(evidence / "app01/apache2/access.log", parts[2], False)
    # rp01 rotates at midnight UTC and compresses right away
    proxied = [r for r in reqs if r.via_proxy]
    days: dict[str, list[str]] = {}
    for r in proxied:
        nxt = (r.at + timedelta(days=1)).strftime("%Y%m%d")
        name = "access.log" if r.at >= datetime(2024, 10, 27, tzinfo=UTC) else f"access.log-{nxt}.gz"
        days.setdefault(name, []).append(_nginx_line(r))
    for name, lines in days.items():
        _write(evidence / "rp01/nginx" / name, lines, name.endswith(".gz"))
    config = root / "case.toml"
    config.write_text(CASE_TOML, encoding="utf-8")
    return evidence, config

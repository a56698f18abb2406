"""Synthetic cases with known answers (a miniature of the sample case and its look-alikes).

Times are UTC; the case zone is Europe/Paris (UTC+2 until 27 Oct 01:00 UTC).  Application
rows are written 1.5 s after the web request (app server clock), database rows 2 s before
(replica clock): both within the 10 s skew tolerance.
"""

from __future__ import annotations

from datetime import timedelta

from tests.correlate.builder import CHROME, CHROME118, FIREFOX, PYREQ, Case, utc

APP_SKEW = timedelta(seconds=1.5)
DB_SKEW = timedelta(seconds=-2)
N_PATIENTS = 4912

STAFF = [
    ("j.martin", 1101),
    ("c.durand", 1102),
    ("h.benard", 1103),
    ("m.lefevre", 1104),
    ("a.petit", 1105),
    ("l.moreau", 1106),
    ("s.bernard", 1107),
    ("p.thomas", 1108),
    ("n.robert", 1109),
    ("e.richard", 1110),
    ("r.dubois", 1111),
    ("t.laurent", 1112),
    ("v.simon", 1113),
    ("g.michel", 1114),
    ("it.admin", 1115),
]


#: A workstation shared by a ward (B3): colleagues log in there, the B3 nurse never had.
B3_WARD_PC = "10.20.6.70"


def staff_ip(uid: int) -> str:
    return f"10.20.{uid % 100}.{10 + uid % 50}"


GAPS = (8, 15, 30, 45, 60, 90, 140, 200, 320)


def _session(
    c: Case,
    user: str,
    uid: int,
    start,
    n: int,
    *,
    ip: str | None = None,
    ua: str = CHROME,
    tag: str = "",
    admin: bool = False,
    views=None,
    gaps=GAPS,
):
    """A browser session: login POST + app login, ``n`` irregular requests, session end."""
    ip = ip or staff_ip(uid)
    rng = c.rng
    sid = f"sess-{user}-{start:%m%d%H%M}{tag}"
    c.web(start, ip, method="POST", status=200, ua=ua)
    c.login(start + APP_SKEW, user, uid, sid, ip, ua)
    t = start
    for _ in range(n):
        t += timedelta(seconds=rng.choice(gaps) + rng.uniform(0, 9))
        r = rng.random()
        if admin and r < 0.3:
            tab = rng.choice(["vw_edit_users", "edit_perms", "vw_user_authentication"])
            c.web(t, ip, query=f"m=admin&tab={tab}", ua=ua, nbytes=rng.randint(20000, 90000))
        elif views is not None and r < 0.6:
            pid = views()
            c.web(
                t,
                ip,
                query=f"m=dPpatients&tab=vw_full_patients&patient_id={pid}",
                ua=ua,
                nbytes=rng.randint(30000, 60000),
            )
            c.record_read(t + APP_SKEW, user, uid, "CPatient", pid)
        elif r < 0.35:
            pid = rng.randint(1, N_PATIENTS)
            c.web(
                t,
                ip,
                query=f"m=dPpatients&tab=vw_full_patients&patient_id={pid}",
                ua=ua,
                nbytes=rng.randint(30000, 60000),
            )
            c.record_read(t + APP_SKEW, user, uid, "CPatient", pid)
        elif r < 0.45:
            c.web(t, ip, query="m=dPpatients&a=ajax_search_patient&nom=dup", ua=ua, nbytes=7311)
        elif r < 0.7:
            c.web(
                t,
                ip,
                query=rng.choice(
                    ["m=dPcabinet&tab=edit_planning", "m=dPhospi&tab=vw_placement", "m=soins&tab=vw_bilan"]
                ),
                ua=ua,
                nbytes=rng.randint(4000, 40000),
            )
        else:
            c.web(
                t,
                ip,
                path=rng.choice(["/mediboard/style/e.css", "/mediboard/lib/x.js", "/mediboard/images/l.gif"]),
                ua=ua,
                nbytes=3000,
            )
    c.session_end(t + APP_SKEW, user, uid, sid, ip, ua)
    return t


def background(c: Case, days: range, day0=(2024, 10, 21), accounts=STAFF, per_session: int = 25) -> None:
    """Weekday staff activity: two sessions a day each, from their own workstation."""
    for d in days:
        for user, uid in accounts:
            base = utc(*day0, 6, 0) + timedelta(days=d)
            start = base + timedelta(minutes=c.rng.randint(0, 120))
            _session(c, user, uid, start, per_session, admin=(user == "it.admin"))
            start = base + timedelta(hours=5, minutes=c.rng.randint(0, 120))
            _session(c, user, uid, start, per_session, admin=(user == "it.admin"))


def probe(c: Case, start, hours: int, every: int = 300) -> None:
    """Monitoring: GET status.php every ``every`` seconds, straight to the app server."""
    for i in range(hours * 3600 // every):
        c.web(
            start + timedelta(seconds=i * every),
            "10.10.0.9",
            "/mediboard/status.php",
            ua="curl/7.81.0",
            direct=True,
            nbytes=512,
        )


def hl7_bot(c: Case, days: range, day0=(2024, 10, 21)) -> None:
    """The interface robot: POST every ~2 minutes in the daytime, no login rows."""
    for d in days:
        t = utc(*day0, 6, 0) + timedelta(days=d)
        for _ in range(300):
            t += timedelta(seconds=120 + c.rng.uniform(-3, 3))
            c.web(
                t,
                "10.20.0.30",
                "/mediboard/index.php",
                "m=hl7&a=receive",
                method="POST",
                ua="Java/1.8.0_392",
                nbytes=400,
            )


def lookalikes(c: Case) -> dict[str, str]:
    """B1-B4 and a scheduled export; returns account -> what it is."""
    rng = c.rng
    # B4: Monday password-expiry failures then success
    for i, (user, uid) in enumerate(STAFF[6:12]):
        t = utc(2024, 10, 21, 5, 10) + timedelta(minutes=7 * i)
        ip = staff_ip(uid)
        for k in range(1 + i % 2):
            c.web(t + timedelta(seconds=20 * k), ip, method="POST", status=401)
            c.failed(t + timedelta(seconds=20 * k) + APP_SKEW, user, ip, uid, reason="Auth-failed-password-expired")
        _session(c, user, uid, t + timedelta(minutes=3), 5, tag="b4")
    # B1: one legitimate export, 2 practitioners, one month
    t = utc(2024, 10, 22, 12, 10, 5)
    ip = staff_ip(1104)
    c.web(t - timedelta(minutes=2), ip, method="POST", ua=CHROME)
    c.login(t - timedelta(minutes=2) + APP_SKEW, "m.lefevre", 1104, "sess-b1", ip, CHROME)
    c.web(t - timedelta(seconds=30), ip, query="m=dPpatients&tab=vw_export_patients_csv", nbytes=30000)
    q = "m=dPpatients&raw=ajax_export_patients_csv&praticien_id[]=212&praticien_id[]=219&date_min=2024-09-01&date_max=2024-09-30&patient_id="
    c.web(t, ip, query=q, nbytes=1_198_302, duration=14.2)
    c.long_request(
        t + APP_SKEW,
        "m.lefevre",
        1104,
        {
            "m": "dPpatients",
            "raw": "ajax_export_patients_csv",
            "date_min": "2024-09-01",
            "date_max": "2024-09-30",
            "patient_id": "",
        },
        14.2,
    )
    c.db(t + timedelta(seconds=1) + DB_SKEW, 91001, "db_connect")
    c.db(
        t + timedelta(seconds=2) + DB_SKEW,
        91001,
        "db_query",
        "SELECT patients.patient_id FROM patients LEFT JOIN sejour ON sejour.patient_id = patients.patient_id WHERE (sejour.praticien_id IN ('212','219')) AND (sejour.sortie BETWEEN '2024-09-01' AND '2024-09-30')",
        tables=["patients", "sejour"],
    )
    c.db(
        t + timedelta(seconds=12) + DB_SKEW,
        91001,
        "db_query",
        "SELECT * FROM `patients` WHERE (`patient_id` IN ('31877','31880'))",
        rows=2450,
        examined=90000,
        tables=["patients"],
        dataset="mysql.slow",
        duration=9.1,
    )
    c.session_end(t + timedelta(seconds=20) + APP_SKEW, "m.lefevre", 1104, "sess-b1", ip, CHROME)
    # B2: a physician from a new home address, late evening, three patients
    t = utc(2024, 10, 23, 21, 35, 40)
    home = "198.51.100.77"
    home_ua = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15"
    c.web(t, home, method="POST", ua=home_ua)
    c.login(t + APP_SKEW, "h.benard", 1103, "sess-b2", home, home_ua)
    for k, pid in enumerate((48213, 1200, 3307)):
        tt = t + timedelta(seconds=60 + 95 * k)
        c.web(tt, home, query=f"m=dPpatients&tab=vw_full_patients&patient_id={pid}", ua=home_ua, nbytes=41000)
        c.record_read(tt + APP_SKEW, "h.benard", 1103, "CPatient", pid)
    c.session_end(t + timedelta(seconds=400) + APP_SKEW, "h.benard", 1103, "sess-b2", home, home_ua)
    # B3: a nurse mistypes on a shared ward workstation (a colleague's desk, new to her account)
    # with her usual browser, is locked out after five failures, the helpdesk unlocks her
    # account, and she logs in from that workstation
    ward_pc = B3_WARD_PC
    t = utc(2024, 10, 23, 18, 0)
    c.web(t, ward_pc, method="POST", ua=CHROME)
    c.login(t + APP_SKEW, "a.petit", 1105, "sess-a.petit-ward", ward_pc, CHROME)
    c.session_end(t + timedelta(minutes=40) + APP_SKEW, "a.petit", 1105, "sess-a.petit-ward", ward_pc, CHROME)
    t = utc(2024, 10, 24, 5, 2)
    for k in range(6):
        c.web(t + timedelta(seconds=25 * k), ward_pc, method="POST", status=401, ua=CHROME)
        reason = "Auth-failed-combination" if k < 5 else "Auth-failed-locked"
        c.failed(t + timedelta(seconds=25 * k) + APP_SKEW, "l.moreau", ward_pc, 1106, reason=reason)
    desk = staff_ip(1115)
    t_unlock = t + timedelta(minutes=19)
    c.web(t_unlock, desk, query="m=admin&tab=vw_edit_users&user_id=1106", method="POST", ua=CHROME)
    c.user_log(t_unlock + APP_SKEW, "it.admin", 1115, "record_update", "CUser", 1106, desk)
    _session(c, "l.moreau", 1106, t + timedelta(minutes=21), 8, ip=ward_pc, tag="b3")
    # scheduled export: every night the DIM batch account exports yesterday's stays (same host, same tool)
    ip = "10.20.5.40"
    for d in range(5):
        t = utc(2024, 10, 21, 0, 30) + timedelta(days=d)
        sid = f"stateless-dim-{d}"
        c.web(
            t,
            ip,
            query="m=dPpatients&raw=ajax_export_patients_csv&date_min=2024-10-01&date_max=2024-10-20&all_prats=on",
            ua="curl/7.81.0",
            nbytes=52_000_000 + rng.randint(0, 900_000),
            duration=30,
        )
        c.login(t + APP_SKEW, "dim.batch", 1200, sid, ip, "curl/7.81.0", method="token", screen=None)
        c.session_end(t + timedelta(seconds=31) + APP_SKEW, "dim.batch", 1200, sid, ip, "curl/7.81.0")
    return {"m.lefevre": "B1", "h.benard": "B2", "l.moreau": "B3", "dim.batch": "scheduled export"} | {
        u: "B4" for u, _ in STAFF[6:12]
    }


def adm_interop_baseline(c: Case) -> None:
    """IT uses the shared interface account from its own workstation on Monday to Wednesday."""
    for d, h in ((0, 9), (1, 9), (2, 13)):
        t = utc(2024, 10, 21, h, 0) + timedelta(days=d)
        _session(c, "adm.interop", 1042, t, 6, ip="10.20.1.5", tag="it")


def attack(c: Case) -> dict:
    """The miniature attack (A1-A10 of the sample case); returns the ground truth."""
    rng = c.rng
    real = [u for u, _ in STAFF[:12]] + ["adm.interop"]
    fake = [
        "admin",
        "interop",
        "pharmacie",
        "accueil",
        "direction",
        "secretariat",
        "compta",
        "test",
        "support",
        "adm.dim",
        "informatique",
        "radiologie",
        "labo",
        "bloc",
        "urgences",
        "qualite",
        "dsi",
        "rh",
    ]
    users = real + fake  # 31 names
    uid_of = dict(STAFF) | {"adm.interop": 1042}
    sprayers = [f"203.0.113.{i}" for i in range(10, 20)]
    t = utc(2024, 10, 24, 21, 2, 0)
    first_seen = t
    success_at = None
    i = 0
    for rnd in range(5):
        for user in users:
            ip = sprayers[i % 10]
            ok = rnd == 3 and user == "adm.interop"
            c.web(t, ip, method="POST", status=200 if ok else 401, ua=CHROME118, nbytes=48211 if ok else 6021)
            if ok:
                success_at = t
                c.login(t + APP_SKEW, "adm.interop", 1042, "sess-a2", ip, CHROME118, screen=None)
                c.session_end(t + timedelta(seconds=25) + APP_SKEW, "adm.interop", 1042, "sess-a2", ip, CHROME118)
                success_ip = ip
            else:
                c.failed(t + APP_SKEW, user, ip, uid_of.get(user))
            t += timedelta(seconds=100 + rng.uniform(-4, 4))
            i += 1
    # A3: reconnaissance from a VPN, Firefox
    vpn = "203.0.113.45"
    t = utc(2024, 10, 25, 1, 25, 7)
    c.web(t, vpn, method="POST", ua=FIREFOX)
    c.login(t + APP_SKEW, "adm.interop", 1042, "sess-a3", vpn, FIREFOX)
    recon = [
        "m=admin&tab=vw_edit_users",
        "m=admin&tab=vw_user_authentication",
        "m=admin&tab=vw_list_medical_access",
        "m=admin&tab=edit_perms",
        "m=system&tab=about",
        "m=system&tab=view_modules",
    ]
    for q in recon * 3:
        t += timedelta(seconds=30 + rng.uniform(0, 40))
        c.web(t, vpn, query=q, ua=FIREFOX, nbytes=91532)
    t += timedelta(seconds=40)
    c.web(t, vpn, query="m=dPpatients&a=ajax_search_patient&nom=a", ua=FIREFOX)
    for pid in (48213, 120, 77, 3021, 4400, 15):
        t += timedelta(seconds=35)
        c.web(t, vpn, query=f"m=dPpatients&tab=vw_full_patients&patient_id={pid}", ua=FIREFOX, nbytes=52000)
        c.record_read(t + APP_SKEW, "adm.interop", 1042, "CPatient", pid)
    t += timedelta(seconds=30)
    c.web(t, vpn, query="m=dPpatients&tab=vw_export_patients_csv", ua=FIREFOX)
    t += timedelta(seconds=30)
    c.web(
        t,
        vpn,
        query="m=dPpatients&raw=ajax_export_patients_csv&patient_id=1&date_min=&date_max=",
        ua=FIREFOX,
        nbytes=2100,
    )
    t += timedelta(seconds=20)
    c.web(t, vpn, query="logout=-1", ua=FIREFOX)
    c.session_end(t + APP_SKEW, "adm.interop", 1042, "sess-a3", vpn, FIREFOX)
    # A4-A6: Saturday night login, failed full export, chunked export
    t = utc(2024, 10, 26, 21, 41, 2)
    c.web(t, vpn, method="POST", ua=FIREFOX)
    c.login(t + APP_SKEW, "adm.interop", 1042, "sess-a4", vpn, FIREFOX)
    t = utc(2024, 10, 26, 21, 42, 30)
    full = "m=dPpatients&raw=ajax_export_patients_csv&date_min=2000-01-01&date_max=2024-10-26&patient_id=&all_prats=on"
    c.web(t, vpn, query=full, status=500, ua=FIREFOX, nbytes=0, duration=88)
    c.long_request(
        t + APP_SKEW,
        "adm.interop",
        1042,
        {
            "m": "dPpatients",
            "raw": "ajax_export_patients_csv",
            "date_min": "2000-01-01",
            "date_max": "2024-10-26",
            "patient_id": "",
            "all_prats": "on",
        },
        88,
    )
    conn = 5531000
    t = utc(2024, 10, 26, 21, 44, 10)
    csv_rows = 0
    months = [(y, m) for y in (2022, 2023) for m in range(1, 13)]
    for k, (y, m) in enumerate(months):
        last_day = 28 if m == 2 else (30 if m in (4, 6, 9, 11) else 31)
        dmin, dmax = f"{y}-{m:02d}-01", f"{y}-{m:02d}-{last_day}"
        rows = rng.randint(150, 260)
        csv_rows += rows
        dur = rng.uniform(8, 40)
        nbytes = int(rows * rng.uniform(470, 510))
        q = f"m=dPpatients&raw=ajax_export_patients_csv&date_min={dmin}&date_max={dmax}&patient_id=&all_prats=on"
        c.web(t, vpn, query=q, ua=FIREFOX, nbytes=nbytes, duration=dur)
        c.long_request(
            t + APP_SKEW,
            "adm.interop",
            1042,
            {
                "m": "dPpatients",
                "raw": "ajax_export_patients_csv",
                "date_min": dmin,
                "date_max": dmax,
                "patient_id": "",
                "all_prats": "on",
            },
            dur,
        )
        conn += 1
        c.db(t + timedelta(seconds=1) + DB_SKEW, conn, "db_connect")
        c.db(
            t + timedelta(seconds=2) + DB_SKEW,
            conn,
            "db_query",
            f"SELECT patients.patient_id FROM patients LEFT JOIN sejour ON sejour.patient_id = patients.patient_id WHERE (annule = '0') AND (sejour.sortie BETWEEN '{dmin}' AND '{dmax}')",
            tables=["patients", "sejour"],
        )
        in_list = ",".join(f"'{rng.randint(1, 120000)}'" for _ in range(90))
        c.db(
            t + timedelta(seconds=3) + DB_SKEW,
            conn,
            "db_query",
            f"SELECT * FROM `patients` WHERE (`patient_id` IN ({in_list}",
            tables=["patients"],
        )
        if k % 6 != 5:  # the slow log misses a few (under its threshold)
            c.db(
                t + timedelta(seconds=dur) + DB_SKEW,
                conn,
                "db_query",
                f"SELECT * FROM `patients` WHERE (`patient_id` IN ({in_list}));",
                rows=rows,
                examined=rows * 300,
                tables=["patients"],
                dataset="mysql.slow",
                duration=dur - 3,
            )
        c.db(t + timedelta(seconds=dur + 1) + DB_SKEW, conn, "db_disconnect")
        t += timedelta(seconds=50 + rng.uniform(-5, 5))
    # A7: API pagination through Tor, spoofed X-Forwarded-For, Basic auth
    tor1, tor2, claim = "203.0.113.201", "203.0.113.202", "10.20.3.47"
    t = utc(2024, 10, 26, 23, 58, 10)
    c.login(t + APP_SKEW, "adm.interop", 1042, "stateless671d8a65c1e3b7", claim, PYREQ, method="basic", screen=None)
    per_record = 884
    conn = 5540000
    for off in range(0, N_PATIENTS + 100, 100):
        n = max(0, min(100, N_PATIENTS - off))
        nbytes = n * per_record + 40 if n else 2
        c.web(
            t,
            tor1,
            "/mediboard/api/dossierpatient/patients",
            f"offset={off}&limit=100",
            ua=PYREQ,
            xff=f"{claim}, {tor1}",
            nbytes=nbytes,
            duration=0.6,
        )
        conn += 1
        c.db(
            t + timedelta(seconds=0.3) + DB_SKEW,
            conn,
            "db_query",
            f"SELECT `patients`.* FROM `patients` ORDER BY `patients`.`patient_id` LIMIT {off}, 100",
            tables=["patients"],
        )
        t += timedelta(seconds=1.7 + rng.uniform(-0.1, 0.1))
    # A8: one record at a time; the Tor circuit changes halfway
    ids = rng.sample(range(1, N_PATIENTS + 1), 300)
    for k, pid in enumerate(ids):
        ip = tor1 if k < 150 else tor2
        c.web(
            t,
            ip,
            f"/mediboard/api/dossierpatient/patients/{pid}",
            ua=PYREQ,
            xff=f"{claim}, {ip}",
            nbytes=3411,
            duration=0.1,
        )
        c.db(
            t + timedelta(seconds=0.05) + DB_SKEW,
            conn + 1 + k,
            "db_query",
            f"SELECT `patients`.* FROM `patients` WHERE `patients`.`patient_id` = '{pid}'",
            tables=["patients"],
        )
        t += timedelta(seconds=1.4 + rng.uniform(-0.1, 0.1))
    c.session_end(t - timedelta(seconds=1.4) + APP_SKEW, "adm.interop", 1042, "stateless671d8a65c1e3b7", claim, PYREQ)
    # A9: backdoor account from the browser
    t = utc(2024, 10, 27, 2, 47, 12)
    c.web(t - timedelta(seconds=40), vpn, query="m=admin&tab=vw_edit_users&user_id=0", ua=FIREFOX)
    for k, (action, otype, oid) in enumerate(
        [
            ("account_created", "CUser", 1377),
            ("account_created", "CMediusers", 1377),
            ("permission_changed", "CPermModule", 90211),
            ("permission_changed", "CPermModule", 90212),
            ("password_changed", "CUser", 1377),
        ]
    ):
        tt = t + timedelta(seconds=6 * k)
        c.web(tt, vpn, method="POST", ua=FIREFOX, nbytes=1822)
        c.user_log(tt + APP_SKEW, "adm.interop", 1042, action, otype, oid, vpn)
    c.users_row(1377, "support.xtrem")
    # A10: logout
    t = utc(2024, 10, 27, 3, 5, 40)
    c.web(t, vpn, query="logout=-1", ua=FIREFOX)
    c.session_end(t + APP_SKEW, "adm.interop", 1042, "sess-a4", vpn, FIREFOX)
    return {
        "compromised": ["adm.interop"],
        "backdoor": "support.xtrem",
        "attacker_ips": sorted([*sprayers, vpn, tor1, tor2]),
        "spoofed_ip": claim,
        "first_seen": first_seen,
        "last_seen": t,
        "first_malicious": success_at,
        "success_ip": success_ip,
        "distinct_patients": N_PATIENTS,
        "csv_rows": csv_rows,
    }


def attack_case() -> Case:
    c = Case(seed=11)
    background(c, range(5))
    adm_interop_baseline(c)
    probe(c, utc(2024, 10, 21, 0, 0), 24 * 6 + 8)
    hl7_bot(c, range(5))
    c.truth["lookalikes"] = lookalikes(c)
    c.truth |= attack(c)
    return c


def quiet_case() -> Case:
    """No attack at all: staff, robots, monitoring and every look-alike."""
    c = Case(seed=12)
    background(c, range(5))
    adm_interop_baseline(c)
    probe(c, utc(2024, 10, 21, 0, 0), 24 * 5)
    hl7_bot(c, range(5))
    c.truth["lookalikes"] = lookalikes(c)
    return c


def stuffing_case() -> Case:
    """Credential stuffing from a residential proxy pool; one pair works (j.martin)."""
    c = Case(seed=13)
    background(c, range(3))
    rng = c.rng
    pool = [f"198.18.{k // 200}.{1 + k % 200}" for k in range(0, 80 * 3, 3)]
    leaked = [f"user{k:03d}" for k in range(100)] + [u for u, _ in STAFF]
    uid_of = dict(STAFF)
    t = utc(2024, 10, 23, 19, 0)
    first = t
    for k, login in enumerate(leaked):
        ip = pool[k % len(pool)]
        ua = rng.choice([CHROME, FIREFOX, CHROME118])
        c.web(t, ip, method="POST", status=401, ua=ua)
        c.failed(t + APP_SKEW, login, ip, uid_of.get(login))
        t += timedelta(seconds=rng.uniform(5, 25))
    # the working pair, from a pool address that already failed once
    win_ip = pool[7]
    c.web(t, win_ip, method="POST", ua=CHROME)
    c.login(t + APP_SKEW, "j.martin", 1101, "sess-stuffed", win_ip, CHROME, screen=None)
    success = t
    tt = t
    for _ in range(40):
        tt += timedelta(seconds=rng.uniform(3, 9))
        pid = rng.randint(1, N_PATIENTS)
        c.web(tt, win_ip, query=f"m=dPpatients&tab=vw_full_patients&patient_id={pid}", ua=CHROME, nbytes=45000)
        c.record_read(tt + APP_SKEW, "j.martin", 1101, "CPatient", pid)
    c.session_end(tt + APP_SKEW, "j.martin", 1101, "sess-stuffed", win_ip, CHROME)
    c.truth |= {
        "compromised": ["j.martin"],
        "pool": sorted(set(pool)),
        "first_seen": first,
        "last_seen": tt,
        "first_malicious": success,
    }
    return c


def insider_case() -> Case:
    """A nurse at her usual desk and hours opens about 2,400 patient files in one day."""
    c = Case(seed=14)
    background(c, range(4))
    seen = iter(c.rng.sample(range(1, 120_000), 2500))
    t = utc(2024, 10, 25, 6, 30)
    views = 0
    while views < 2500:
        n = 250
        t = _session(
            c, "c.durand", 1102, t, n, views=lambda: next(seen), tag=f"x{views}", gaps=(3, 5, 8, 12, 20)
        ) + timedelta(minutes=2)
        views += n
    opened = {
        int(r["object.id"])
        for r in c.rows
        if r.get("event.action") == "record_read"
        and r.get("user.name") == "c.durand"
        and r["@timestamp"] >= utc(2024, 10, 25, 0, 0)
    }
    c.truth |= {"suspicious": ["c.durand"], "distinct_views": len(opened)}
    return c


def rhythmic_spray(c: Case, ip: str = "203.0.113.60", start=None, accounts: int = 40, every: float = 3.6) -> None:
    """A password spray from one address at a steady beat: one failed login form per account."""
    t = start or utc(2024, 10, 24, 21, 0)
    for k in range(accounts):
        c.web(t, ip, method="POST", status=401, ua=CHROME118, nbytes=6021)
        c.failed(t + APP_SKEW, f"user{k:02d}", ip)
        t += timedelta(seconds=every + c.rng.uniform(-0.2, 0.2))


def rhythmic_pagination(
    c: Case, ip: str, start=None, pages: int = 60, every: float = 1.7, ua: str | None = CHROME, xff: str | None = None
) -> None:
    """API list pages of 100 records at a steady beat (a loop over ``offset``), the user agent a browser's."""
    t = start or utc(2024, 10, 26, 23, 58)
    for k in range(pages):
        c.web(
            t,
            ip,
            "/mediboard/api/dossierpatient/patients",
            f"offset={100 * k}&limit=100",
            ua=ua,
            xff=xff,
            nbytes=88412,
            duration=0.6,
        )
        t += timedelta(seconds=every + c.rng.uniform(-0.1, 0.1))

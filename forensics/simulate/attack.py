"""The intrusion, steps A1-A10 (sample-case.md 6.3), always at full size."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from itertools import pairwise

from .clock import utc
from .lookalikes import EXPORT_TAB, HOME, in_list_sql, selection_sql
from .mediboard import Mediboard, UiSession
from .model import (
    BACKDOOR_ID,
    COMPROMISED_ID,
    COMPROMISED_LOGIN,
    UA_ATTACKER_BROWSER,
    UA_PYTHON,
    UA_SPRAY,
    Clinic,
    Patients,
)
from .traffic import DbQuery, Request

SPRAY_IPS = [f"203.0.113.{i}" for i in range(10, 20)]
VPN_IP = "203.0.113.45"
TOR_1, TOR_2 = "203.0.113.201", "203.0.113.202"
SPOOFED = "10.20.3.47"
PASSWORDS = ["Automne2024!", "Clinique2024!", "Azerty123!", "Bienvenue1", "Soleil2024!"]
CSV_HEADER_LEN = 1187  # 83 column names
TECHNIQUES = {
    "A1": ["T1589.003", "T1110.003"],
    "A2": ["T1078", "T1078.003"],
    "A3": ["T1087", "T1069", "T1213"],
    "A4": ["T1078", "T1090.002"],
    "A5": ["T1213", "T1074"],
    "A6": ["T1213", "T1074", "T1030", "T1041"],
    "A7": ["T1119", "T1020", "T1030", "T1041", "T1090.003", "T1071.001"],
    "A8": ["T1119", "T1020", "T1041", "T1090.003", "T1071.001"],
    "A9": ["T1136.001", "T1098"],
    "A10": ["T1078"],
}


@dataclass
class Attack:
    requests: list[Request] = field(default_factory=list)
    anchors: dict[str, float] = field(default_factory=dict)
    info: dict = field(default_factory=dict)


def _spaced(rng: random.Random, n: int, start: float, end: float) -> list[float]:
    """``n`` jittered times with first exactly ``start`` and last exactly ``end``."""
    gaps = [rng.uniform(0.6, 1.4) for _ in range(n - 1)]
    total = sum(gaps)
    out, acc = [start], 0.0
    for g in gaps[:-1]:
        acc += g
        out.append(start + (end - start) * acc / total)
    out.append(end)
    return out


def _req(
    t: float,
    dur: float,
    method: str,
    target: str,
    status: int,
    size: int,
    ref: str | None,
    ua: str,
    peer: str,
    module: str,
    action: str,
    tag: str,
    xff: str | None = None,
) -> Request:
    return Request(
        t=t,
        dur=dur,
        method=method,
        target=target,
        status=status,
        size=size,
        referer=ref,
        ua=ua,
        peer=peer,
        xff_in=xff,
        module=module,
        action=action,
        user_id=COMPROMISED_ID,
        tag=tag,
    )


def build_attack(clinic: Clinic, patients: Patients, mb: Mediboard, seed: int) -> Attack:
    rng = random.Random(f"{seed}:attack")
    atk = Attack()
    reqs = atk.requests
    practitioners = [str(u.user_id) for u in sorted(clinic.physicians, key=lambda u: u.user_id)]

    # ---------------------------------------------------------------- A1/A2 password spray
    names = clinic.spray_usernames
    orders = []
    for _ in range(5):
        order = list(names)
        rng.shuffle(order)
        orders.append(order)
    o4 = [n for n in orders[3] if n != COMPROMISED_LOGIN]
    o4.insert(233, COMPROMISED_LOGIN)
    orders[3] = o4
    slots: list[tuple[int, str]] = []  # (round, username)
    round_starts = [
        utc(2024, 10, 24, 21, 2, 0),
        utc(2024, 10, 24, 22, 20, 0),
        utc(2024, 10, 24, 23, 38, 0),
    ]
    times: list[float] = []
    for r in range(3):
        start = round_starts[r]
        ts = _spaced(rng, 236, start, start + 235 * 3.6)
        times += ts
        slots += [(r, n) for n in orders[r]]
    lag = 118
    block = [(3, n) for n in orders[3][:lag]]
    for k in range(236 - lag):
        block.append((3, orders[3][lag + k]))
        block.append((4, orders[4][k]))
    block += [(4, n) for n in orders[4][236 - lag :]]
    success_slot = lag + 2 * (233 - lag)
    assert block[success_slot] == (3, COMPROMISED_LOGIN)
    t_block, t_success, t_end = (
        utc(2024, 10, 25, 0, 52, 0),
        utc(2024, 10, 25, 1, 12, 41),
        utc(2024, 10, 25, 1, 20, 0),
    )
    times += _spaced(rng, success_slot + 1, t_block, t_success)[:-1]
    times += _spaced(rng, len(block) - success_slot, t_success, t_end)
    slots += block
    g_success = 3 * 236 + success_slot
    off = (4 - g_success) % 10
    for g, ((_rnd, user), t) in enumerate(zip(slots, times, strict=True)):
        ip = SPRAY_IPS[(g + off) % 10]
        if g == g_success:
            r = _req(
                t,
                0.402118,
                "POST",
                "/mediboard/index.php",
                200,
                48211,
                HOME,
                UA_SPRAY,
                ip,
                "system",
                "login",
                "A2",
            )
            reqs.append(r)
            s = UiSession(
                COMPROMISED_ID,
                t + 0.35,
                ip,
                UA_SPRAY,
                mb.new_session_id(),
                None,
                last=t + 0.35,
            )
            mb.sessions.append(s)
            mb.log_app(
                t + 0.4,
                "INFO",
                "User authenticated",
                {"login": COMPROMISED_LOGIN, "method": "standard"},
                COMPROMISED_ID,
                s.session_id,
            )
            for dt_, target, size in (
                (12.3, "/mediboard/index.php?m=dPpatients&tab=vw_idx_patients", 31877),
                (25.0, "/mediboard/index.php?m=system&tab=about", 12044),
            ):
                rr = _req(
                    t + dt_,
                    0.21,
                    "GET",
                    target,
                    200,
                    size,
                    HOME,
                    UA_SPRAY,
                    ip,
                    "dPpatients" if "dPpatients" in target else "system",
                    "vw_idx_patients" if "dPpatients" in target else "about",
                    "A2",
                )
                reqs.append(rr)
                s.touch(t + dt_)
            atk.anchors["A2"] = t
            continue
        dur = rng.uniform(0.16, 0.21)
        r = _req(
            t,
            dur,
            "POST",
            "/mediboard/index.php",
            401,
            rng.randint(5990, 6060),
            HOME,
            UA_SPRAY,
            ip,
            "system",
            "login",
            "A1",
        )
        r.user_id = None
        reqs.append(r)
        mb.login_fail(t + dur * 0.8, user, ip)
    atk.info["spray"] = {
        "posts": len(slots),
        "failures": len(slots) - 1,
        "usernames": len(names),
        "nonexistent_usernames": len(clinic.nonexistent_usernames),
        "passwords": PASSWORDS,
        "success_round": 4,
        "success_ip": SPRAY_IPS[(g_success + off) % 10],
    }

    # ---------------------------------------------------------------- A3 reconnaissance
    ua, ip = UA_ATTACKER_BROWSER, VPN_IP
    t0, t_end3 = utc(2024, 10, 25, 1, 25, 7), utc(2024, 10, 25, 1, 52, 30)
    a3: list[Request] = []

    def add(
        t: float,
        target: str,
        size: int,
        module: str,
        action: str,
        ref: str = HOME,
        method: str = "GET",
        status: int = 200,
        dur: float | None = None,
        tag: str = "A3",
    ) -> Request:
        r = _req(
            t,
            dur if dur is not None else rng.uniform(0.08, 0.7),
            method,
            target,
            status,
            size,
            ref,
            ua,
            ip,
            module,
            action,
            tag,
        )
        a3.append(r)
        return r

    add(t0, "/mediboard/index.php", 5731, "system", "login", ref=None, dur=0.05)
    t_login = t0 + 11.8
    add(
        t_login,
        "/mediboard/index.php",
        48290,
        "system",
        "login",
        method="POST",
        dur=0.41,
    )
    s3 = UiSession(
        COMPROMISED_ID,
        t_login + 0.4,
        ip,
        ua,
        mb.new_session_id(),
        (1920, 1080),
        last=t_login + 0.4,
    )
    mb.sessions.append(s3)
    mb.log_app(
        t_login + 0.4,
        "INFO",
        "User authenticated",
        {"login": COMPROMISED_LOGIN, "method": "standard"},
        COMPROMISED_ID,
        s3.session_id,
    )
    views = [
        ("/mediboard/index.php?m=system&tab=about", "system", "about", 12044),
        (
            "/mediboard/index.php?m=system&tab=view_modules",
            "system",
            "view_modules",
            88410,
        ),
        (
            "/mediboard/index.php?m=admin&tab=vw_edit_users",
            "admin",
            "vw_edit_users",
            91532,
        ),
        (
            "/mediboard/index.php?m=admin&tab=vw_user_authentication",
            "admin",
            "vw_user_authentication",
            120388,
        ),
        (
            "/mediboard/index.php?m=admin&tab=vw_list_medical_access",
            "admin",
            "vw_list_medical_access",
            64120,
        ),
        (
            f"/mediboard/index.php?m=admin&tab=edit_perms&user_id={COMPROMISED_ID}",
            "admin",
            "edit_perms",
            45880,
        ),
        (
            "/mediboard/index.php?m=dPpatients&tab=vw_idx_patients",
            "dPpatients",
            "vw_idx_patients",
            31877,
        ),
        (
            "/mediboard/index.php?m=dPpatients&a=ajax_search_patient&nom=a&prenom=",
            "dPpatients",
            "ajax_search_patient",
            48022,
        ),
    ]
    six = sorted({1, *rng.sample(patients.ids[1000:], 4)} | {min(patients.ids, key=lambda p: abs(p - 48213))})
    six = six[:6]
    for pid in six:
        views.append(
            (
                f"/mediboard/index.php?m=dPpatients&tab=vw_full_patients&patient_id={pid}",
                "dPpatients",
                "vw_full_patients",
                118000 + pid % 9000,
            )
        )
    views.append(
        (
            "/mediboard/index.php?m=dPpatients&tab=vw_export_patients_csv",
            "dPpatients",
            "vw_export_patients_csv",
            18230,
        )
    )
    views.append(
        (
            "/mediboard/index.php?m=dPpatients&raw=ajax_export_patients_csv&date_min=&date_max=&patient_id=1",
            "dPpatients",
            "ajax_export_patients_csv",
            CSV_HEADER_LEN + patients.row_len[0],
        )
    )
    view_times = _spaced(rng, len(views), t0 + 31.0, t_end3 - 75.0)
    prev_ref = HOME
    for (target, module, action, size), t in zip(views, view_times, strict=True):
        ref = EXPORT_TAB if "raw=ajax_export" in target else prev_ref
        r = add(t, target, size, module, action, ref=ref, dur=rng.uniform(0.3, 1.4))
        s3.touch(t)
        if action == "vw_full_patients":
            pid = int(target.rsplit("=", 1)[1])
            mb.access_medical(t, COMPROMISED_ID, pid, "CPatient")
        if action == "ajax_export_patients_csv":
            r.db02 = [
                DbQuery(0.02, "SET NAMES latin1"),
                DbQuery(0.05, in_list_sql([1]), duration=0.001, rows_sent=1, rows_examined=1),
            ]
            r.extra["slave"] = True
        if "tab=" not in target:
            n_sub = 0  # ajax calls and raw exports load no sub-resources
        elif action in ("vw_edit_users", "vw_user_authentication", "view_modules"):
            n_sub = 8
        else:
            n_sub = rng.randint(3, 5)
        for k in range(n_sub):
            tt = t + 0.9 + k * rng.uniform(0.2, 0.6)
            if k % 2 == 0:
                sub = f"/mediboard/index.php?m={module}&a=ajax_{action}_list&page={k // 2}&ajax=1"
                add(
                    tt,
                    sub,
                    rng.randint(3000, 40000),
                    module,
                    action,
                    ref=f"{HOME}?m={module}&tab={action}",
                )
            else:
                add(
                    tt,
                    "/mediboard/style/mediboard_ext/images/icons/search.png",
                    0,
                    "static",
                    "static",
                    status=304,
                    dur=0.001,
                )
            s3.touch(tt)
        prev_ref = f"{HOME}?m={module}&tab={action}"
    t = t0 + 60
    while t < t_end3 - 30:
        add(
            t,
            "/mediboard/index.php?m=messagerie&a=ajax_count_unread&ajax=1",
            52,
            "messagerie",
            "ajax_count_unread",
            dur=0.02,
        )
        s3.touch(t)
        t += 30 + rng.uniform(-1, 1)
    add(
        t_end3,
        "/mediboard/index.php?logout=-1",
        0,
        "system",
        "logout",
        status=302,
        dur=0.04,
    )
    s3.touch(t_end3)
    reqs += a3
    atk.info["recon_six_patients"] = six

    # ---------------------------------------------------------------- A4 Saturday-night login
    t4 = utc(2024, 10, 26, 21, 41, 2)
    reqs.append(
        _req(
            t4 - 10.7,
            0.05,
            "GET",
            "/mediboard/index.php",
            200,
            5731,
            None,
            ua,
            ip,
            "system",
            "login",
            "A4",
        )
    )
    reqs.append(
        _req(
            t4,
            0.39,
            "POST",
            "/mediboard/index.php",
            200,
            48412,
            HOME,
            ua,
            ip,
            "system",
            "login",
            "A4",
        )
    )
    s4 = UiSession(
        COMPROMISED_ID,
        t4 + 0.35,
        ip,
        ua,
        mb.new_session_id(),
        (1920, 1080),
        last=t4 + 0.35,
    )
    mb.sessions.append(s4)
    mb.log_app(
        t4 + 0.4,
        "INFO",
        "User authenticated",
        {"login": COMPROMISED_LOGIN, "method": "standard"},
        COMPROMISED_ID,
        s4.session_id,
    )
    reqs.append(
        _req(
            t4 + 48.2,
            0.24,
            "GET",
            "/mediboard/index.php?m=dPpatients&tab=vw_export_patients_csv",
            200,
            18230,
            HOME,
            ua,
            ip,
            "dPpatients",
            "vw_export_patients_csv",
            "A4",
        )
    )
    s4.touch(t4 + 48.2)

    def export(
        t: float,
        dmin: str,
        dmax: str,
        dur: float,
        members: list[int],
        tag: str,
        status: int = 200,
    ) -> Request:
        target = (
            f"/mediboard/index.php?m=dPpatients&raw=ajax_export_patients_csv&date_min={dmin}&date_max={dmax}"
            "&patient_id=&all_prats=on"
        )
        size = CSV_HEADER_LEN + sum(patients.row_len[patients.index[p]] for p in members) if status == 200 else 0
        r = _req(
            t,
            dur,
            "GET",
            target,
            status,
            size,
            EXPORT_TAB,
            ua,
            ip,
            "dPpatients",
            "ajax_export_patients_csv",
            tag,
        )
        sej, cons = selection_sql(practitioners, dmin, dmax)
        q1 = rng.uniform(0.4, 2.6) if status == 200 else 46.2
        q2 = rng.uniform(0.3, 1.8) if status == 200 else 31.7
        r.db02 = [
            DbQuery(0.02, "SET NAMES latin1"),
            DbQuery(
                0.05,
                sej,
                duration=q1,
                rows_sent=int(len(members) * 0.7) if status == 200 else 301_877,
                rows_examined=2_210_488,
            ),
            DbQuery(
                0.1 + q1,
                cons,
                duration=q2,
                rows_sent=int(len(members) * 0.5) if status == 200 else 188_410,
                rows_examined=1_630_112,
            ),
        ]
        if status == 200:
            qstart = 0.2 + q1 + q2
            qd = max(2.1, (dur - qstart) * 0.55)
            r.db02.append(
                DbQuery(
                    qstart,
                    in_list_sql(members),
                    duration=qd,
                    rows_sent=len(members),
                    rows_examined=len(members),
                    bytes_sent=int(size * 0.98),
                )
            )
            r.db02.append(
                DbQuery(
                    qstart + qd + 0.05,
                    "SELECT * FROM `medecin` WHERE (`medecin_id` IN (SELECT `medecin_traitant` FROM "
                    "`patients` WHERE `patient_id` IN (" + ",".join(f"'{p}'" for p in members[:40]) + ")))",
                    duration=0.02,
                    rows_sent=35,
                )
            )
        r.extra["slave"] = True
        r.sql_count = len(r.db02) + 8
        r.peak_memory = 1_073_741_824 if status != 200 else int(160e6 + len(members) * 9000)
        r.transfer = size / 3_000_000
        s4.touch(t)
        get = {
            "m": "dPpatients",
            "raw": "ajax_export_patients_csv",
            "date_min": dmin,
            "date_max": dmax,
            "patient_id": "",
            "all_prats": "on",
        }
        if dur > 10:
            mb.long_request(
                t,
                dur,
                COMPROMISED_ID,
                "dPpatients",
                "ajax_export_patients_csv",
                s4.session_id,
                get,
                [],
                r.db02[1].sql,
            )
            mb.log_app(
                t + dur,
                "WARNING",
                "Long request",
                {
                    "module": "dPpatients",
                    "action": "ajax_export_patients_csv",
                    "duration": round(dur, 1),
                },
                COMPROMISED_ID,
                s4.session_id,
            )
        return r

    # ---------------------------------------------------------------- A5 failed full export
    t5 = utc(2024, 10, 26, 21, 42, 30)
    r5 = export(t5, "2000-01-01", "2024-10-26", 88.551, [], "A5", status=500)
    r5.errors = [
        (
            r5.dur,
            "proxy_fcgi:error",
            "PHP message: PHP Fatal error:  Allowed memory size of 1073741824 bytes exhausted (tried to "
            "allocate 20480 bytes) in /var/www/mediboard/core/classes/CSQLDataSource.php on line 1190",
        )
    ]
    reqs.append(r5)

    # ---------------------------------------------------------------- A6 chunked CSV export
    idx = patients.month_index()
    months = [(y, m) for y in range(2012, 2025) for m in range(1, 13) if (y, m) <= (2024, 10)]
    assert len(months) == 154
    biggest = max(len(idx.get(k, [])) for k in months)
    starts = _spaced(rng, 154, utc(2024, 10, 26, 21, 44, 10), utc(2024, 10, 26, 23, 52, 0))
    room = [b - a - 2.0 for a, b in pairwise(starts)] + [45.0]  # the script waits for each chunk
    covered: set[int] = set()
    chunk_rows, long_chunks = 0, 0
    for (y, m), t, max_dur in zip(months, starts, room, strict=True):
        members = idx.get((y, m), [])
        nxt = (y + (m == 12), m % 12 + 1)
        last_day = utc(nxt[0], nxt[1], 1) - 86400
        dmax = time.strftime("%Y-%m-%d", time.gmtime(last_day))
        dur = 8.0 + 37.0 * (len(members) / biggest) ** 1.1 + rng.uniform(-0.8, 0.8)
        dur = min(45.0, max_dur, max(8.0, dur))
        r = export(t, f"{y}-{m:02d}-01", dmax, dur, members, "A6")
        reqs.append(r)
        covered.update(members)
        chunk_rows += len(members)
        long_chunks += dur > 10
    atk.info["csv"] = {
        "chunks": 154,
        "rows": chunk_rows,
        "distinct_patients": len(covered),
        "long_request_rows": long_chunks,
    }

    # ---------------------------------------------------------------- A7 API pagination through Tor
    list_times = _spaced(rng, 1185, utc(2024, 10, 26, 23, 58, 10), utc(2024, 10, 27, 0, 31, 40))
    ids = patients.ids
    for k, t in enumerate(list_times):
        offset = k * 100
        page = ids[offset : offset + 100]
        size = 180 + sum(patients.item_len[patients.index[p]] + 1 for p in page)
        dur = rng.uniform(0.45, 0.75)
        r = Request(
            t=t,
            dur=dur,
            method="GET",
            target=f"/mediboard/api/dossierpatient/patients?offset={offset}&limit=100",
            status=200,
            size=size,
            referer=None,
            ua=UA_PYTHON,
            peer=TOR_1,
            xff_in=SPOOFED,
            module="dPpatients",
            action="api_patients_list",
            user_id=COMPROMISED_ID,
            tag="A7",
        )
        r.db02 = [
            DbQuery(0.05, "SELECT COUNT(*) FROM `patients`", duration=0.03, rows_sent=1),
            DbQuery(
                0.09,
                f"SELECT `patients`.* FROM `patients` ORDER BY `patients`.`patient_id` LIMIT {offset}, 100",
                duration=0.2,
                rows_sent=len(page),
                rows_examined=offset + len(page),
            ),
        ]
        r.extra["slave"] = True
        r.transfer = rng.uniform(0.2, 0.6)
        reqs.append(r)
        mb.api_call(t + 0.01, COMPROMISED_ID, SPOOFED, UA_PYTHON)
    atk.info["api_list_items"] = len(ids)

    # ---------------------------------------------------------------- A8 per-patient API detail
    detail_ids = patients.recent(4000)
    det_times = _spaced(rng, 4000, utc(2024, 10, 27, 0, 31, 45), utc(2024, 10, 27, 2, 4, 0))
    switch = utc(2024, 10, 27, 1, 10, 0)
    for pid, t in zip(detail_ids, det_times, strict=True):
        peer = TOR_1 if t < switch else TOR_2
        r = Request(
            t=t,
            dur=rng.uniform(0.07, 0.14),
            method="GET",
            target=f"/mediboard/api/dossierpatient/patients/{pid}",
            status=200,
            size=patients.detail_len[patients.index[pid]],
            referer=None,
            ua=UA_PYTHON,
            peer=peer,
            xff_in=SPOOFED,
            module="dPpatients",
            action="api_patients_show",
            user_id=COMPROMISED_ID,
            tag="A8",
        )
        r.db02 = [
            DbQuery(
                0.03,
                f"SELECT `patients`.* FROM `patients` WHERE `patients`.`patient_id` = '{pid}'",
                duration=0.001,
                rows_sent=1,
                rows_examined=1,
            )
        ]
        r.extra["slave"] = True
        r.transfer = rng.uniform(0.05, 0.3)
        reqs.append(r)
        mb.api_call(t + 0.01, COMPROMISED_ID, SPOOFED, UA_PYTHON)
    atk.info["api_detail_ids"] = len(detail_ids)
    atk.info["tor_switch"] = switch

    # ---------------------------------------------------------------- A9 backdoor account
    t9l = utc(2024, 10, 27, 2, 46, 20)
    reqs.append(
        _req(
            t9l - 11.4,
            0.05,
            "GET",
            "/mediboard/index.php",
            200,
            5731,
            None,
            ua,
            ip,
            "system",
            "login",
            "A9",
        )
    )
    reqs.append(
        _req(
            t9l,
            0.4,
            "POST",
            "/mediboard/index.php",
            200,
            48377,
            HOME,
            ua,
            ip,
            "system",
            "login",
            "A9",
        )
    )
    s9 = UiSession(
        COMPROMISED_ID,
        t9l + 0.35,
        ip,
        ua,
        mb.new_session_id(),
        (1920, 1080),
        last=t9l + 0.35,
    )
    mb.sessions.append(s9)
    mb.log_app(
        t9l + 0.4,
        "INFO",
        "User authenticated",
        {"login": COMPROMISED_LOGIN, "method": "standard"},
        COMPROMISED_ID,
        s9.session_id,
    )
    nav = [
        (
            t9l + 21.0,
            "GET",
            "/mediboard/index.php?m=admin&tab=vw_edit_users",
            91532,
            HOME,
            "vw_edit_users",
        ),
        (
            t9l + 32.5,
            "GET",
            "/mediboard/index.php?m=admin&tab=vw_edit_users&user_id=0",
            38211,
            f"{HOME}?m=admin&tab=vw_edit_users",
            "vw_edit_users",
        ),
    ]
    for t, method, target, size, ref, action in nav:
        reqs.append(_req(t, 0.5, method, target, 200, size, ref, ua, ip, "admin", action, "A9"))
        s9.touch(t)
    t9 = utc(2024, 10, 27, 2, 47, 12)
    reqs.append(
        _req(
            t9,
            0.23341,
            "POST",
            "/mediboard/index.php",
            200,
            1822,
            f"{HOME}?m=admin&tab=vw_edit_users&user_id=0",
            ua,
            ip,
            "admin",
            "do_mediuser_aed",
            "A9",
        )
    )
    s9.touch(t9)
    mb.user_log(t9 + 0.10, COMPROMISED_ID, "CUser", BACKDOOR_ID, "create", None, ip)
    mb.user_log(t9 + 0.12, COMPROMISED_ID, "CMediusers", BACKDOOR_ID, "create", None, ip)
    mb.user_log(
        t9 + 0.15,
        COMPROMISED_ID,
        "CUser",
        BACKDOOR_ID,
        "store",
        "user_password",
        ip,
        {"user_password": ""},
    )
    reqs.append(
        _req(
            t9 + 28.0,
            0.6,
            "GET",
            f"/mediboard/index.php?m=admin&tab=edit_perms&user_id={BACKDOOR_ID}",
            200,
            45880,
            f"{HOME}?m=admin&tab=vw_edit_users&user_id={BACKDOOR_ID}",
            ua,
            ip,
            "admin",
            "edit_perms",
            "A9",
        )
    )
    perm_ids = []
    for k, (mod_name, dt_) in enumerate((("dPpatients", 53.0), ("admin", 79.4), ("system", 100.2))):
        t = t9 + dt_
        reqs.append(
            _req(
                t,
                0.19,
                "POST",
                "/mediboard/index.php?m=admin",
                200,
                1310 + k * 7,
                f"{HOME}?m=admin&tab=edit_perms&user_id={BACKDOOR_ID}",
                ua,
                ip,
                "admin",
                "do_perm_module_aed",
                "A9",
            )
        )
        s9.touch(t)
        pm = 41_877 + k
        perm_ids.append(pm)
        mb.user_log(
            t + 0.1,
            COMPROMISED_ID,
            "CPermModule",
            pm,
            "create",
            None,
            ip,
            {
                "user_id": str(BACKDOOR_ID),
                "mod_id": mod_name,
                "permission": "2",
                "view": "2",
            },
        )
    atk.anchors["A9"] = t9
    atk.info["backdoor"] = {
        "user_id": BACKDOOR_ID,
        "perm_module_ids": perm_ids,
        "user_log_rows": 6,
    }

    # ---------------------------------------------------------------- A10 look around, then logout
    t = t9 + 140
    for target, size in (
        ("/mediboard/index.php?m=admin&tab=vw_edit_users", 92110),
        (
            f"/mediboard/index.php?m=admin&tab=vw_edit_users&user_id={BACKDOOR_ID}",
            40220,
        ),
        ("/mediboard/index.php?m=admin&tab=vw_user_authentication", 121004),
    ):
        reqs.append(
            _req(
                t,
                0.5,
                "GET",
                target,
                200,
                size,
                HOME,
                ua,
                ip,
                "admin",
                target.split("tab=")[1].split("&")[0],
                "A10",
            )
        )
        s9.touch(t)
        t += rng.uniform(90, 300)
    t10 = utc(2024, 10, 27, 3, 5, 40)
    reqs.append(
        _req(
            t10,
            0.04,
            "GET",
            "/mediboard/index.php?logout=-1",
            302,
            0,
            HOME,
            ua,
            ip,
            "system",
            "logout",
            "A10",
        )
    )
    s9.touch(t10)
    atk.anchors["A10"] = t10
    return atk

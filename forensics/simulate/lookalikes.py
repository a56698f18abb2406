"""Benign events that look suspicious (B1-B4), and the normal use of the shared admin account."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .clock import paris
from .mediboard import MSG_BAD, MSG_EXPIRED, MSG_LOCKED, Mediboard, UiSession, dt
from .model import HOME_UAS, SITE, UA_EDGE, Clinic, Patients
from .traffic import DbQuery, Request

EXPORT_TAB = f"{SITE}/mediboard/index.php?m=dPpatients&tab=vw_export_patients_csv"
HOME = f"{SITE}/mediboard/index.php"


@dataclass
class LookAlikes:
    requests: list[Request] = field(default_factory=list)
    sessions: list[tuple[UiSession, str]] = field(default_factory=list)
    reserved: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    truth: dict[str, dict] = field(default_factory=dict)
    b1_patients: list[int] = field(default_factory=list)


def _r(
    t: float,
    dur: float,
    method: str,
    target: str,
    status: int,
    size: int,
    ref: str | None,
    ua: str,
    ip: str,
    module: str,
    action: str,
    user_id: int | None,
    tag: str | None,
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
        peer=ip,
        module=module,
        action=action,
        user_id=user_id,
        tag=tag,
    )


def build_lookalikes(clinic: Clinic, patients: Patients, mb: Mediboard, seed: int) -> LookAlikes:
    rng = random.Random(f"{seed}:lookalikes")
    out = LookAlikes()
    by = clinic.by_login

    # normal use of adm.interop by IT (same office PC every time)
    for when in (paris(2024, 10, 22, 10, 14, 31), paris(2024, 10, 24, 15, 40, 12)):
        u = by["adm.interop"]
        s = UiSession(
            u.user_id,
            when,
            "10.20.5.42",
            UA_EDGE,
            mb.new_session_id(),
            (1920, 1080),
            last=when,
        )
        s.end = when + rng.uniform(1500, 2700)
        out.sessions.append((s, "admin"))

    # B1: the DIM physician's legitimate export on Tuesday afternoon
    lef = by["m.lefevre"]
    s = UiSession(
        lef.user_id,
        paris(2024, 10, 22, 8, 41, 7),
        "10.20.5.12",
        UA_EDGE,
        mb.new_session_id(),
        (1920, 1080),
        last=paris(2024, 10, 22, 8, 41, 7),
    )
    s.end = paris(2024, 10, 22, 17, 32, 0)
    out.sessions.append((s, "admin"))
    out.reserved["m.lefevre"] = [(paris(2024, 10, 22, 0, 0), paris(2024, 10, 23, 0, 0))]
    t_tab = paris(2024, 10, 22, 14, 9, 41)
    out.requests.append(
        _r(
            t_tab,
            0.21,
            "GET",
            "/mediboard/index.php?m=dPpatients&tab=vw_export_patients_csv",
            200,
            18230,
            HOME,
            UA_EDGE,
            "10.20.5.12",
            "dPpatients",
            "vw_export_patients_csv",
            lef.user_id,
            "B1",
        )
    )
    t_exp = paris(2024, 10, 22, 14, 10, 5)
    dur = 14.208774
    target = (
        "/mediboard/index.php?m=dPpatients&raw=ajax_export_patients_csv&praticien_id%5B%5D=212"
        "&praticien_id%5B%5D=219&date_min=2024-09-01&date_max=2024-09-30&patient_id="
    )
    req = _r(
        t_exp,
        dur,
        "GET",
        target,
        200,
        1198302,
        EXPORT_TAB,
        UA_EDGE,
        "10.20.5.12",
        "dPpatients",
        "ajax_export_patients_csv",
        lef.user_id,
        "B1",
    )
    members = patients.month_index()[(2024, 9)]
    chosen: list[int] = []
    total = 0
    for pid in sorted(rng.sample(members, len(members))):
        if total > 1_198_302 - 2300:
            break
        chosen.append(pid)
        total += patients.row_len[patients.index[pid]]
    chosen.sort()
    out.b1_patients = chosen
    sel = selection_sql(["212", "219"], "2024-09-01", "2024-09-30")
    req.db02 = [
        DbQuery(0.02, "SET NAMES latin1"),
        DbQuery(0.05, sel[0], duration=0.9, rows_sent=len(chosen), rows_examined=380_000),
        DbQuery(1.0, sel[1], duration=0.6, rows_sent=len(chosen) // 3, rows_examined=610_000),
        DbQuery(
            1.7,
            in_list_sql(chosen),
            duration=dur * 0.55,
            rows_sent=len(chosen),
            rows_examined=len(chosen),
            bytes_sent=len(chosen) * 610,
        ),
    ]
    req.sql_count = 12
    req.peak_memory = 212_000_000
    req.extra["slave"] = True
    req.transfer = 0.4
    out.requests.append(req)
    get = {
        "m": "dPpatients",
        "raw": "ajax_export_patients_csv",
        "praticien_id": ["212", "219"],
        "date_min": "2024-09-01",
        "date_max": "2024-09-30",
        "patient_id": "",
    }
    mb.long_request(
        t_exp,
        dur,
        lef.user_id,
        "dPpatients",
        "ajax_export_patients_csv",
        s.session_id,
        get,
        [],
        None,
    )
    mb.log_app(
        t_exp + dur,
        "WARNING",
        "Long request",
        {
            "module": "dPpatients",
            "action": "ajax_export_patients_csv",
            "duration": round(dur, 1),
        },
        lef.user_id,
        s.session_id,
    )
    out.truth["B1"] = {
        "account": "m.lefevre",
        "ip": "10.20.5.12",
        "time": t_exp,
        "what": "legitimate CSV export, 2 practitioners, 2024-09",
    }

    # B2: a physician logs in late from a new home address and opens three patients
    hb = by["h.benard"]
    ip, ua = "198.51.100.77", HOME_UAS[1]
    t0 = paris(2024, 10, 23, 23, 35, 40)
    out.reserved["h.benard"] = [(t0 - 4 * 3600, t0 + 3 * 3600)]
    out.requests.append(
        _r(
            t0 - 9.3,
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
            None,
            "B2",
        )
    )
    out.requests.append(
        _r(
            t0,
            0.41,
            "POST",
            "/mediboard/index.php",
            200,
            47120,
            HOME,
            ua,
            ip,
            "system",
            "login",
            hb.user_id,
            "B2",
        )
    )
    s2 = UiSession(hb.user_id, t0, ip, ua, mb.new_session_id(), (1440, 900), last=t0)
    mb.sessions.append(s2)
    mb.log_app(
        t0 + 0.12,
        "INFO",
        "User authenticated",
        {"login": "h.benard", "method": "standard"},
        hb.user_id,
        s2.session_id,
    )
    recent = patients.recent(400)
    t = t0 + 38
    for pid in rng.sample(recent, 3):
        out.requests.append(
            _r(
                t,
                0.9,
                "GET",
                f"/mediboard/index.php?m=dPpatients&tab=vw_full_patients&patient_id={pid}",
                200,
                rng.randint(70000, 150000),
                HOME,
                ua,
                ip,
                "dPpatients",
                "vw_full_patients",
                hb.user_id,
                "B2",
            )
        )
        mb.access_medical(t, hb.user_id, pid, "CPatient")
        s2.touch(t)
        for k in range(3):
            tt = t + 1.2 + k * 0.4
            out.requests.append(
                _r(
                    tt,
                    0.2,
                    "GET",
                    f"/mediboard/index.php?m=dPpatients&a=ajax_vw_sejours&patient_id={pid}&part={k}",
                    200,
                    rng.randint(3000, 20000),
                    HOME,
                    ua,
                    ip,
                    "dPpatients",
                    "vw_full_patients",
                    hb.user_id,
                    "B2",
                )
            )
            s2.touch(tt)
        t += rng.uniform(140, 260)
    tl = t + 45
    out.requests.append(
        _r(
            tl,
            0.03,
            "GET",
            "/mediboard/index.php?logout=-1",
            302,
            0,
            HOME,
            ua,
            ip,
            "system",
            "logout",
            hb.user_id,
            "B2",
        )
    )
    s2.touch(tl)
    out.truth["B2"] = {
        "account": "h.benard",
        "ip": ip,
        "time": t0,
        "what": "physician login from a new home IP, 3 patients opened",
    }

    # B3: a nurse mistypes, gets locked, the helpdesk unlocks her
    sg, tl_user = by["s.garnier"], by["t.lambert"]
    pc = clinic.ward_pcs[sg.ward][0]
    ua = clinic.pc_ua[pc]
    out.reserved["s.garnier"] = [(paris(2024, 10, 24, 5, 0), paris(2024, 10, 24, 16, 0))]
    out.reserved["t.lambert"] = [(paris(2024, 10, 24, 6, 0), paris(2024, 10, 24, 13, 0))]
    hs = UiSession(
        tl_user.user_id,
        paris(2024, 10, 24, 7, 9, 12),
        "10.20.5.40",
        clinic.pc_ua["10.20.5.40"],
        mb.new_session_id(),
        (1920, 1080),
        last=paris(2024, 10, 24, 7, 9, 12),
    )
    hs.end = paris(2024, 10, 24, 12, 30, 0)
    out.sessions.append((hs, "admin"))
    fails = [(7, 2, 10), (7, 2, 31), (7, 2, 58), (7, 4, 40), (7, 5, 15)]
    out.requests.append(
        _r(
            paris(2024, 10, 24, 7, 1, 58),
            0.05,
            "GET",
            "/mediboard/index.php",
            200,
            5731,
            None,
            ua,
            pc,
            "system",
            "login",
            None,
            "B3",
        )
    )
    for k, (h, m, sec) in enumerate(fails):
        tf = paris(2024, 10, 24, h, m, sec)
        out.requests.append(
            _r(
                tf,
                0.19,
                "POST",
                "/mediboard/index.php",
                401,
                6012,
                HOME,
                ua,
                pc,
                "system",
                "login",
                None,
                "B3",
            )
        )
        mb.login_fail(tf + 0.15, "s.garnier", pc, MSG_BAD)
        if k == 4:
            mb.log_app(
                tf + 0.16,
                "WARNING",
                "Account locked",
                {"login": "s.garnier", "attempts": 5},
                None,
                None,
            )
    t_locked = paris(2024, 10, 24, 7, 6, 2)
    out.requests.append(
        _r(
            t_locked,
            0.17,
            "POST",
            "/mediboard/index.php",
            401,
            6051,
            HOME,
            ua,
            pc,
            "system",
            "login",
            None,
            "B3",
        )
    )
    mb.login_fail(t_locked + 0.14, "s.garnier", pc, MSG_LOCKED)
    t_unlock = paris(2024, 10, 24, 7, 21, 30)
    out.requests.append(
        _r(
            t_unlock,
            0.31,
            "POST",
            "/mediboard/index.php?m=admin",
            200,
            1544,
            f"{HOME}?m=admin&tab=vw_edit_users&user_id={sg.user_id}",
            hs.ua,
            "10.20.5.40",
            "admin",
            "do_unlock_user",
            tl_user.user_id,
            "B3",
        )
    )
    mb.user_log(
        t_unlock + 0.25,
        tl_user.user_id,
        "CUser",
        sg.user_id,
        "store",
        "user_login_errors lock_datetime",
        "10.20.5.40",
        {
            "user_login_errors": "5",
            "lock_datetime": dt(paris(2024, 10, 24, 7, 5, 15.15)),
        },
    )
    t_ok = paris(2024, 10, 24, 7, 23, 5)
    out.requests.append(
        _r(
            t_ok,
            0.44,
            "POST",
            "/mediboard/index.php",
            200,
            48002,
            HOME,
            ua,
            pc,
            "system",
            "login",
            sg.user_id,
            "B3",
        )
    )
    s3 = UiSession(sg.user_id, t_ok, pc, ua, mb.new_session_id(), (1920, 1080), last=t_ok)
    s3.end = paris(2024, 10, 24, 14, 50, 0)
    s3.row_seq = -2
    mb.sessions.append(s3)
    mb.log_app(
        t_ok + 0.12,
        "INFO",
        "User authenticated",
        {"login": "s.garnier", "method": "standard"},
        sg.user_id,
        s3.session_id,
    )
    out.sessions.append((s3, "nurse"))
    out.truth["B3"] = {
        "account": "s.garnier",
        "ip": pc,
        "time": paris(2024, 10, 24, 7, 2, 10),
        "what": "5 failed logins, account locked, unlocked by the helpdesk (t.lambert)",
    }

    # B4: Monday-morning password expiry
    expired = [u for u in clinic.users if u.password_expired]
    b4 = []
    for k, u in enumerate(expired):
        ip = u.office_ip or clinic.ward_pcs[u.ward][1]
        ua = clinic.pc_ua[ip]
        tf = paris(2024, 10, 21, 7, 31, rng.randint(0, 59)) + k * 17 * 60
        out.reserved[u.login] = [(tf - 3 * 3600, tf + 600)]
        out.requests.append(
            _r(
                tf,
                0.2,
                "POST",
                "/mediboard/index.php",
                401,
                6133,
                HOME,
                ua,
                ip,
                "system",
                "login",
                None,
                "B4",
            )
        )
        mb.login_fail(tf + 0.15, u.login, ip, MSG_EXPIRED)
        tc = tf + rng.uniform(40, 90)
        out.requests.append(
            _r(
                tc,
                0.35,
                "POST",
                "/mediboard/index.php?m=admin&a=chpwd",
                200,
                2210,
                HOME,
                ua,
                ip,
                "admin",
                "vw_edit_users",
                u.user_id,
                "B4",
            )
        )
        mb.user_log(
            tc + 0.3,
            u.user_id,
            "CUser",
            u.user_id,
            "store",
            "user_password user_password_last_change",
            ip,
            {"user_password_last_change": "2024-07-19 08:02:11"},
        )
        s4 = UiSession(
            u.user_id,
            tc + rng.uniform(8, 20),
            ip,
            ua,
            mb.new_session_id(),
            (1920, 1080),
        )
        s4.last = s4.t_login
        s4.end = s4.t_login + rng.uniform(3, 7) * 3600
        out.sessions.append((s4, u.role if u.role in ("nurse", "physician") else "admin"))
        b4.append({"account": u.login, "ip": ip, "time": tf})
    out.truth["B4"] = {
        "account": ",".join(x["account"] for x in b4),
        "ip": ",".join(x["ip"] for x in b4),
        "time": b4[0]["time"],
        "what": "password-expiry failures, then password change and login",
        "events": b4,
    }
    return out


def selection_sql(prats: list[str], dmin: str, dmax: str) -> tuple[str, str]:
    """The two patient-selection queries of the CSV exporter (stays, then consultations)."""
    in_list = ",".join(f"'{p}'" for p in prats)
    sejour = (
        "SELECT patients.patient_id\nFROM patients\n"
        "LEFT JOIN sejour ON sejour.patient_id = patients.patient_id\n"
        f"WHERE (sejour.praticien_id IN ({in_list})) AND (annule = '0') "
        f"AND (sejour.sortie BETWEEN '{dmin}' AND '{dmax}')"
    )
    consult = (
        "SELECT patients.patient_id\nFROM patients\n"
        "LEFT JOIN consultation ON consultation.patient_id = patients.patient_id\n"
        "LEFT JOIN plageconsult ON plageconsult.plageconsult_id = consultation.plageconsult_id\n"
        f"WHERE (plageconsult.chir_id IN ({in_list})) AND (consultation.annule = '0') "
        f"AND (plageconsult.date BETWEEN '{dmin}' AND '{dmax}')"
    )
    return sejour, consult


def in_list_sql(ids: list[int]) -> str:
    return "SELECT * FROM `patients` WHERE (`patient_id` IN (" + ",".join(f"'{i}'" for i in ids) + "))"

"""Normal clinic traffic: staff sessions, their requests, robots, monitoring and cron.

People-level activity (sessions, logins, login failures) does not depend on ``scale``; the number
of requests per hour does. Every request gets its Mediboard side effects recorded here.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Sequence
from typing import TypeVar
from urllib.parse import quote

from .clock import local_date, local_fields, paris
from .mediboard import MSG_BAD, Mediboard, UiSession
from .model import SITE, Clinic, Patients, User
from .names import LAST
from .traffic import DbQuery, Request

# Apache requests per hour on a weekday, by local hour (sample-case.md 6.2)
T = TypeVar("T")

REQ_PER_HOUR = [
    (900, 1400),
    (900, 1400),
    (900, 1400),
    (900, 1400),
    (900, 1400),
    (1500, 1500),
    (4000, 4000),
    (9000, 9000),
    (18000, 22000),
    (18000, 22000),
    (18000, 22000),
    (18000, 22000),
    (12000, 14000),
    (12000, 14000),
    (17000, 20000),
    (17000, 20000),
    (17000, 20000),
    (9000, 11000),
    (9000, 11000),
    (4000, 6000),
    (4000, 6000),
    (1800, 2500),
    (1800, 2500),
    (1800, 2500),
]
LOGINS_PER_HOUR = [
    (1, 4),
    (1, 4),
    (1, 4),
    (1, 4),
    (1, 4),
    (3, 6),
    (30, 45),
    (40, 60),
    (15, 30),
    (15, 30),
    (15, 30),
    (15, 30),
    (10, 20),
    (10, 20),
    (15, 25),
    (15, 25),
    (15, 25),
    (10, 15),
    (10, 15),
    (20, 30),
    (20, 30),
    (2, 6),
    (2, 6),
    (2, 6),
]
FAILS_PER_HOUR = [
    (0, 1),
    (0, 1),
    (0, 1),
    (0, 1),
    (0, 1),
    (0, 1),
    (2, 4),
    (2, 4),
    (1, 3),
    (1, 3),
    (1, 3),
    (1, 3),
    (1, 2),
    (1, 2),
    (1, 2),
    (1, 2),
    (1, 2),
    (0, 2),
    (0, 2),
    (1, 2),
    (1, 2),
    (0, 1),
    (0, 1),
    (0, 1),
]
SCREENS = [
    (1920, 1080),
    (1920, 1080),
    (1680, 1050),
    (1366, 768),
    (1280, 1024),
    (2560, 1440),
]
STATIC = [
    "/mediboard/style/mediboard_ext/images/icons/search.png",
    "/mediboard/style/mediboard_ext/images/buttons/edit.png",
    "/mediboard/style/mediboard_ext/images/buttons/cancel.png",
    "/mediboard/includes/javascript/functions.js?build=8f2c61a",
    "/mediboard/includes/javascript/url.js?build=8f2c61a",
    "/mediboard/lib/scriptaculous/src/effects.js?build=8f2c61a",
    "/mediboard/style/mediboard_ext/main.css?build=8f2c61a",
    "/mediboard/favicon.ico",
]
UA_HL7 = "Java/1.8.0_392"
UA_CRON = "Wget/1.21.2"
UA_MON = "curl/7.81.0"
UA_STATS = "python-urllib3/1.26.18"
UA_LAB = "okhttp/4.12.0"
REFERER_HOME = f"{SITE}/mediboard/index.php"

# (weight per role nurse/physician/admin, kind)
KINDS = [
    ((10, 4, 2), "idx_sejour"),
    ((14, 8, 1), "dossier_sejour"),
    ((14, 2, 0), "plan_soins"),
    ((8, 0, 0), "w_administration"),
    ((6, 1, 0), "w_transmission"),
    ((6, 0, 0), "w_constantes"),
    ((15, 12, 10), "count_unread"),
    ((8, 6, 6), "session_alive"),
    ((12, 10, 12), "static"),
    ((4, 1, 0), "placement"),
    ((3, 8, 14), "search"),
    ((1, 12, 6), "full_patient"),
    ((0, 12, 0), "full_consult"),
    ((2, 10, 0), "prescription"),
    ((0, 8, 0), "w_prescription"),
    ((0, 5, 0), "w_consultation"),
    ((0, 6, 8), "planning"),
    ((0, 0, 10), "idx_patients"),
    ((0, 0, 6), "w_patient"),
    ((0.2, 1.1, 3.2), "report"),
]
ROLE_COL = {"nurse": 0, "physician": 1, "admin": 2}


def _ri(rng: random.Random, a: int, b: int) -> int:
    """Faster ``randint`` (one float draw)."""
    return a + int(rng.random() * (b - a + 1))


def _pick(rng: random.Random, seq: Sequence[T]) -> T:
    """Faster ``choice`` (one float draw)."""
    return seq[int(rng.random() * len(seq))]


def _cum(weights: list[float]) -> list[float]:
    out, acc = [], 0.0
    for w in weights:
        acc += w
        out.append(acc)
    return out


class Baseline:
    def __init__(
        self,
        clinic: Clinic,
        patients: Patients,
        mb: Mediboard,
        scale: float,
        seed: int,
        t0: float,
        t1: float,
        reserved: dict[str, list[tuple[float, float]]],
        extra_sessions: list[tuple[UiSession, str]],
    ) -> None:
        self.c, self.p, self.mb, self.scale = clinic, patients, mb, scale
        self.t0, self.t1 = t0, t1
        self.rng = random.Random(f"{seed}:baseline:{scale}")
        self.prng = random.Random(f"{seed}:people")  # sessions do not depend on scale
        self.reserved = reserved
        self.kinds = [k for _, k in KINDS]
        self.cum = {r: _cum([w[c] for w, _ in KINDS]) for r, c in ROLE_COL.items()}
        self.active_patients = patients.recent(6000)
        self.ward_sejours = {
            w: [480_000 + w * 5000 + self.prng.randrange(5000) for _ in range(18)] for w in clinic.ward_pcs
        }
        self.pc_screen = {ip: _pick(self.prng, SCREENS) for ip in sorted(clinic.pc_ua)}
        self.counters = {
            "CAdministration": 7_410_000,
            "CTransmissionMedicale": 3_120_000,
            "CConstantesMedicales": 5_880_000,
        }
        self.sessions: list[UiSession] = []
        self.session_role: dict[int, str] = {}
        self._plan_hours()
        self._plan_sessions()
        for s, role in extra_sessions:
            self.sessions.append(s)
            self.session_role[id(s)] = role
        self.sessions.sort(key=lambda s: s.t_login)
        self._starts = [s.t_login for s in self.sessions]

    # ------------------------------------------------------------------ planning
    def _plan_hours(self) -> None:
        rng = self.prng
        self.hour_counts: dict[float, int] = {}
        self.hour_target: dict[float, float] = {}
        t = self.t0
        while t < self.t1:
            tm = local_fields(t)
            lo, hi = REQ_PER_HOUR[tm.tm_hour]
            base = rng.uniform(lo, hi) * rng.uniform(0.85, 1.15)
            if tm.tm_wday >= 5 and 7 <= tm.tm_hour < 21:
                base *= rng.uniform(0.35, 0.45)
            self.hour_target[t] = base
            self.hour_counts[t] = round(base * self.scale)
            t += 3600
        # daily budgets of slow queries and long requests, spread over the busiest hours
        self.slow01: dict[float, int] = {}
        self.long_req: dict[float, int] = {}
        day_hours: dict[str, list[float]] = {}
        for h in self.hour_counts:
            day_hours.setdefault(local_date(int(h)), []).append(h)
        for day in sorted(day_hours):
            hours = day_hours[day]
            weights = [self.hour_target[h] for h in hours]
            for budget, target in (
                (_ri(rng, 20, 80), self.slow01),
                (_ri(rng, 20, 60), self.long_req),
            ):
                n = max(2, round(budget * self.scale))
                for h in rng.choices(hours, weights=weights, k=n):
                    target[h] = target.get(h, 0) + 1

    def _pick_user(self, rng: random.Random, hour: int, t: float, busy: dict[int, float]) -> User | None:
        night = hour >= 21 or hour < 6
        roll = rng.random()
        if night:
            pool = self.c.nurses if roll < 0.8 else self.c.physicians
        else:
            pool = self.c.nurses if roll < 0.45 else self.c.physicians if roll < 0.85 else self.c.admins
        for _ in range(12):
            u = _pick(rng, pool)
            if busy.get(u.user_id, 0) > t:
                continue
            if any(a <= t < b for a, b in self.reserved.get(u.login, ())):
                continue
            return u
        return None

    def _plan_sessions(self) -> None:
        rng = self.prng
        busy: dict[int, float] = {}
        t = self.t0
        while t < self.t1:
            tm = local_fields(t)
            h = tm.tm_hour
            lo, hi = LOGINS_PER_HOUR[h]
            n = _ri(rng, lo, hi)
            if tm.tm_wday >= 5 and 7 <= h < 21:
                n = round(n * 0.6)
            flo, fhi = FAILS_PER_HOUR[h]
            fails = _ri(rng, flo, fhi)
            starts = sorted(t + rng.uniform(0, 3600) for _ in range(n))
            for k, ts in enumerate(starts):
                if ts >= self.t1 - 60:
                    continue
                u = self._pick_user(rng, h, ts, busy)
                if u is None:
                    continue
                if h in (6, 7):
                    dur = rng.uniform(3 * 3600, 8 * 3600)
                elif h in (19, 20):
                    dur = rng.uniform(7 * 3600, 11 * 3600)
                else:
                    dur = rng.uniform(1800, 4 * 3600)
                ip, ua = self._place(rng, u, h)
                screen = self.pc_screen.get(ip) if ip.startswith("10.") else (1920, 1080)
                s = UiSession(u.user_id, ts, ip, ua, self.mb.new_session_id(), screen, last=ts)
                s.end = ts + dur
                s.row_seq = -1 if k < fails else 0  # sessions preceded by a failed attempt
                busy[u.user_id] = s.end
                self.sessions.append(s)
                self.session_role[id(s)] = u.role
            t += 3600
        self.sessions.sort(key=lambda s: s.t_login)
        self._starts = [s.t_login for s in self.sessions]

    def _place(self, rng: random.Random, u: User, hour: int) -> tuple[str, str]:
        if u.home_ip and (hour >= 19 or hour < 7) and rng.random() < 0.45:
            return u.home_ip, u.home_ua or ""
        if u.role == "nurse" or (u.role == "physician" and rng.random() < 0.3) or not u.office_ip:
            ip = _pick(rng, self.c.ward_pcs[u.ward])
        else:
            ip = u.office_ip
        return ip, self.c.pc_ua[ip]

    # ------------------------------------------------------------------ generation
    def hour(self, h0: float) -> list[Request]:
        rng = self.rng
        out: list[Request] = []
        h1 = h0 + 3600
        lo = bisect.bisect_left(self._starts, h0 - 12 * 3600)
        active = [s for s in self.sessions[lo:] if s.t_login < h1 and s.end > h0]
        for s in active:
            if h0 <= s.t_login < h1 and s.row_seq != -2:  # -2: login written by the look-alikes
                self._login(out, s)
        live = [s for s in active]
        n = self.hour_counts.get(h0, 0)
        times = sorted(h0 + rng.random() * 3600 for _ in range(n))
        slow_left = self.slow01.get(h0, 0)
        long_left = self.long_req.get(h0, 0)
        for t in times:
            s = None
            if live:
                for _ in range(4):
                    cand = live[int(rng.random() * len(live))]
                    if cand.t_login + 2 < t < cand.end:
                        s = cand
                        break
            if s is None:
                out.append(self._anonymous(t))
                continue
            req = self._session_request(s, t)
            if slow_left and req.module not in ("static",) and rng.random() < 0.2:
                slow_left -= 1
                qt = rng.uniform(2.0, 9.0)
                req.dur = max(req.dur, qt + rng.uniform(0.05, 0.4))
                req.extra["db01_slow"] = (qt, _slow01_sql(rng))
            out.append(req)
        # make sure the day's budgets are spent even at tiny scales
        while long_left > 0 and active:
            long_left -= 1
            s = _pick(rng, active)
            t = max(h0, s.t_login + 5) + rng.random() * 600
            if t < min(h1, s.end):
                out.append(self._report(s, t, long=True))
        while slow_left > 0 and out:
            slow_left -= 1
            req = _pick(rng, out)
            qt = rng.uniform(2.0, 9.0)
            req.dur = max(req.dur, qt + 0.2)
            req.extra["db01_slow"] = (qt, _slow01_sql(rng))
        for s in active:
            if h0 <= s.end < h1 and s.end < self.t1 - 60 and rng.random() < 0.4 and s.last < s.end:
                out.append(self._logout(s, s.end))
        out.extend(self._noise(h0, h1))
        self._errors(out, h0)
        return out

    def _login(self, out: list[Request], s: UiSession) -> None:
        rng = self.rng
        user = self.c.by_id[s.user_id]
        t_form = s.t_login - rng.uniform(4, 25)
        out.append(
            self._req(
                s,
                t_form,
                "GET",
                "/mediboard/index.php",
                200,
                _ri(rng, 5600, 5900),
                None,
                "system",
                "login",
                dur=rng.uniform(0.03, 0.09),
            )
        )
        if s.row_seq == -1:
            bad = user.login
            if rng.random() < 0.25:  # typo in the user name
                bad = user.login[:-1] if rng.random() < 0.5 else user.login + user.login[-1]
                if rng.random() < 0.3:
                    bad = bad.replace("e", "é", 1)
            tf = t_form + rng.uniform(1, 3)
            out.append(
                self._req(
                    s,
                    tf,
                    "POST",
                    "/mediboard/index.php",
                    401,
                    _ri(rng, 5980, 6060),
                    REFERER_HOME,
                    "system",
                    "login",
                    dur=rng.uniform(0.15, 0.25),
                )
            )
            self.mb.login_fail(tf, bad, s.ip, MSG_BAD)
        out.append(
            self._req(
                s,
                s.t_login,
                "POST",
                "/mediboard/index.php",
                200,
                _ri(rng, 46000, 52000),
                REFERER_HOME,
                "system",
                "login",
                dur=rng.uniform(0.3, 0.6),
            )
        )
        self.mb.sessions.append(s)
        self.mb.log_app(
            s.t_login + 0.12,
            "INFO",
            "User authenticated",
            {"login": user.login, "method": "standard"},
            s.user_id,
            s.session_id,
        )

    def _logout(self, s: UiSession, t: float) -> Request:
        s.last = max(s.last, t)
        return self._req(
            s,
            t,
            "GET",
            "/mediboard/index.php?logout=-1",
            302,
            0,
            REFERER_HOME,
            "system",
            "logout",
            dur=self.rng.uniform(0.02, 0.06),
        )

    def _req(
        self,
        s: UiSession | None,
        t: float,
        method: str,
        target: str,
        status: int,
        size: int,
        referer: str | None,
        module: str,
        action: str,
        dur: float,
        ip: str | None = None,
        ua: str | None = None,
    ) -> Request:
        peer = ip or (s.ip if s else "10.20.1.10")
        return Request(
            t=t,
            dur=dur,
            method=method,
            target=target,
            status=status,
            size=size,
            referer=referer,
            ua=ua or (s.ua if s else None),
            peer=peer,
            module=module,
            action=action,
            user_id=s.user_id if s else None,
        )

    def _anonymous(self, t: float) -> Request:
        rng = self.rng
        ip = _pick(rng, self.c.lan_ips)
        if rng.random() < 0.5:
            return self._req(
                None,
                t,
                "GET",
                "/mediboard/index.php",
                200,
                _ri(rng, 5600, 5900),
                None,
                "system",
                "login",
                dur=rng.uniform(0.03, 0.09),
                ip=ip,
                ua=self.c.pc_ua[ip],
            )
        return self._req(
            None,
            t,
            "GET",
            _pick(rng, STATIC),
            304,
            0,
            REFERER_HOME,
            "static",
            "static",
            dur=rng.uniform(0.0003, 0.002),
            ip=ip,
            ua=self.c.pc_ua[ip],
        )

    def _session_request(self, s: UiSession, t: float) -> Request:
        rng = self.rng
        role = self.session_role.get(id(s), "physician")
        cum = self.cum.get(role, self.cum["physician"])
        kind = self.kinds[bisect.bisect_right(cum, rng.random() * cum[-1])]
        user = self.c.by_id[s.user_id]
        s.touch(t)
        ref = REFERER_HOME
        if kind == "static":
            r = self._req(
                s,
                t,
                "GET",
                _pick(rng, STATIC),
                304 if rng.random() < 0.85 else 200,
                0,
                ref,
                "static",
                "static",
                dur=rng.uniform(0.0003, 0.002),
            )
            if r.status == 200:
                r.size = _ri(rng, 800, 60000)
            return r
        if kind == "report":
            return self._report(s, t, long=False)
        ward_s = self.ward_sejours[user.ward]
        day = local_date(int(t))
        if kind == "idx_sejour":
            return self._req(
                s,
                t,
                "GET",
                f"/mediboard/index.php?m=dPhospi&tab=vw_idx_sejour&service_id={user.ward + 1}",
                200,
                _ri(rng, 40000, 90000),
                ref,
                "dPhospi",
                "vw_idx_sejour",
                rng.uniform(0.3, 1.2),
            )
        if kind in ("dossier_sejour", "plan_soins", "prescription"):
            sid = _pick(rng, ward_s)
            if kind == "dossier_sejour":
                target = f"/mediboard/index.php?m=soins&tab=vw_dossier_sejour&sejour_id={sid}"
                mod, act = "soins", "vw_dossier_sejour"
            elif kind == "plan_soins":
                target = f"/mediboard/index.php?m=soins&a=ajax_vw_plan_soins&sejour_id={sid}&date={day}"
                mod, act = "soins", "ajax_vw_plan_soins"
            else:
                target = f"/mediboard/index.php?m=dPprescription&a=httpreq_vw_prescription&sejour_id={sid}"
                mod, act = "dPprescription", "httpreq_vw_prescription"
            self.mb.access_medical(t, s.user_id, sid, "CSejour")
            return self._req(
                s,
                t,
                "GET",
                target,
                200,
                _ri(rng, 20000, 140000),
                ref,
                mod,
                act,
                rng.uniform(0.2, 1.5),
            )
        if kind == "full_patient":
            pid = _pick(rng, self.active_patients)
            self.mb.access_medical(t, s.user_id, pid, "CPatient")
            return self._req(
                s,
                t,
                "GET",
                f"/mediboard/index.php?m=dPpatients&tab=vw_full_patients&patient_id={pid}",
                200,
                _ri(rng, 60000, 160000),
                ref,
                "dPpatients",
                "vw_full_patients",
                rng.uniform(0.4, 1.8),
            )
        if kind == "full_consult":
            cid = 2_100_000 + rng.randrange(120_000)
            self.mb.access_medical(t, s.user_id, cid, "CConsultation")
            return self._req(
                s,
                t,
                "GET",
                f"/mediboard/index.php?m=dPcabinet&a=ajax_full_consult&consult_id={cid}",
                200,
                _ri(rng, 30000, 90000),
                ref,
                "dPcabinet",
                "ajax_full_consult",
                rng.uniform(0.3, 1.2),
            )
        if kind == "search":
            nom = _pick(rng, LAST)
            pacs = s.ua.endswith('"PACS-Viewer" 3.2)')
            if pacs:
                q = nom  # the legacy viewer sends raw latin-1 bytes, unencoded
            else:
                q = quote(nom.encode("latin-1"), safe="")
            target = f"/mediboard/index.php?m=dPpatients&a=ajax_search_patient&nom={q}&prenom="
            r = self._req(
                s,
                t,
                "GET",
                target,
                200,
                _ri(rng, 2000, 9000),
                f"{SITE}/mediboard/index.php?m=dPpatients&tab=vw_idx_patients",
                "dPpatients",
                "ajax_search_patient",
                rng.uniform(0.05, 0.3),
            )
            return r
        if kind == "count_unread":
            return self._req(
                s,
                t,
                "GET",
                "/mediboard/index.php?m=messagerie&a=ajax_count_unread&ajax=1",
                200,
                _ri(rng, 40, 90),
                ref,
                "messagerie",
                "ajax_count_unread",
                rng.uniform(0.01, 0.05),
            )
        if kind == "session_alive":
            return self._req(
                s,
                t,
                "GET",
                "/mediboard/index.php?m=system&a=ajax_session_alive&ajax=1",
                200,
                _ri(rng, 20, 40),
                ref,
                "system",
                "ajax_session_alive",
                rng.uniform(0.01, 0.04),
            )
        if kind == "placement":
            return self._req(
                s,
                t,
                "GET",
                f"/mediboard/index.php?m=dPhospi&tab=vw_placement_patients&service_id={user.ward + 1}",
                200,
                _ri(rng, 50000, 120000),
                ref,
                "dPhospi",
                "vw_placement_patients",
                rng.uniform(0.4, 1.5),
            )
        if kind == "planning":
            return self._req(
                s,
                t,
                "GET",
                f"/mediboard/index.php?m=dPcabinet&tab=vw_planning&chir_id={s.user_id}&date={day}",
                200,
                _ri(rng, 30000, 80000),
                ref,
                "dPcabinet",
                "vw_planning",
                rng.uniform(0.3, 1.0),
            )
        if kind == "idx_patients":
            return self._req(
                s,
                t,
                "GET",
                "/mediboard/index.php?m=dPpatients&tab=vw_idx_patients",
                200,
                _ri(rng, 25000, 40000),
                ref,
                "dPpatients",
                "vw_idx_patients",
                rng.uniform(0.1, 0.4),
            )
        # writes: POST to index.php?m=<module>; the dosql is in the body, not in the log
        return self._write(s, t, kind)

    def _write(self, s: UiSession, t: float, kind: str) -> Request:
        rng = self.rng
        user = self.c.by_id[s.user_id]
        done = t + rng.uniform(0.1, 0.5)
        if kind in ("w_administration", "w_transmission", "w_constantes"):
            cls, mod, act = {
                "w_administration": (
                    "CAdministration",
                    "soins",
                    "do_administration_aed",
                ),
                "w_transmission": (
                    "CTransmissionMedicale",
                    "dPhospi",
                    "do_transmission_aed",
                ),
                "w_constantes": (
                    "CConstantesMedicales",
                    "dPpatients",
                    "do_constantes_medicales_aed",
                ),
            }[kind]
            self.counters[cls] += 1
            self.mb.user_log(done, s.user_id, cls, self.counters[cls], "create", None, s.ip)
        elif kind == "w_prescription":
            mod, act = "dPprescription", "do_prescription_line_aed"
            self.mb.user_log(
                done,
                s.user_id,
                "CPrescriptionLineMedicament",
                9_400_000 + rng.randrange(90_000),
                "store",
                "debut duree",
                s.ip,
                {"debut": local_date(int(t) - 86400), "duree": str(_ri(rng, 1, 10))},
            )
        elif kind == "w_consultation":
            mod, act = "dPcabinet", "do_consultation_aed"
            note = _pick(
                rng,
                [
                    "RAS. Contrôle à 3 mois.",
                    "Douleur épigastrique,\nbilan demandé.",
                    "Patient vu avec sa fille.\tAllergie pénicilline.",
                    "Suivi post-opératoire : cicatrice propre.",
                ],
            )
            self.mb.user_log(
                done,
                s.user_id,
                "CConsultation",
                2_100_000 + rng.randrange(120_000),
                "store",
                "examen conclusion",
                s.ip,
                {"examen": note, "conclusion": ""},
            )
        else:  # w_patient
            mod, act = "dPpatients", "do_patients_aed"
            pid = _pick(rng, self.active_patients)
            old = _pick(
                rng,
                [
                    "Lévêque",
                    "Bénard",
                    "N'Guessan",
                    "Dupré-Léger",
                    "Hélène",
                    "Maëlle",
                    "Zoé",
                ],
            )
            self.mb.user_log(
                done,
                s.user_id,
                "CPatient",
                pid,
                "store",
                "nom tel",
                s.ip,
                {
                    "nom": old,
                    "tel": "0" + "".join(str(rng.randrange(10)) for _ in range(9)),
                },
            )
        _ = user
        return self._req(
            s,
            t,
            "POST",
            f"/mediboard/index.php?m={mod}",
            200,
            _ri(rng, 300, 2500),
            REFERER_HOME,
            mod,
            act,
            rng.uniform(0.15, 0.6),
        )

    def _report(self, s: UiSession, t: float, long: bool) -> Request:
        rng = self.rng
        day = local_date(int(t))
        if rng.random() < 0.5:
            mod, act = "dPstats", "vw_hospitalisation"
            target = (
                f"/mediboard/index.php?m=dPstats&tab=vw_hospitalisation&date_min={day[:8]}01&date_max={day}&service_id="
            )
        else:
            mod, act = "dPpmsi", "vw_dossier_pmsi"
            target = f"/mediboard/index.php?m=dPpmsi&tab=vw_dossier_pmsi&date={day}"
        dur = rng.uniform(10.5, 70.0) if long else rng.uniform(0.4, 4.0)
        queries = []
        n = _ri(rng, 4, 12)
        for k in range(n):
            at = 0.05 + (dur * 0.9) * k / n
            queries.append(DbQuery(at, _report_sql(rng, day), duration=0.002))
        if long:
            q = queries[n // 2]
            q.duration = dur * rng.uniform(0.5, 0.8)
            q.rows_sent = _ri(rng, 200, 40000)
            q.rows_examined = q.rows_sent * _ri(rng, 20, 90)
            q.bytes_sent = q.rows_sent * _ri(rng, 60, 200)
            for later in queries[n // 2 + 1 :]:
                later.at = q.at + q.duration + 0.01 + (later.at - q.at) * 0.1
        r = self._req(
            s,
            t,
            "GET",
            target,
            200,
            _ri(rng, 30000, 900000),
            REFERER_HOME,
            mod,
            act,
            dur,
        )
        r.db02 = queries
        r.sql_count = n + 3
        if long:
            s.touch(t)
            get = dict(part.split("=", 1) for part in target.split("?", 1)[1].split("&"))
            self.mb.long_request(t, dur, s.user_id, mod, act, s.session_id, get, [], queries[n // 2].sql)
            self.mb.log_app(
                t + dur,
                "WARNING",
                "Long request",
                {"module": mod, "action": act, "duration": round(dur, 1)},
                s.user_id,
                s.session_id,
            )
        return r

    # ------------------------------------------------------------------ always-on noise
    def _noise(self, h0: float, h1: float) -> list[Request]:
        rng = self.rng
        out: list[Request] = []
        tm = local_fields(h0)
        minute = h0
        while minute < h1:
            # mon01 probe, straight to app01
            out.append(
                Request(
                    t=minute + 3.2 + rng.random() * 0.4,
                    dur=rng.uniform(0.015, 0.03),
                    method="GET",
                    target="/mediboard/status.php",
                    status=200,
                    size=512,
                    referer=None,
                    ua=UA_MON,
                    peer="10.10.0.9",
                    proxied=False,
                    module="system",
                    action="status",
                    bot=1,
                    sql_count=1,
                )
            )
            # cron from localhost
            out.append(
                Request(
                    t=minute + 0.6 + rng.random() * 0.3,
                    dur=rng.uniform(0.05, 0.4),
                    method="GET",
                    target="/mediboard/index.php?m=system&a=ajax_cronjob_run&suppressHeaders=1",
                    status=200,
                    size=_ri(rng, 60, 200),
                    referer=None,
                    ua=UA_CRON,
                    peer="127.0.0.1",
                    proxied=False,
                    module="system",
                    action="ajax_cronjob_run",
                    bot=1,
                    sql_count=4,
                )
            )
            minute += 60
        if 7 <= tm.tm_hour < 20:
            t = h0 + rng.uniform(0, 20)
            while t < h1:
                out.append(
                    Request(
                        t=t,
                        dur=rng.uniform(0.08, 0.3),
                        method="POST",
                        target="/mediboard/index.php?m=hl7&a=ajax_receive_message&suppressHeaders=1",
                        status=200,
                        size=_ri(rng, 160, 220),
                        referer=None,
                        ua=UA_HL7,
                        peer="10.20.0.30",
                        module="hl7",
                        action="ajax_receive_message",
                        bot=1,
                        user_id=self.c.by_login["bot.hl7"].user_id,
                        sql_count=9,
                    )
                )
                t += rng.uniform(14, 26)
        if tm.tm_hour == 5:
            day = local_date(int(h0))
            t = h0 + 1800 + rng.uniform(0, 20)
            for what in ("occupation", "entrees", "sorties", "dms", "urgences", "bloc"):
                target = (
                    f"/mediboard/index.php?login=bot.stats:St4ts2023&m=dPstats&a=ajax_export_stats"
                    f"&type={what}&date={day}&suppressHeaders=1"
                )
                out.append(
                    Request(
                        t=t,
                        dur=rng.uniform(0.8, 3.0),
                        method="GET",
                        target=target,
                        status=200,
                        size=_ri(rng, 4000, 30000),
                        referer=None,
                        ua=UA_STATS,
                        peer="10.20.0.40",
                        module="dPstats",
                        action="ajax_export_stats",
                        bot=1,
                        user_id=self.c.by_login["bot.stats"].user_id,
                    )
                )
                t += rng.uniform(3, 6)
        if tm.tm_hour == 9:
            # the laboratory interface searches through the REST API and sends UTF-8
            for k, nom in enumerate(("L%C3%A9v%C3%AAque", "N%27Guessan", "Dupr%C3%A9-L%C3%A9ger")):
                out.append(
                    Request(
                        t=h0 + 300 + k * 1100 + rng.uniform(0, 90),
                        dur=rng.uniform(0.08, 0.25),
                        method="GET",
                        target=f"/mediboard/api/dossierpatient/patients?nom={nom}&limit=20",
                        status=200,
                        size=_ri(rng, 900, 9000),
                        referer=None,
                        ua=UA_LAB,
                        peer="10.20.0.31",
                        module="dPpatients",
                        action="api_patients_list",
                        bot=1,
                        user_id=self.c.by_login["bot.hl7"].user_id,
                    )
                )
        if tm.tm_hour == 10:
            # the radiology viewer sends raw latin-1 bytes in its search URLs
            pc = "10.20.10.10"
            for k, nom in enumerate(("Bénard", "Lévêque")):
                out.append(
                    Request(
                        t=h0 + 600 + k * 1500 + rng.uniform(0, 60),
                        dur=rng.uniform(0.05, 0.2),
                        method="GET",
                        target=f"/mediboard/index.php?m=dPpatients&a=ajax_search_patient&nom={nom}",
                        status=200,
                        size=_ri(rng, 2000, 6000),
                        referer=REFERER_HOME,
                        ua=self.c.pc_ua.get(pc),
                        peer=pc,
                        module="dPpatients",
                        action="ajax_search_patient",
                    )
                )
        return out

    def _errors(self, out: list[Request], h0: float) -> None:
        """Rare PHP warnings, and a daily fatal error with a multi-line stack trace."""
        rng = self.rng
        per_request = min(0.2, 0.0004 / max(self.scale, 0.002))
        for r in out:
            if r.module in ("soins", "dPhospi") and rng.random() < per_request:
                r.errors = [(r.dur * 0.5, "proxy_fcgi:error", _php_warning(rng))]
        if local_fields(h0).tm_hour == 10:
            victims = [r for r in out if r.module == "dPcabinet" and r.status == 200]
            if victims:
                r = _pick(rng, victims)
                r.status, r.size = 500, 0
                r.errors = [(r.dur, "proxy_fcgi:error", _php_fatal(rng))]


def _slow01_sql(rng: random.Random) -> str:
    return _pick(
        rng,
        [
            "SELECT `sejour`.* FROM `sejour` WHERE `sejour`.`group_id` = '1' AND `sejour`.`sortie` >= "
            "'2024-01-01 00:00:00' ORDER BY `sejour`.`entree` DESC",
            "SELECT `consultation`.* FROM `consultation` LEFT JOIN `plageconsult` ON "
            "`plageconsult`.`plageconsult_id` = `consultation`.`plageconsult_id` WHERE `plageconsult`.`date` "
            "BETWEEN '2024-09-01' AND '2024-10-31' AND `consultation`.`annule` = '0'",
            "SELECT COUNT(*) FROM `user_log` WHERE `object_class` = 'CPrescriptionLineMedicament' AND `date` > "
            "'2024-10-01 00:00:00'",
            "SELECT `patients`.`patient_id`, `patients`.`nom`, `patients`.`prenom` FROM `patients` WHERE "
            "`patients`.`nom` LIKE 'Lévêque%' OR `patients`.`nom_jeune_fille` LIKE 'Lévêque%'",
        ],
    )


def _report_sql(rng: random.Random, day: str) -> str:
    month = day[:8] + "01"
    return _pick(
        rng,
        [
            "SELECT sejour.sejour_id, sejour.entree, sejour.sortie, sejour.praticien_id\nFROM sejour\n"
            f"WHERE sejour.group_id = '1'\n  AND sejour.sortie BETWEEN '{month} 00:00:00' AND '{day} 23:59:59'",
            f"SELECT COUNT(*) AS total FROM sejour WHERE sejour.entree >= '{month} 00:00:00' AND sejour.annule = '0'",
            "SELECT service.nom, COUNT(affectation.affectation_id)\nFROM affectation\n"
            "LEFT JOIN lit ON lit.lit_id = affectation.lit_id\nLEFT JOIN chambre ON chambre.chambre_id = lit.chambre_id\n"
            f"LEFT JOIN service ON service.service_id = chambre.service_id\nWHERE affectation.entree <= '{day} 23:59:59'\n"
            "GROUP BY service.service_id",
            "SELECT patients.nom, patients.prenom, sejour.entree FROM patients INNER JOIN sejour ON "
            f"sejour.patient_id = patients.patient_id WHERE patients.nom LIKE 'Bénard%' AND sejour.entree > '{month}'",
            f"SELECT rss.* FROM rss WHERE rss.date_sortie BETWEEN '{month}' AND '{day}'",
        ],
    )


def _php_warning(rng: random.Random) -> str:
    script, line = _pick(
        rng,
        [
            ("modules/soins/vw_dossier_sejour.php", 88),
            ("modules/dPhospi/vw_idx_sejour.php", 142),
        ],
    )
    return (
        f'PHP message: PHP Warning:  Undefined array key "affectation_id" in /var/www/mediboard/{script} on line {line}'
    )


def _php_fatal(rng: random.Random) -> str:
    return (
        "PHP message: PHP Fatal error:  Uncaught Error: Call to a member function loadRefPatient() on null "
        "in /var/www/mediboard/modules/dPcabinet/classes/CConsultation.php:1544\n"
        "Stack trace:\n"
        "#0 /var/www/mediboard/modules/dPcabinet/ajax_full_consult.php(57): CConsultation->loadRefsFwd()\n"
        "#1 /var/www/mediboard/includes/mb_functions.php(412): require('...')\n"
        "#2 /var/www/mediboard/index.php(203): CApp->run()\n"
        "#3 {main}\n"
        "  thrown in /var/www/mediboard/modules/dPcabinet/classes/CConsultation.php on line 1544"
    )


def week_bounds() -> tuple[float, float]:
    """Start (Mon 21 Oct 00:00 Paris) and end (Mon 28 Oct 12:05 Paris) of the evidence."""
    return paris(2024, 10, 21, 0, 0, 0), paris(2024, 10, 28, 12, 5, 0)

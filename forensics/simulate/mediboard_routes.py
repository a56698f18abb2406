"""The routes to an account, written the way Mediboard and its stack record them.

The routes are shared with the generic application (``routes.py``); this module says how
each step looks on a Mediboard deployment (mediboard-logging reference):

* a failed login is a POST to ``index.php`` answered 401 and a ``user_authentication_error``
  row (``user_id`` NULL when the name is not an account); the lockout is per account (five
  failures), so a patient guesser stays at four tries an hour;
* a login is the form, the POST and a ``user_authentication`` row (``standard``; screen size
  NULL for a script), and an application.log line;
* a listing goes through the REST API (``/api/dossierpatient/patients?offset=&limit=``) with
  ``Authorization: Basic`` (the account's password) or, for an integration, its
  ``X-OXAPI-KEY`` token: one aggregated ``user_authentication`` row per user, method and day,
  keeping only the day's first address; the replica answers the SQL;
* a session cookie replayed from elsewhere leaves no login: it exports through the owner's
  session (the CSV exporter, ``long_request_log`` with the owner's session id) from the
  attacker's address, which only the web logs show;
* a record read is ``vw_full_patients`` and a ``log_access_medical_data`` row (the user, the
  hour, the patient; no address);
* a right granted is a ``CPermModule`` create (and a ``CUser`` store of ``user_type``) in
  ``user_log`` with the client address; an account created is ``CUser``/``CMediusers``
  creates and a ``users`` row; a key is a ``CViewAccessToken`` create.

The week also carries the look-alikes of a Mediboard week that the sample case does not
have: a data manager who opens a hundred and fifty files every morning, a DHCP change in
the middle of an evening session from home, a billing integration polling with its token,
and IT creating a new hire's account (used the next days from a ward).
"""

from __future__ import annotations

import calendar
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from .lookalikes import EXPORT_TAB, HOME, _r, in_list_sql, selection_sql
from .mediboard import Mediboard, UiSession
from .model import UA_EDGE, Clinic, Patients, User
from .names import FIRST_F, FIRST_M, LAST, login_of
from .routes import ATTACK_UAS, ROUTES, accounts
from .traffic import DbQuery, Request

SCRIPT_PREFIXES = ("python-", "Go-http-client", "Java/", "curl/", "okhttp", "Wget")
INTEGRATION_LOGIN = "bot.facturation"
INTEGRATION_ID = 1380
INTEGRATION_IP = "10.20.0.50"
INTEGRATION_UA = "Java/21.0.4"
NEW_HIRE_ID = 1378
BACKDOOR_ROUTE_ID = 1379
BACKDOOR_ROUTE_LOGIN = "adm.maintenance"
DHCP_NEW_IP = "198.51.100.163"
#: accounts of the sample case's look-alikes and attack: no route picks them as its victim
LOOKALIKE_ACCOUNTS = {"adm.interop", "adm.si", "adm.pharma", "m.lefevre", "h.benard", "s.garnier", "t.lambert"}
API_LIST = "/mediboard/api/dossierpatient/patients"


def _is_script(ua: str) -> bool:
    return ua.startswith(SCRIPT_PREFIXES)


@dataclass
class RouteWeek:
    """What the routes and the extra look-alikes add to the Mediboard week."""

    requests: list[Request] = field(default_factory=list)
    reserved: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    truth: dict = field(default_factory=dict)
    lookalikes: dict[str, dict] = field(default_factory=dict)
    attack_sessions: set[str] = field(default_factory=set)
    created: list[User] = field(default_factory=list)
    created_at: dict[str, float] = field(default_factory=dict)
    benign_ips: set[str] = field(default_factory=set)


class MediboardApp:
    """:class:`~forensics.simulate.routes.Application` for Mediboard (Apache, its tables, MariaDB)."""

    attack_uas = ATTACK_UAS
    page = 50
    key_reuse_hour = 5.0  # before the integration's first call of the day: the day's row keeps that address
    stuffing_pool = tuple(f"203.0.113.{100 + k}" for k in range(24))

    def __init__(self, clinic: Clinic, patients: Patients, mb: Mediboard, t0: float, rng: random.Random) -> None:
        self.c, self.p, self.mb, self.t0 = clinic, patients, mb, t0
        self.rng = rng
        self.week = RouteWeek()
        self.truth = self.week.truth
        self.sessions: dict[str, UiSession] = {}
        self.fails: dict[str, list[float]] = {}
        self.spans: dict[str, list[float]] = {}
        self.tag: str | None = "attack"
        self.perm_id = 41_950
        self.token_id = 3_310
        self.active = patients.recent(6000)
        self.older = patients.ids[: len(patients.ids) // 2]

    # ------------------------------------------------------------------ people
    def victim(self, role: str = "clerk") -> str:
        """A physician with a desk of their own that no look-alike and no earlier route uses."""
        used = set(accounts(self)) | LOOKALIKE_ACCOUNTS | {v.get("account") for v in self.week.lookalikes.values()}
        used |= {u.login for u in self.c.users if u.password_expired}
        pool = [u for u in self.c.physicians if u.office_ip and u.login not in used and not u.home_ip]
        return pool[(len(accounts(self)) * 7 + 3) % len(pool)].login

    def people(self) -> list[str]:
        return [u.login for u in self.c.users if u.active and u.role not in ("robot", "former")]

    def admin(self) -> str:
        return "adm.si"

    def integration(self) -> str:
        return INTEGRATION_LOGIN

    def usual_client(self, name: str) -> tuple[str, str]:
        u = self.c.by_login[name]
        ip = u.office_ip or self.c.ward_pcs[u.ward][0]
        return ip, self.c.pc_ua[ip]

    def when(self, day: int, hour: float) -> float:
        return self.t0 + day * 86400 + hour * 3600 + self.rng.uniform(0, 900)

    def harvested(self, n: int) -> list[str]:
        """Names built from a staff list found elsewhere with the clinic's login convention (none is an account)."""
        rng, out = self.rng, []
        while len(out) < n:
            name = login_of(rng.choice(FIRST_F + FIRST_M), rng.choice(LAST))
            if name not in self.c.by_login and name not in out:
                out.append(name)
        return out

    def stuffed_names(self) -> list[str]:
        return ["marc.dupont", "julie.morel", "sam.petit", "lea.roy", "tom.lucas"]

    def guess_gaps(self) -> Iterator[float]:
        """Four tries, then a wait longer than the 60-minute lock: never five failures in a row."""
        for k in range(24):
            yield self.rng.uniform(3700, 3900) if k and k % 4 == 0 else self.rng.uniform(5, 15)

    # ------------------------------------------------------------------ requests
    def _uid(self, name: str) -> int | None:
        u = self.c.by_login.get(name)
        return u.user_id if u else None

    def _add(
        self,
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
    ) -> Request:
        r = _r(t, dur, method, target, status, size, ref, ua, ip, module, action, user_id, self.tag)
        self.week.requests.append(r)
        if user_id is not None and self.tag == "attack":
            login = self.c.by_id[user_id].login
            span = self.spans.setdefault(login, [t, t])
            span[0], span[1] = min(span[0], t), max(span[1], t + dur)
        return r

    def login_fail(self, t: float, name: str, ip: str, ua: str) -> None:
        dur = self.rng.uniform(0.16, 0.21)
        self._add(t, dur, "POST", "/mediboard/index.php", 401, self.rng.randint(5990, 6060), HOME, ua, ip,
                  "system", "login", None)  # fmt: skip
        self.mb.login_fail(t + dur * 0.8, name, ip)

    def login(self, t: float, name: str, ip: str, ua: str) -> str:
        uid = self._uid(name)
        assert uid is not None, name
        self._add(t - self.rng.uniform(4, 12), 0.05, "GET", "/mediboard/index.php", 200, 5731, None, ua, ip,
                  "system", "login", None)  # fmt: skip
        self._add(t, 0.4, "POST", "/mediboard/index.php", 200, self.rng.randint(46000, 52000), HOME, ua, ip,
                  "system", "login", uid)  # fmt: skip
        screen = None if _is_script(ua) else (1920, 1080)
        s = UiSession(uid, t + 0.35, ip, ua, self.mb.new_session_id(), screen, last=t + 0.35)
        self.mb.sessions.append(s)
        self.sessions[s.session_id] = s
        if self.tag == "attack":
            self.week.attack_sessions.add(s.session_id)
        self.mb.log_app(t + 0.4, "INFO", "User authenticated", {"login": name, "method": "standard"}, uid,
                        s.session_id)  # fmt: skip
        return s.session_id

    def logout(self, t: float, name: str, ip: str, ua: str, sid: str) -> None:
        self._add(t, 0.04, "GET", "/mediboard/index.php?logout=-1", 302, 0, HOME, ua, ip, "system", "logout",
                  self._uid(name))  # fmt: skip
        self.sessions[sid].touch(t)

    def owner_session(self, name: str, start: float, actions: int) -> tuple[float, str]:
        """The owner's own working session at their desk (not the attacker's)."""
        tag, self.tag = self.tag, None
        ip, ua = self.usual_client(name)
        sid = self.login(start, name, ip, ua)
        t = start
        for _ in range(actions):
            t += self.rng.uniform(15, 140)
            self._view(t, name, ip, ua, sid)
        t += self.rng.uniform(5, 60)
        self.logout(t, name, ip, ua, sid)
        self.tag = tag
        return t, sid

    def _view(self, t: float, name: str, ip: str, ua: str, sid: str) -> None:
        """One ordinary request of a working session."""
        x = self.rng.random()
        if x < 0.5:
            self.read(t, name, ip, ua, sid, self.rng.choice(self.active))
            return
        uid = self._uid(name)
        if x < 0.75:
            ward = self.c.by_login[name].ward + 1
            self._add(t, self.rng.uniform(0.3, 1.2), "GET",
                      f"/mediboard/index.php?m=dPhospi&tab=vw_idx_sejour&service_id={ward}", 200,
                      self.rng.randint(40000, 90000), HOME, ua, ip, "dPhospi", "vw_idx_sejour", uid)  # fmt: skip
        else:
            self._add(t, 0.02, "GET", "/mediboard/index.php?m=messagerie&a=ajax_count_unread&ajax=1", 200,
                      self.rng.randint(40, 90), HOME, ua, ip, "messagerie", "ajax_count_unread", uid)  # fmt: skip
        self.sessions[sid].touch(t)

    def list_pages(
        self, t: float, name: str, ip: str, ua: str, sid: str | None, pages: int, limit: int, style: str
    ) -> tuple[float, float, int]:
        """Pages of the patient API (Basic with the password, or the integration's token); through a
        replayed session cookie, CSV exports instead (the API does not take the cookie)."""
        if sid is not None and self.sessions[sid].ip != ip:
            return self._replayed_exports(t, name, ip, ua, sid, max(1, pages // 3))
        uid = self._uid(name)
        assert uid is not None
        method = "token" if sid is None else "basic"
        ids = self.p.ids
        covered: set[int] = set()
        first = t
        for k in range(pages):
            t += self.rng.uniform(0.8, 3.0)
            first = t if k == 0 else first
            offset = k * limit
            page = ids[offset : offset + limit]
            covered.update(page)
            size = 180 + sum(self.p.item_len[self.p.index[p]] + 1 for p in page)
            r = self._add(t, self.rng.uniform(0.3, 0.7), "GET", f"{API_LIST}?offset={offset}&limit={limit}", 200,
                          size, None, ua, ip, "dPpatients", "api_patients_list", uid)  # fmt: skip
            r.db02 = [
                DbQuery(0.05, "SELECT COUNT(*) FROM `patients`", duration=0.03, rows_sent=1),
                DbQuery(0.09, f"SELECT `patients`.* FROM `patients` ORDER BY `patients`.`patient_id` "
                        f"LIMIT {offset}, {limit}", duration=0.2, rows_sent=len(page),
                        rows_examined=offset + len(page)),
            ]  # fmt: skip
            r.extra["slave"] = True
            r.transfer = self.rng.uniform(0.1, 0.4)
            self.mb.api_call(t + 0.01, uid, ip, ua, method)
        return first, t, len(covered)

    def _replayed_exports(
        self, t: float, name: str, ip: str, ua: str, sid: str, chunks: int
    ) -> tuple[float, float, int]:
        """The CSV exporter through the owner's session, one month at a time, most recent first."""
        uid = self._uid(name)
        s = self.sessions[sid]
        first = t
        self._add(t, 0.24, "GET", "/mediboard/index.php?m=dPpatients&tab=vw_export_patients_csv", 200, 18230, HOME,
                  ua, ip, "dPpatients", "vw_export_patients_csv", uid)  # fmt: skip
        s.touch(t)
        practitioners = [str(u.user_id) for u in sorted(self.c.physicians, key=lambda u: u.user_id)]
        months = self.p.month_index()
        y, m = 2024, 9
        covered: set[int] = set()
        for _ in range(chunks):
            members = months.get((y, m), [])
            dmin = f"{y}-{m:02d}-01"
            dmax = f"{y}-{m:02d}-{calendar.monthrange(y, m)[1]:02d}"
            t += self.rng.uniform(20, 40)
            dur = 10.5 + len(members) / 400 + self.rng.uniform(0, 2)
            size = 1187 + sum(self.p.row_len[self.p.index[p]] for p in members)
            target = (f"/mediboard/index.php?m=dPpatients&raw=ajax_export_patients_csv&date_min={dmin}"
                      f"&date_max={dmax}&patient_id=&all_prats=on")  # fmt: skip
            r = self._add(t, dur, "GET", target, 200, size, EXPORT_TAB, ua, ip, "dPpatients",
                          "ajax_export_patients_csv", uid)  # fmt: skip
            sej, cons = selection_sql(practitioners, dmin, dmax)
            q1, q2 = self.rng.uniform(0.4, 2.0), self.rng.uniform(0.3, 1.5)
            qd = max(2.1, (dur - q1 - q2) * 0.55)
            r.db02 = [
                DbQuery(0.02, "SET NAMES latin1"),
                DbQuery(0.05, sej, duration=q1, rows_sent=int(len(members) * 0.7), rows_examined=2_210_488),
                DbQuery(0.1 + q1, cons, duration=q2, rows_sent=int(len(members) * 0.5), rows_examined=1_630_112),
                DbQuery(0.2 + q1 + q2, in_list_sql(members), duration=qd, rows_sent=len(members),
                        rows_examined=len(members), bytes_sent=int(size * 0.98)),
            ]  # fmt: skip
            r.extra["slave"] = True
            r.sql_count = len(r.db02) + 8
            r.transfer = size / 3_000_000
            s.touch(t)
            get = {"m": "dPpatients", "raw": "ajax_export_patients_csv", "date_min": dmin, "date_max": dmax,
                   "patient_id": "", "all_prats": "on"}  # fmt: skip
            self.mb.long_request(t, dur, uid, "dPpatients", "ajax_export_patients_csv", sid, get, [], sej)
            self.mb.log_app(t + dur, "WARNING", "Long request",
                            {"module": "dPpatients", "action": "ajax_export_patients_csv", "duration": round(dur, 1)},
                            uid, sid)  # fmt: skip
            covered.update(members)
            t += dur
            y, m = (y, m - 1) if m > 1 else (y - 1, 12)
        return first, t, len(covered)

    def records(self, n: int) -> list[int]:
        return self.rng.sample(self.p.ids, n)

    def outside_habits(self, name: str, n: int) -> list[int]:
        """Old records, of patients nobody in the clinic has seen for years."""
        return self.rng.sample(self.older, n)

    def read(self, t: float, name: str, ip: str, ua: str, sid: str, record: int) -> None:
        uid = self._uid(name)
        assert uid is not None
        self._add(t, self.rng.uniform(0.4, 1.6), "GET",
                  f"/mediboard/index.php?m=dPpatients&tab=vw_full_patients&patient_id={record}", 200,
                  self.rng.randint(60000, 160000), HOME, ua, ip, "dPpatients", "vw_full_patients", uid)  # fmt: skip
        self.mb.access_medical(t, uid, record, "CPatient")
        self.sessions[sid].touch(t)

    def _user_log(self, t: float, actor: str, cls: str, oid: int, kind: str, fields: str | None, ip: str,
                  extra: dict | None = None) -> None:  # fmt: skip
        uid = self._uid(actor)
        assert uid is not None
        self.mb.user_log(t, uid, cls, oid, kind, fields, ip, extra)

    def grant_admin(self, t: float, actor: str, ip: str, ua: str, sid: str, target: str) -> None:
        """Rights on the admin module (``CPermModule``), and the Administrator type for an existing user."""
        tid, uid = self._uid(target), self._uid(actor)
        assert tid is not None
        ref = f"{HOME}?m=admin&tab=edit_perms&user_id={tid}"
        self._add(t, 0.6, "GET", f"/mediboard/index.php?m=admin&tab=edit_perms&user_id={tid}", 200, 45880, HOME, ua,
                  ip, "admin", "edit_perms", uid)  # fmt: skip
        for k, module in enumerate(("admin", "dPpatients")):
            tp = t + 8 + 6 * k
            self._add(tp, 0.19, "POST", "/mediboard/index.php?m=admin", 200, 1310 + k * 7, ref, ua, ip, "admin",
                      "do_perm_module_aed", uid)  # fmt: skip
            self.perm_id += 1
            self._user_log(tp + 0.1, actor, "CPermModule", self.perm_id, "create", None, ip,
                           {"user_id": str(tid), "mod_id": module, "permission": "2", "view": "2"})  # fmt: skip
        user = self.c.by_id[tid]
        if user.user_type != 1:
            tp = t + 22
            self._add(tp, 0.23, "POST", "/mediboard/index.php", 200, 1822, ref, ua, ip, "admin", "do_mediuser_aed",
                      uid)  # fmt: skip
            self._user_log(tp + 0.1, actor, "CUser", tid, "store", "user_type", ip,
                           {"user_type": str(user.user_type)})  # fmt: skip
            user.user_type = 1
        self.sessions[sid].touch(t + 22)

    def admin_list(self, t: float, actor: str, ip: str, ua: str, sid: str) -> None:
        uid = self._uid(actor)
        for k, (tab, size) in enumerate((("vw_edit_users", 91532), ("vw_user_authentication", 120388))):
            self._add(t + 9 * k, 0.5, "GET", f"/mediboard/index.php?m=admin&tab={tab}", 200, size, HOME, ua, ip,
                      "admin", tab, uid)  # fmt: skip
            self.sessions[sid].touch(t + 9 * k)

    def _new_user(self, user_id: int, login: str, first: str, last: str, role: str, user_type: int) -> User:
        u = User(user_id, login, first, last, user_type, role, True)
        self.c.users.append(u)
        self.c.by_login[login] = u
        self.c.by_id[user_id] = u
        self.week.created.append(u)
        return u

    def create_account(self, t: float, actor: str, ip: str, ua: str, sid: str) -> str:
        return self._create(t, actor, ip, ua, sid, BACKDOOR_ROUTE_ID, BACKDOOR_ROUTE_LOGIN, "ADM", "Maintenance",
                            "tech", 14)  # fmt: skip

    def _create(self, t: float, actor: str, ip: str, ua: str, sid: str, new_id: int, login: str, first: str,
                last: str, role: str, user_type: int) -> str:  # fmt: skip
        uid = self._uid(actor)
        self._add(t - 12, 0.5, "GET", "/mediboard/index.php?m=admin&tab=vw_edit_users&user_id=0", 200, 38211, HOME,
                  ua, ip, "admin", "vw_edit_users", uid)  # fmt: skip
        self._add(t, 0.23, "POST", "/mediboard/index.php", 200, 1822,
                  f"{HOME}?m=admin&tab=vw_edit_users&user_id=0", ua, ip, "admin", "do_mediuser_aed", uid)  # fmt: skip
        self._new_user(new_id, login, first, last, role, user_type)
        self.week.created_at[login] = t
        self._user_log(t + 0.10, actor, "CUser", new_id, "create", None, ip)
        self._user_log(t + 0.12, actor, "CMediusers", new_id, "create", None, ip)
        self._user_log(t + 0.15, actor, "CUser", new_id, "store", "user_password", ip, {"user_password": ""})
        self.sessions[sid].touch(t)
        return login

    def create_key(self, t: float, actor: str, ip: str, ua: str, sid: str, owner: str) -> str:
        """A view-access token for ``owner`` (``ajax_generate_token``)."""
        oid, uid = self._uid(owner), self._uid(actor)
        self._add(t, 0.3, "POST", "/mediboard/index.php?m=admin&a=ajax_generate_token", 200, 640,
                  f"{HOME}?m=admin&tab=vw_edit_users&user_id={oid}", ua, ip, "admin", "ajax_generate_token",
                  uid)  # fmt: skip
        self.token_id += 1
        self._user_log(t + 0.1, actor, "CViewAccessToken", self.token_id, "create", None, ip,
                       {"user_id": str(oid), "params": "m=dPpatients&tab=vw_idx_patients"})  # fmt: skip
        self.sessions[sid].touch(t)
        return f"token:{self.token_id}"


# ---------------------------------------------------------------------- the week's extra look-alikes


def _lookalikes(app: MediboardApp) -> None:
    """A heavy but legitimate reader, a DHCP change mid-session, a billing integration with its
    token, IT creating a new hire's account (used from a ward the next days)."""
    app.tag = None
    c, rng, week = app.c, app.rng, app.week
    # the billing integration exists since 2022 and polls every 15 minutes on weekdays
    integ = app._new_user(INTEGRATION_ID, INTEGRATION_LOGIN, "BOT", "Facturation", "robot", 1)
    integ.is_robot = 1
    week.created.remove(integ)
    for day in range(5):
        for q in range(6 * 4, 22 * 4):
            t = app.t0 + day * 86400 + q * 900 + rng.uniform(0, 20)
            r = app._add(t, rng.uniform(0.1, 0.3), "GET", f"{API_LIST}?offset=0&limit=50&updated_since=-15min", 200,
                         rng.randint(2000, 9000), None, INTEGRATION_UA, INTEGRATION_IP, "dPpatients",
                         "api_patients_list", INTEGRATION_ID)  # fmt: skip
            r.bot = 1
            app.mb.api_call(t + 0.01, INTEGRATION_ID, INTEGRATION_IP, INTEGRATION_UA, "token")
    week.benign_ips.add(INTEGRATION_IP)
    week.lookalikes["integration"] = {
        "account": INTEGRATION_LOGIN,
        "ip": INTEGRATION_IP,
        "time": app.t0 + 6 * 3600,
        "what": "billing integration polling the patient API with its token every 15 minutes",
    }

    # the data manager: a hundred and fifty files every weekday morning, from the DIM office
    reader = next(u for u in c.admins if u.login not in LOOKALIKE_ACCOUNTS and not u.password_expired and u.office_ip)
    ip, ua = app.usual_client(reader.login)
    for day in range(5):
        t = app.t0 + day * 86400 + 8.5 * 3600 + rng.uniform(0, 1200)
        week.reserved.setdefault(reader.login, []).append((t - 12 * 3600, t + 4 * 3600))
        sid = app.login(t, reader.login, ip, ua)
        for pid in rng.sample(app.p.ids, 150):
            t += rng.uniform(15, 50)
            app.read(t, reader.login, ip, ua, sid, pid)
        app.logout(t + 20, reader.login, ip, ua, sid)
    week.lookalikes["heavy_reader"] = {
        "account": reader.login,
        "ip": ip,
        "time": app.t0 + 8.5 * 3600,
        "what": "data manager opening 150 patient files every weekday morning",
    }

    # a DHCP lease renewed in the middle of an evening session from home: same browser, and the
    # old address is not used again in that session
    dhcp = next(u for u in c.physicians if u.home_ip and u.login not in LOOKALIKE_ACCOUNTS)
    t = app.t0 + 86400 + 20.5 * 3600 + rng.uniform(0, 600)
    week.reserved.setdefault(dhcp.login, []).append((t - 12 * 3600, t + 3 * 3600))
    ua = dhcp.home_ua or UA_EDGE
    sid = app.login(t, dhcp.login, dhcp.home_ip or "", ua)
    ip = dhcp.home_ip or ""
    for k in range(30):
        t += rng.uniform(20, 120)
        if k == 15:
            ip = DHCP_NEW_IP
        app._view(t, dhcp.login, ip, ua, sid)
    app.logout(t + 30, dhcp.login, ip, ua, sid)
    week.benign_ips.add(DHCP_NEW_IP)
    week.lookalikes["dhcp_change"] = {
        "account": dhcp.login,
        "ip": f"{dhcp.home_ip},{DHCP_NEW_IP}",
        "time": t,
        "what": "new DHCP lease in the middle of an evening session from home (same browser)",
    }

    # IT (adm.si) at its desk on Tuesday: creates a new hire's account, who starts on Wednesday
    adm_ip = "10.20.5.41"
    adm_ua = c.pc_ua[adm_ip]
    t = app.t0 + 86400 + 10 * 3600 + rng.uniform(0, 900)
    sid = app.login(t, "adm.si", adm_ip, adm_ua)
    app.admin_list(t + 30, "adm.si", adm_ip, adm_ua, sid)
    taken = set(c.by_login)
    while True:
        first, last = rng.choice(FIRST_F), rng.choice(LAST)
        hire = login_of(first, last)
        if hire not in taken:
            break
    app._create(t + 90, "adm.si", adm_ip, adm_ua, sid, NEW_HIRE_ID, hire, first, last, "nurse", 7)
    nurse = c.by_login[hire]
    nurse.ward = c.nurses[0].ward
    app.tag = None
    for k, module in enumerate(("soins", "dPhospi")):
        app.perm_id += 1
        app._user_log(t + 130 + k * 6, "adm.si", "CPermModule", app.perm_id, "create", None, adm_ip,
                      {"user_id": str(NEW_HIRE_ID), "mod_id": module, "permission": "2", "view": "2"})  # fmt: skip
    app.logout(t + 200, "adm.si", adm_ip, adm_ua, sid)
    for day in (2, 3, 4):
        app.owner_session(hire, app.t0 + day * 86400 + 9 * 3600 + rng.uniform(0, 600), 12)
    week.lookalikes["new_hire_created"] = {
        "account": hire,
        "ip": adm_ip,
        "time": t + 90,
        "what": "IT (adm.si) creates a new nurse's account, used from a ward from the next day",
    }
    week.lookalikes["monitoring"] = {
        "account": None,
        "ip": "10.10.0.9",
        "time": app.t0,
        "what": "monitoring probe (curl) every minute",
    }
    week.lookalikes["nightly_job"] = {
        "account": "bot.stats",
        "ip": "10.20.0.40",
        "time": app.t0 + 5.5 * 3600,
        "what": "nightly statistics export with a script user agent",
    }
    week.benign_ips |= {adm_ip, "10.10.0.9", "10.20.0.40", "10.20.0.30", "10.20.0.31", "127.0.0.1"}


def build_route_week(
    clinic: Clinic, patients: Patients, mb: Mediboard, seed: int, t0: float, routes: tuple[str, ...]
) -> RouteWeek:
    """Play the look-alikes, then each named route, and reserve the accounts they use."""
    unknown = [r for r in routes if r not in ROUTES]
    if unknown:
        raise ValueError(f"unknown scenario {unknown[0]!r} (known: none, sample, {', '.join(ROUTES)})")
    app = MediboardApp(clinic, patients, mb, t0, random.Random(f"{seed}:routes"))
    _lookalikes(app)
    app.tag = "attack"
    for name in routes:
        ROUTES[name](app)
    week = app.week
    for login, (lo, hi) in app.spans.items():
        if login != INTEGRATION_LOGIN:
            week.reserved.setdefault(login, []).append((lo - 12 * 3600, hi + 3600))
    return week


def users_row(u: User, created: str) -> list[object]:
    """A ``users`` dump row for an account added during or just before the week."""
    return [u.user_id, u.login, u.user_type, u.first, u.last, None if u.role == "robot" else f"{u.login}@clinique-exemple.fr",
            u.is_robot, 0, 0, None, created, 0, 0, 1]  # fmt: skip

"""Mediboard's own tables and application.log, filled as requests happen.

Rows keep their true time; auto-increment ids are assigned at the end in insertion-time order,
and every DATETIME is rendered from the app01 clock (+3 s), naive local.
"""

from __future__ import annotations

import json
import random
import socket
from dataclasses import dataclass, field

from .catalog import MA_ID
from .clock import HOST_SKEW, local_date, local_hour_key, naive_local, naive_local_us
from .model import GROUP_ID, Clinic

APP = HOST_SKEW["app01"]
SESSION_LIFETIME = 3600
MSG_BAD = "Identifiant ou mot de passe incorrect"
MSG_LOCKED = "Compte bloqué : trop de tentatives de connexion"
MSG_EXPIRED = "Votre mot de passe a expiré, veuillez le changer"


def app_sec(t: float) -> int:
    return int(t + APP)


def dt(t: float) -> str:
    """Mediboard DATETIME of a true time: app01 clock, naive local."""
    return naive_local(app_sec(t))


@dataclass
class UiSession:
    user_id: int
    t_login: float
    ip: str
    ua: str
    session_id: str
    screen: tuple[int, int] | None
    method: str = "standard"
    last: float = 0.0
    nb: int = 0
    end: float = 0.0  # planned end (baseline) or logout time
    row_seq: int = 0

    def touch(self, t: float) -> None:
        self.last = max(self.last, t)
        self.nb += 1


@dataclass
class ApiRow:
    user_id: int
    t_first: float
    ip: str
    ua: str
    session_id: str
    last: float
    nb: int = 0
    method: str = "basic"


@dataclass
class Mediboard:
    clinic: Clinic
    rng: random.Random
    sessions: list[UiSession] = field(default_factory=list)
    api_rows: dict[tuple[int, str, str], ApiRow] = field(default_factory=dict)
    auth_errors: list[tuple[float, int | None, str, str, str, str, str]] = field(default_factory=list)
    user_log_rows: list[tuple[float, int, str, int, str, str | None, str, str | None]] = field(default_factory=list)
    lamd: dict[tuple[int, str, int, str], float] = field(default_factory=dict)
    long_rows: list[tuple] = field(default_factory=list)
    access: dict[tuple[int, str, int], list[float]] = field(default_factory=dict)
    datasource: dict[tuple[int, str, str, int], list[float]] = field(default_factory=dict)
    applog: list[tuple[float, str]] = field(default_factory=list)
    known_uas: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ logins
    def new_session_id(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def login_ok(
        self,
        t: float,
        user_id: int,
        ip: str,
        ua: str,
        screen: tuple[int, int] | None,
        session_id: str | None = None,
    ) -> UiSession:
        s = UiSession(user_id, t, ip, ua, session_id or self.new_session_id(), screen, last=t)
        self.sessions.append(s)
        login = self.clinic.by_id[user_id].login if user_id in self.clinic.by_id else str(user_id)
        self.log_app(
            t + 0.12,
            "INFO",
            "User authenticated",
            {"login": login, "method": "standard"},
            user_id,
            s.session_id,
        )
        return s

    def login_fail(
        self,
        t: float,
        login_value: str,
        ip: str,
        message: str = MSG_BAD,
        method: str = "standard",
    ) -> None:
        user = self.clinic.by_login.get(login_value)
        uid = user.user_id if user else None
        ident = f"{self.rng.getrandbits(64):016X}"
        self.auth_errors.append((t, uid, login_value, method, ident, ip, message))
        self.log_app(
            t + 0.08,
            "NOTICE",
            "Authentication failed",
            {"login": login_value, "reason": "Auth-failed-combination"},
            None,
            None,
        )

    def api_call(self, t: float, user_id: int, ip: str, ua: str, method: str = "basic") -> ApiRow:
        """Stateless API auth: one row per user, method (``basic``: password; ``token``: X-OXAPI-KEY)
        and (local) day; keeps the first IP and user agent of the day."""
        key = (user_id, local_date(app_sec(t)), method)
        row = self.api_rows.get(key)
        if row is None:
            sec = app_sec(t)
            usec = int((t + APP - int(t + APP)) * 1e6)
            sid = f"stateless{sec:08x}{usec:05x}{self.rng.random() * 10:.8f}"
            row = ApiRow(user_id, t, ip, ua, sid, t, method=method)
            self.api_rows[key] = row
        else:
            row.nb += 1
            if t < row.t_first:  # written out of time order: the row keeps the day's first call
                row.t_first, row.ip, row.ua = t, ip, ua
            row.last = max(row.last, t)
        return row

    # ------------------------------------------------------------------ object history and access
    def user_log(
        self,
        t: float,
        user_id: int,
        object_class: str,
        object_id: int,
        kind: str,
        fields: str | None,
        ip: str,
        extra: dict | None = None,
    ) -> None:
        ip_hex = "0x" + socket.inet_aton(ip).hex().upper()
        extra_s = json.dumps(extra, separators=(",", ":")) if extra is not None else None
        self.user_log_rows.append((t, user_id, object_class, object_id, kind, fields, ip_hex, extra_s))

    def access_medical(self, t: float, user_id: int, object_id: int, object_class: str) -> None:
        """INSERT IGNORE with datetime rounded to the hour (the 2 a.m. hours of 27 Oct merge)."""
        key = (user_id, local_hour_key(app_sec(t)), object_id, object_class)
        if key not in self.lamd:
            self.lamd[key] = t

    def long_request(
        self,
        t: float,
        dur: float,
        user_id: int | None,
        module: str,
        action: str,
        session_id: str | None,
        get: dict,
        post: list | dict,
        query_report: str | None = None,
    ) -> None:
        self.long_rows.append((t, dur, user_id, module, action, session_id, get, post, query_report))

    def record_hit(
        self,
        t: float,
        module: str,
        action: str,
        dur: float,
        size: int,
        bot: int,
        nb_sql: int,
        peak: int,
        status: int,
        slave: bool,
    ) -> None:
        ma = MA_ID.get((module, action))
        if ma is None:
            return
        period = local_hour_key(app_sec(t), 10)
        acc = self.access.get((ma, period, bot))
        if acc is None:
            acc = self.access[(ma, period, bot)] = [
                0,
                0.0,
                0.0,
                0.0,
                0.0,
                0,
                0,
                0,
                0,
                0,
                0.0,
                0.0,
            ]
        acc[0] += 1
        acc[1] += dur
        acc[2] += dur * 0.55
        acc[3] += dur * 0.25
        acc[4] += dur * 0.3
        acc[5] += nb_sql
        acc[6] = max(acc[6], peak)
        acc[7] += size
        acc[8] += 1 if status >= 500 else 0
        acc[9] += 0
        acc[10] += dur * 0.004
        acc[11] += dur * 0.002
        if slave:  # only requests that read the replica (reports, exports, API) are kept here
            ds = self.datasource.setdefault((ma, "slave", period, bot), [0, 0.0, 0])
            ds[0] += nb_sql
            ds[1] += dur * 0.6
            ds[2] += 1

    def log_app(
        self,
        t: float,
        level: str,
        message: str,
        context: dict,
        user_id: int | None,
        session: str | None,
    ) -> None:
        extra = {
            "user_id": str(user_id) if user_id is not None else None,
            "server_ip": "10.10.1.21",
            "session_id": session[:15] if session else None,
            "request_uid": f"{self.rng.getrandbits(52):013x}",
        }
        ctx = json.dumps(context, separators=(",", ":"))
        ext = json.dumps(extra, separators=(",", ":"))
        line = f"[{naive_local_us(t + APP)}] [{level}] {message} [context:{ctx}] [extra:{ext}]"
        self.applog.append((t, line))

    # ------------------------------------------------------------------ dumps
    def ua_ids(self) -> dict[str, int]:
        ids: dict[str, int] = {}
        for i, ua in enumerate(self.known_uas):
            ids[ua] = 9801 + i
        nxt = 9801 + len(self.known_uas)
        firsts = sorted(
            [(s.t_login, s.ua) for s in self.sessions] + [(r.t_first, r.ua) for r in self.api_rows.values()]
        )
        for _, ua in firsts:
            if ua not in ids:
                ids[ua] = nxt
                nxt += 1
        return ids

    def table_rows(self) -> dict[str, list[list[object]]]:
        """All dumped tables as lists of column values (None for NULL), ids assigned in time order."""
        ua_ids = self.ua_ids()
        tables: dict[str, list[list[object]]] = {}

        # user_authentication: UI sessions and aggregated API rows, ordered by creation time
        auth: list[tuple[float, int, list[object]]] = []
        for k, s in enumerate(self.sessions):
            last = max(s.last, s.t_login)
            auth.append(
                (
                    s.t_login,
                    k,
                    [
                        s.user_id,
                        None,
                        None,
                        s.method,
                        dt(s.t_login),
                        dt(last + SESSION_LIFETIME),
                        dt(last),
                        s.nb,
                        SESSION_LIFETIME,
                        s.ip,
                        s.session_id,
                        s.screen[0] if s.screen else None,
                        s.screen[1] if s.screen else None,
                        ua_ids[s.ua],
                    ],
                )
            )
        for k, r in enumerate(sorted(self.api_rows.values(), key=lambda r: r.t_first)):
            auth.append(
                (
                    r.t_first,
                    10**9 + k,
                    [
                        r.user_id,
                        None,
                        None,
                        r.method,
                        dt(r.t_first),
                        dt(r.last),
                        dt(r.last),
                        r.nb,
                        0,
                        r.ip,
                        r.session_id,
                        None,
                        None,
                        ua_ids[r.ua],
                    ],
                )
            )
        auth.sort(key=lambda e: (e[0], e[1]))
        tables["user_authentication"] = [[2_195_000 + i, *row] for i, (_, _, row) in enumerate(auth)]

        errs = sorted(enumerate(self.auth_errors), key=lambda e: (e[1][0], e[0]))
        tables["user_authentication_error"] = [
            [765_000 + i, uid, login, dt(t), method, ident, ip, msg]
            for i, (_, (t, uid, login, method, ident, ip, msg)) in enumerate(errs)
        ]

        ua_rows = []
        for ua, uid in sorted(ua_ids.items(), key=lambda e: e[1]):
            ua_rows.append([uid, ua, *describe_ua(ua)])
        tables["user_agent"] = ua_rows

        logs = sorted(enumerate(self.user_log_rows), key=lambda e: (e[1][0], e[0]))
        tables["user_log"] = [
            [98_700_000 + i, uid, dt(t), cls, oid, kind, fields, ip, extra]
            for i, (_, (t, uid, cls, oid, kind, fields, ip, extra)) in enumerate(logs)
        ]

        lamd = sorted(self.lamd.items(), key=lambda e: (e[1], e[0]))
        tables["log_access_medical_data"] = [
            [9_150_000 + i, uid, hour, GROUP_ID, None, oid, cls] for i, ((uid, hour, oid, cls), _) in enumerate(lamd)
        ]

        longs = sorted(enumerate(self.long_rows), key=lambda e: (e[1][0] + e[1][1], e[0]))
        rows = []
        for i, (_, (t, dur, uid, module, action, sid, get, post, report)) in enumerate(longs):
            rows.append(
                [
                    55_000 + i,
                    uid,
                    dt(t),
                    dt(t + dur),
                    f"{dur:.1f}",
                    "10.10.1.21",
                    MA_ID[(module, action)],
                    sid,
                    json.dumps(get, separators=(",", ":")),
                    json.dumps(post, separators=(",", ":")),
                    json.dumps({"m": module}, separators=(",", ":")),
                    json.dumps({"sql": round(dur * 0.8, 3), "nosql": 0}, separators=(",", ":")),
                    report,
                    f"{self.rng.getrandbits(52):013x}",
                ]
            )
        tables["long_request_log"] = rows

        acc_rows = []
        for i, ((ma, period, bot), a) in enumerate(
            sorted(self.access.items(), key=lambda e: (e[0][1], e[0][0], e[0][2]))
        ):
            acc_rows.append(
                [
                    1_200_000 + i,
                    ma,
                    period,
                    10,
                    bot,
                    a[0],
                    f"{a[1]:.3f}",
                    f"{a[2]:.3f}",
                    f"{a[3]:.3f}",
                    f"{a[4]:.3f}",
                    a[5],
                    a[6],
                    a[7],
                    a[8],
                    a[9],
                    0,
                    f"{a[10]:.4f}",
                    f"{a[11]:.4f}",
                ]
            )
        tables["access_log"] = acc_rows
        ds_rows = []
        for i, ((ma, source, period, bot), d) in enumerate(
            sorted(self.datasource.items(), key=lambda e: (e[0][2], e[0][0], e[0][1], e[0][3]))
        ):
            ds_rows.append([3_400_000 + i, ma, source, period, 10, bot, d[0], f"{d[1]:.3f}", d[2]])
        tables["datasource_log"] = ds_rows
        return tables


def describe_ua(ua: str) -> list[object]:
    """browser_name, browser_version, platform_name, platform_version, device_name, device_maker,
    device_type, pointing_method (a small stand-in for Mediboard's UA parser)."""
    if ua.startswith("python-") or ua.startswith("Java/") or ua.startswith("curl/"):
        return [None, None, None, None, None, None, "unknown", "unknown"]
    platform = (
        ("Windows", "10")
        if "Windows NT 10" in ua
        else ("Linux", None)
        if "Linux" in ua
        else (("macOS", "10.15") if "Mac OS X" in ua else ("Windows", "7"))
    )
    if "Edg/" in ua:
        name, ver = "Edge", ua.split("Edg/")[1].split(".")[0] + ".0"
    elif "Firefox/" in ua:
        name, ver = "Firefox", ua.split("Firefox/")[1]
    elif "Chrome/" in ua:
        name, ver = "Chrome", ua.split("Chrome/")[1].split(".")[0] + ".0"
    elif "Safari/" in ua and "Version/" in ua:
        name, ver = "Safari", ua.split("Version/")[1].split(" ")[0]
    else:
        name, ver = "IE", "7.0"
    return [name, ver, platform[0], platform[1], None, None, "desktop", "mouse"]

"""Requests of the invented REST back end, and a week of ordinary use with its benign look-alikes.

Each helper appends one request (with its audit row and SQL) to the world.  The look-alikes
are ordinary behaviour that resembles an attack: a heavy but legitimate reader, a new home
address, a DHCP change in the middle of a session, password typos, a monitoring probe with a
script user agent, a nightly job and a partner integration.
"""

from __future__ import annotations

from .model import (
    DAYS,
    ERP_IP,
    MONITOR_IP,
    MONITOR_UA,
    N_CUSTOMERS,
    PAGE,
    T0,
    Req,
    User,
    World,
    list_sql,
    page_items,
)


def add(w: World, r: Req) -> Req:
    r.rid = f"{w.rng.getrandbits(64):016x}"
    w.reqs.append(r)
    return r


def login(
    w: World, t: float, name: str, ip: str, ua: str, *, ok: bool = True, sid: str | None = None, tag: str = "benign"
) -> Req:
    return add(
        w,
        Req(
            t,
            ip,
            ua,
            "POST",
            "/api/v1/auth/login",
            status=200 if ok else 401,
            nbytes=310 if ok else 64,
            dur=0.12,
            actor=name,
            event="auth.login" if ok else "auth.failure",
            result="ok" if ok else "denied",
            session=sid if ok else None,
            sql=[f"SELECT id, password_hash FROM users WHERE login = '{name}'"],
            tag=tag,
        ),
    )


def logout(w: World, t: float, name: str, ip: str, ua: str, sid: str | None, tag: str = "benign") -> Req:
    return add(
        w,
        Req(
            t,
            ip,
            ua,
            "POST",
            "/api/v1/auth/logout",
            status=204,
            nbytes=0,
            actor=name,
            event="auth.logout",
            session=sid,
            tag=tag,
        ),
    )


def list_page(
    w: World,
    t: float,
    name: str | None,
    ip: str,
    ua: str,
    sid: str | None,
    offset: int,
    limit: int = PAGE,
    *,
    style: str = "page",
    cursor: str | None = None,
    tag: str = "benign",
) -> Req:
    """One page of /api/v1/customers, asked with ``style`` page, offset or cursor."""
    if style == "page":
        query = f"page={offset // limit + 1}&per_page={limit}"
    elif style == "offset":
        query = f"offset={offset}&limit={limit}"
    else:
        query = f"limit={limit}" + (f"&after={cursor}" if cursor else "")
    n = page_items(offset, limit)
    return add(
        w,
        Req(
            t,
            ip,
            ua,
            "GET",
            "/api/v1/customers",
            query,
            nbytes=40 + n * 412 + w.rng.randint(0, 30),
            dur=0.05 + n * 0.002,
            actor=name,
            event="customers.list",
            session=sid,
            items=n,
            resource="customer",
            sql=[list_sql(offset, limit)],
            tag=tag,
        ),
    )


def read(w: World, t: float, name: str | None, ip: str, ua: str, sid: str | None, cid: int, tag: str = "benign") -> Req:
    return add(
        w,
        Req(
            t,
            ip,
            ua,
            "GET",
            f"/api/v1/customers/{cid}",
            nbytes=900 + w.rng.randint(0, 400),
            actor=name,
            event="customers.read",
            session=sid,
            record=str(cid),
            resource="customer",
            items=1,
            sql=[f"SELECT * FROM customers WHERE id = {cid}"],
            tag=tag,
        ),
    )


def update(w: World, t: float, name: str, ip: str, ua: str, sid: str | None, cid: int, tag: str = "benign") -> Req:
    return add(
        w,
        Req(
            t,
            ip,
            ua,
            "PUT",
            f"/api/v1/customers/{cid}",
            nbytes=120,
            actor=name,
            event="customers.update",
            session=sid,
            record=str(cid),
            resource="customer",
            sql=[f"UPDATE customers SET email = 'x', updated_at = now() WHERE id = {cid}"],
            tag=tag,
        ),
    )


def admin_change(
    w: World,
    t: float,
    name: str,
    ip: str,
    ua: str,
    sid: str | None,
    event: str,
    target: str,
    roles: str | None = None,
    tag: str = "benign",
) -> Req:
    """Account administration: ``user.create``, ``user.roles.update``, ``user.password.update``, ``apikey.create``."""
    path = {
        "user.create": "/api/v1/admin/users",
        "user.roles.update": f"/api/v1/admin/users/{target}/roles",
        "user.password.update": f"/api/v1/admin/users/{target}/password",
        "apikey.create": "/api/v1/admin/api-keys",
    }[event]
    method = "PUT" if event in ("user.roles.update", "user.password.update") else "POST"
    return add(
        w,
        Req(
            t,
            ip,
            ua,
            method,
            path,
            status=201 if method == "POST" else 200,
            nbytes=180,
            actor=name,
            event=event,
            session=sid,
            target=target,
            roles=roles,
            resource="user",
            sql=[f"INSERT INTO audit_admin (actor, target) VALUES ('{name}', '{target}')"],
            tag=tag,
        ),
    )


def admin_list(w: World, t: float, name: str, ip: str, ua: str, sid: str | None, tag: str = "benign") -> Req:
    return add(
        w,
        Req(
            t, ip, ua, "GET", "/api/v1/admin/users", "page=1&per_page=100", nbytes=5200, actor=name, event="users.list",
            session=sid, items=60, resource="user", sql=["SELECT id, login, roles FROM users ORDER BY id LIMIT 100 OFFSET 0"], tag=tag,
        ),
    )  # fmt: skip


def health(w: World, t: float) -> Req:
    return add(w, Req(t, MONITOR_IP, MONITOR_UA, "GET", "/health", nbytes=15, dur=0.003))


# -- a week of ordinary use ---------------------------------------------------------------


def session(
    w: World,
    u: User,
    start: float,
    actions: int,
    *,
    ip: str | None = None,
    switch_to: str | None = None,
    failures: int = 0,
) -> tuple[float, str]:
    """A working session of ``u``: login, list pages, reads in its portfolio, updates, maybe logout."""
    rng = w.rng
    ip = ip or u.ip
    t = start
    for _ in range(failures):
        login(w, t, u.name, ip, u.ua, ok=False)
        t += rng.uniform(4, 12)
    sid = w.sid()
    login(w, t, u.name, ip, u.ua, sid=sid)
    lo, hi = u.portfolio
    for k in range(actions):
        t += rng.uniform(15, 140)
        if switch_to and k == actions // 2:
            ip = switch_to
        x = rng.random()
        if x < 0.12:
            list_page(w, t, u.name, ip, u.ua, sid, rng.randrange(0, 3) * PAGE)
        elif x < 0.9:
            read(w, t, u.name, ip, u.ua, sid, rng.randrange(lo, hi))
        else:
            update(w, t, u.name, ip, u.ua, sid, rng.randrange(lo, hi))
    if rng.random() < 0.7:
        t += rng.uniform(5, 60)
        logout(w, t, u.name, ip, u.ua, sid)
    return t, sid


def reader_day(w: World, u: User, start: float) -> None:
    """The data manager: reads hundreds of records every day, in pages and one by one (own history)."""
    rng = w.rng
    sid = w.sid()
    login(w, start, u.name, u.ip, u.ua, sid=sid)
    t = start
    base = rng.randrange(0, N_CUSTOMERS - 2000) // PAGE * PAGE
    for k in range(8):
        t += rng.uniform(5, 20)
        list_page(w, t, u.name, u.ip, u.ua, sid, base + k * PAGE)
    for _ in range(u.reads_per_day):
        t += rng.uniform(3, 25)
        read(w, t, u.name, u.ip, u.ua, sid, rng.randrange(1, N_CUSTOMERS))
    logout(w, t + 10, u.name, u.ip, u.ua, sid)


def nightly(w: World, day: int) -> None:
    """svc.nightly: token-authenticated full listing at 02:00 (no login, script user agent)."""
    u = w.user("svc.nightly")
    t = T0 + day * 86400 + 2 * 3600 + w.rng.uniform(0, 60)
    for k in range(0, 4000, 100):
        t += w.rng.uniform(0.3, 1.2)
        list_page(w, t, u.name, u.ip, u.ua, None, k, 100, style="offset")


def erp(w: World, day: int) -> None:
    """svc.erp-sync: the partner integration polls every 15 minutes from 06:00 to 22:00 with its key."""
    u = w.user("svc.erp-sync")
    for q in range(6 * 4, 22 * 4):
        t = T0 + day * 86400 + q * 900 + w.rng.uniform(0, 20)
        list_page(w, t, u.name, ERP_IP, u.ua, None, 0, PAGE)


def week(w: World) -> None:
    """Ordinary use for the whole window, with the benign look-alikes."""
    rng = w.rng
    clerks = w.people("clerk")
    office = [c for c in clerks if not c.remote]
    remote = [c for c in clerks if c.remote]
    new_home = office[0] if office else None
    dhcp = remote[0] if remote else (office[1] if len(office) > 1 else None)
    typos = office[-1] if len(office) > 1 else None
    for k in range(0, DAYS * 86400, 300):
        health(w, T0 + k + rng.uniform(0, 2))
    for day in range(DAYS):
        nightly(w, day)
        if day < 5:
            erp(w, day)
        if day >= 5:
            continue  # the weekend is quiet
        base = T0 + day * 86400
        for u in w.people():
            if u.role == "reader":
                reader_day(w, u, base + 8 * 3600 + rng.uniform(0, 1800))
                continue
            n_sessions = 2 if rng.random() < 0.4 else 1
            for s in range(n_sessions):
                start = base + (8 + 5 * s) * 3600 + rng.uniform(0, 5400)
                actions = max(3, int(rng.gauss(u.reads_per_day / n_sessions, 6)))
                ip, switch, fails = None, None, 0
                if u is new_home and day >= 3:
                    ip = "198.51.100.201"  # working from home from now on: same browser, usual work
                if u is dhcp and day == 2 and s == 0:
                    switch = "198.51.100.181"  # a new DHCP lease in the middle of the session
                if u is dhcp and (day > 2 or (day == 2 and s > 0)):
                    ip = "198.51.100.181"
                if u is typos and day in (0, 3) and s == 0:
                    fails = 2
                session(w, u, start, actions, ip=ip, switch_to=switch, failures=fails)
        if day == 2:
            m = w.people("manager")[0]
            sid = w.sid()
            t = base + 16 * 3600
            login(w, t, m.name, m.ip, m.ua, sid=sid)
            for k in range(0, 30 * PAGE, PAGE):  # the monthly report: a long but legitimate listing
                t += rng.uniform(2, 6)
                list_page(w, t, m.name, m.ip, m.ua, sid, k)
            logout(w, t + 20, m.name, m.ip, m.ua, sid)
        if day == 1:
            a = w.people("admin")[0]
            sid = w.sid()
            t = base + 10 * 3600 + 600
            login(w, t, a.name, a.ip, a.ua, sid=sid)
            admin_change(w, t + 40, a.name, a.ip, a.ua, sid, "user.create", "new.hire")  # IT creates a new hire
            admin_change(w, t + 70, a.name, a.ip, a.ua, sid, "user.roles.update", "new.hire", "clerk")
            logout(w, t + 100, a.name, a.ip, a.ua, sid)
    w.lookalikes = {
        "heavy_reader": {"account": w.people("reader")[0].name, "what": "reads hundreds of records every day"},
        "new_home_address": {"account": new_home.name if new_home else None, "ip": "198.51.100.201"},
        "dhcp_change": {"account": dhcp.name if dhcp else None, "ip": "198.51.100.181"},
        "password_typos": {"account": typos.name if typos else None},
        "monitoring": {"ip": MONITOR_IP, "user_agent": MONITOR_UA},
        "nightly_job": {"account": "svc.nightly", "ip": w.user("svc.nightly").ip},
        "integration": {"account": "svc.erp-sync", "ip": ERP_IP},
        "new_hire_created": {"account": "new.hire", "by": w.people("admin")[0].name},
    }
    # the new hire starts the next day, from the office
    nh = User("new.hire", "clerk", "10.30.0.199", w.rng.choice(w.people()).ua, (100, 500))
    w.users.append(nh)
    for day in (2, 3, 4):
        session(w, nh, T0 + day * 86400 + 9 * 3600 + rng.uniform(0, 600), 12)

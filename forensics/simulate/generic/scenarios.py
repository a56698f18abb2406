"""The routes to an account (see the compromise-routes reference), each written into the week.

Every scenario picks its own victim among the clerks that no look-alike uses, writes the
attacker's requests (with the audit rows and SQL the application would write), and says in
``w.truth`` what a correct answer contains: the account and its expected verdict, when
someone other than its owner first used it, the attacker's addresses, the records taken,
the accounts left behind.
"""

from __future__ import annotations

from collections.abc import Callable

from .model import ATTACK_UAS, FIRST, LAST, N_CUSTOMERS, PAGE, T0, World
from .traffic import admin_change, admin_list, list_page, login, logout, read, session


def _truth(w: World) -> dict:
    return w.truth.setdefault("accounts", {})


def _victim(w: World, role: str = "clerk") -> str:
    """A person no look-alike and no earlier scenario uses."""
    used = {v.get("account") for v in w.lookalikes.values()} | set(_truth(w)) | {"new.hire"}
    pool = [u for u in w.people(role) if u.name not in used]
    return pool[len(_truth(w)) % len(pool)].name


def _attacker_ips(w: World, *ips: str) -> None:
    w.truth.setdefault("attacker_ips", set()).update(ips)


def _record(w: World, account: str, route: str, first: float, records: int, expected: str = "compromised") -> None:
    _truth(w)[account] = {"route": route, "expected": expected, "first_malicious": first, "records": records}


def _when(w: World, day: int, hour: float) -> float:
    return T0 + day * 86400 + hour * 3600 + w.rng.uniform(0, 900)


def _pages(
    w: World, t: float, name: str, ip: str, ua: str, sid: str | None, pages: int, limit: int, style: str, tag: str
) -> tuple[float, int]:
    """A listing from the first page: ``pages`` pages of ``limit``; returns (last time, records covered)."""
    covered = 0
    for k in range(pages):
        t += w.rng.uniform(0.8, 3.0)
        cursor = None if k == 0 else f"c{w.rng.getrandbits(48):012x}"
        r = list_page(w, t, name, ip, ua, sid, k * limit, limit, style=style, cursor=cursor, tag=tag)
        covered += r.items or 0
    return t, min(covered, N_CUSTOMERS)


def _harvested(w: World, n: int) -> list[str]:
    """Login names guessed from a staff list found elsewhere: plausible, mostly not accounts here."""
    rng = w.rng
    return [f"{rng.choice(FIRST)}.{rng.choice(LAST)}{rng.randint(1, 9)}" for _ in range(n)]


def password_spraying(w: World) -> None:
    """Two addresses try two common passwords on a harvested list of names (every real account among
    guesses that are not accounts here); one works; the account is emptied."""
    ips = ("203.0.113.10", "203.0.113.11")
    _attacker_ips(w, *ips)
    victim = _victim(w)
    ua = ATTACK_UAS[0]
    t = _when(w, 3, 20)
    names = [u.name for u in w.people()] + _harvested(w, 30)
    w.rng.shuffle(names)
    for rnd in range(2):
        for k, name in enumerate(names):
            t += w.rng.uniform(1.5, 4.0)
            if rnd == 1 and name == victim:
                break
            login(w, t, name, ips[k % 2], ua, ok=False, tag="attack")
    first = t + 2
    sid = w.sid()
    login(w, first, victim, ips[0], ua, sid=sid, tag="attack")
    _, n = _pages(w, first + 30, victim, ips[0], ua, sid, 60, 100, "offset", "attack")
    _record(w, victim, "password_spraying", first, n)


def credential_stuffing(w: World) -> None:
    """Leaked pairs tried once or twice from many addresses; names that do not exist; one success."""
    pool = [f"192.0.2.{10 + k}" for k in range(24)]
    victim = _victim(w)
    t = _when(w, 3, 1)
    people = [u.name for u in w.people()]
    tried = [
        f"{a}.{b}"
        for a, b in zip(
            ("marc", "julie", "sam", "lea", "tom"), ("dupont", "morel", "petit", "roy", "lucas"), strict=True
        )
    ]
    for k, ip in enumerate(pool):
        for j in range(1 + k % 2):
            t += w.rng.uniform(3, 20)
            name = tried[(k + j) % len(tried)] if (k + j) % 3 else people[(k * 7 + j) % len(people)]
            if name == victim:
                name = tried[0]
            login(w, t, name, ip, ATTACK_UAS[2], ok=False, tag="attack")
    winner = pool[-1]
    first = t + 11
    sid = w.sid()
    login(w, first, victim, winner, ATTACK_UAS[2], sid=sid, tag="attack")
    _attacker_ips(w, *pool)
    _, n = _pages(w, first + 20, victim, winner, ATTACK_UAS[2], sid, 40, PAGE, "cursor", "attack")
    _record(w, victim, "credential_stuffing", first, n)


def brute_force(w: World) -> None:
    """One address, one account, eighty passwords, then success and record-by-record reading."""
    ip = "203.0.113.30"
    _attacker_ips(w, ip)
    victim = _victim(w)
    t = _when(w, 3, 22)
    for _ in range(80):
        t += w.rng.uniform(2, 6)
        login(w, t, victim, ip, ATTACK_UAS[0], ok=False, tag="attack")
    first = t + 3
    sid = w.sid()
    login(w, first, victim, ip, ATTACK_UAS[0], sid=sid, tag="attack")
    ids = w.rng.sample(range(1, N_CUSTOMERS), 150)
    t = first
    for cid in ids:
        t += w.rng.uniform(0.5, 2)
        read(w, t, victim, ip, ATTACK_UAS[0], sid, cid, tag="attack")
    _record(w, victim, "brute_force", first, len(ids))


def session_hijacking(w: World) -> None:
    """The owner's session token is replayed from elsewhere while the owner keeps working."""
    ip = "203.0.113.40"
    _attacker_ips(w, ip)
    victim = w.user(_victim(w))
    start = _when(w, 3, 9)
    end, sid = session(w, victim, start, 40)
    first = start + (end - start) / 3
    _, n = _pages(w, first, victim.name, ip, ATTACK_UAS[1], sid, 30, PAGE, "page", "attack")
    _record(w, victim.name, "session_hijacking", first + 0.8, n)


def stolen_api_key(w: World) -> None:
    """The integration's key used from another network and client library, overlapping its own calls."""
    ip = "203.0.113.50"
    _attacker_ips(w, ip)
    first = _when(w, 3, 14)
    _, n = _pages(w, first, "svc.erp-sync", ip, ATTACK_UAS[0], None, 80, 100, "offset", "attack")
    _record(w, "svc.erp-sync", "stolen_api_key", first + 0.8, n)


def insider(w: World) -> None:
    """A clerk reads far outside their own habits, at their usual hours, from their usual desk."""
    u = w.user(_victim(w))
    t = _when(w, 4, 14)
    sid = w.sid()
    login(w, t, u.name, u.ip, u.ua, sid=sid, tag="attack")
    lo, hi = u.portfolio
    outside = [c for c in w.rng.sample(range(1, N_CUSTOMERS), 1300) if not lo <= c < hi][:1200]
    first = t + 5
    for cid in outside:
        t += w.rng.uniform(1, 6)
        read(w, t, u.name, u.ip, u.ua, sid, cid, tag="attack")
    logout(w, t + 30, u.name, u.ip, u.ua, sid, tag="attack")
    _record(w, u.name, "insider", first, len(outside), expected="suspicious")


def privilege_escalation(w: World) -> None:
    """Phished credentials; the account grants itself administration, then uses it."""
    ip = "203.0.113.60"
    _attacker_ips(w, ip)
    victim = _victim(w)
    ua = ATTACK_UAS[1]
    first = _when(w, 3, 22)
    sid = w.sid()
    login(w, first, victim, ip, ua, sid=sid, tag="attack")
    admin_change(w, first + 40, victim, ip, ua, sid, "user.roles.update", victim, "admin", tag="attack")
    admin_list(w, first + 70, victim, ip, ua, sid, tag="attack")
    _, n = _pages(w, first + 100, victim, ip, ua, sid, 20, 100, "offset", "attack")
    _record(w, victim, "privilege_escalation", first, n)


def backdoor_account(w: World) -> None:
    """Stolen administrator credentials create an account and a key; the new account is used that night."""
    ip = "203.0.113.70"
    _attacker_ips(w, ip)
    admin = w.people("admin")[0].name
    ua = ATTACK_UAS[1]
    first = _when(w, 3, 23)
    sid = w.sid()
    login(w, first, admin, ip, ua, sid=sid, tag="attack")
    admin_change(w, first + 30, admin, ip, ua, sid, "user.create", "support.ops", tag="attack")
    admin_change(w, first + 50, admin, ip, ua, sid, "user.roles.update", "support.ops", "admin", tag="attack")
    admin_change(w, first + 70, admin, ip, ua, sid, "apikey.create", "apikey:support-ops", tag="attack")
    logout(w, first + 90, admin, ip, ua, sid, tag="attack")
    _record(w, admin, "backdoor_account", first, 0)
    t2 = first + 2 * 3600
    sid2 = w.sid()
    login(w, t2, "support.ops", ip, ua, sid=sid2, tag="attack")
    _, n = _pages(w, t2 + 20, "support.ops", ip, ua, sid2, 20, 100, "offset", "attack")
    _record(w, "support.ops", "backdoor_account", t2, n)
    w.truth.setdefault("backdoors", []).append("support.ops")


def concurrent_use(w: World) -> None:
    """The account works from the office while someone logs in with its password from a distant network."""
    ip = "203.0.113.80"
    _attacker_ips(w, ip)
    u = w.user(_victim(w))
    start = _when(w, 3, 9)
    session(w, u, start, 40)
    first = start + 900
    sid = w.sid()
    login(w, first, u.name, ip, ATTACK_UAS[1], sid=sid, tag="attack")
    t = first
    ids = w.rng.sample(range(1, N_CUSTOMERS), 300)
    for cid in ids:
        t += w.rng.uniform(1, 4)
        read(w, t, u.name, ip, ATTACK_UAS[1], sid, cid, tag="attack")
    _record(w, u.name, "concurrent_use", first, len(ids))


SCENARIOS: dict[str, Callable[[World], None]] = {
    "password_spraying": password_spraying,
    "credential_stuffing": credential_stuffing,
    "brute_force": brute_force,
    "session_hijacking": session_hijacking,
    "stolen_api_key": stolen_api_key,
    "insider": insider,
    "privilege_escalation": privilege_escalation,
    "backdoor_account": backdoor_account,
    "concurrent_use": concurrent_use,
}

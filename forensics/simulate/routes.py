"""The routes to an account (see the compromise-routes reference), written once for every application.

Each route is a short script of what the attacker does (guess passwords, log in, replay a
session, page through the records, grant itself a right, create an account...) and what a
correct answer contains (the account and its expected verdict, when someone other than its
owner first used it, the attacker's addresses, the records taken, the accounts left
behind).  How each step is written into the logs belongs to the application: an
:class:`Application` turns "log in" into the requests, audit rows, table rows and SQL that
this application and its stack would write (``generic/scenarios.py`` for the invented REST
back end, ``mediboard_routes.py`` for Mediboard).

Times are epoch seconds (UTC).  ``day`` counts from the first day of the evidence window.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Protocol

#: The attacker's tools: a script library, an ordinary browser, another library.
ATTACK_UAS = (
    "python-requests/2.31.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36",
    "Go-http-client/1.1",
)
#: Addresses the attacker uses, per route (documentation ranges only).
SPRAY_IPS = ("203.0.113.10", "203.0.113.11")
BRUTE_IP = "203.0.113.30"
HIJACK_IP = "203.0.113.40"
KEY_IP = "203.0.113.50"
ESCALATION_IP = "203.0.113.60"
BACKDOOR_IP = "203.0.113.70"
CONCURRENT_IP = "203.0.113.80"


class Application(Protocol):
    """What a route needs from an application: its people, and how each step is written."""

    rng: random.Random
    truth: dict
    #: user agents of the attacker's tools: a script library, a browser, another library
    attack_uas: tuple[str, str, str]
    #: records per page of the application's ordinary listing
    page: int
    #: local hour at which a stolen integration key is first used from elsewhere
    key_reuse_hour: float
    #: addresses of a credential-stuffing pool (residential or hosting, one or two tries each)
    stuffing_pool: tuple[str, ...]

    def victim(self, role: str = "clerk") -> str: ...
    def people(self) -> list[str]: ...
    def admin(self) -> str: ...
    def integration(self) -> str: ...
    def usual_client(self, name: str) -> tuple[str, str]: ...
    def when(self, day: int, hour: float) -> float: ...
    def harvested(self, n: int) -> list[str]: ...
    def stuffed_names(self) -> list[str]: ...
    def guess_gaps(self) -> Iterator[float]: ...
    def login_fail(self, t: float, name: str, ip: str, ua: str) -> None: ...
    def login(self, t: float, name: str, ip: str, ua: str) -> str: ...
    def logout(self, t: float, name: str, ip: str, ua: str, sid: str) -> None: ...
    def owner_session(self, name: str, start: float, actions: int) -> tuple[float, str]: ...
    def list_pages(
        self, t: float, name: str, ip: str, ua: str, sid: str | None, pages: int, limit: int, style: str
    ) -> tuple[float, float, int]: ...
    def records(self, n: int) -> list[int]: ...
    def outside_habits(self, name: str, n: int) -> list[int]: ...
    def read(self, t: float, name: str, ip: str, ua: str, sid: str, record: int) -> None: ...
    def grant_admin(self, t: float, actor: str, ip: str, ua: str, sid: str, target: str) -> None: ...
    def admin_list(self, t: float, actor: str, ip: str, ua: str, sid: str) -> None: ...
    def create_account(self, t: float, actor: str, ip: str, ua: str, sid: str) -> str: ...
    def create_key(self, t: float, actor: str, ip: str, ua: str, sid: str, owner: str) -> str: ...


# -- the answers ---------------------------------------------------------------------------


def accounts(app: Application) -> dict:
    return app.truth.setdefault("accounts", {})


def attacker_ips(app: Application, *ips: str) -> None:
    app.truth.setdefault("attacker_ips", set()).update(ips)


def record(
    app: Application, account: str, route: str, first: float, records: int, expected: str = "compromised"
) -> None:
    accounts(app)[account] = {"route": route, "expected": expected, "first_malicious": first, "records": records}


def backdoor(app: Application, account: str) -> None:
    app.truth.setdefault("backdoors", []).append(account)


# -- the routes ----------------------------------------------------------------------------


def password_spraying(app: Application) -> None:
    """Two addresses try two common passwords on a harvested list of names (every real account among
    guesses that are not accounts here); one works; the account is emptied."""
    ips = SPRAY_IPS
    attacker_ips(app, *ips)
    victim = app.victim()
    ua = app.attack_uas[0]
    t = app.when(3, 20)
    names = app.people() + app.harvested(30)
    app.rng.shuffle(names)
    for rnd in range(2):
        for k, name in enumerate(names):
            t += app.rng.uniform(1.5, 4.0)
            if rnd == 1 and name == victim:
                break
            app.login_fail(t, name, ips[k % 2], ua)
    first = t + 2
    sid = app.login(first, victim, ips[0], ua)
    _, _, n = app.list_pages(first + 30, victim, ips[0], ua, sid, 60, 100, "offset")
    record(app, victim, "password_spraying", first, n)


def credential_stuffing(app: Application) -> None:
    """Leaked pairs tried once or twice from many addresses; names that do not exist; one success."""
    pool = app.stuffing_pool
    victim = app.victim()
    t = app.when(3, 1)
    people = app.people()
    tried = app.stuffed_names()
    ua = app.attack_uas[2]
    for k, ip in enumerate(pool):
        for j in range(1 + k % 2):
            t += app.rng.uniform(3, 20)
            name = tried[(k + j) % len(tried)] if (k + j) % 3 else people[(k * 7 + j) % len(people)]
            if name == victim:
                name = tried[0]
            app.login_fail(t, name, ip, ua)
    winner = pool[-1]
    first = t + 11
    sid = app.login(first, victim, winner, ua)
    attacker_ips(app, *pool)
    _, _, n = app.list_pages(first + 20, victim, winner, ua, sid, 40, app.page, "cursor")
    record(app, victim, "credential_stuffing", first, n)


def brute_force(app: Application) -> None:
    """One address, one account, many passwords (paced by the application's lockout), then
    success and record-by-record reading."""
    ip = BRUTE_IP
    attacker_ips(app, ip)
    victim = app.victim()
    ua = app.attack_uas[0]
    t = app.when(3, 22)
    for gap in app.guess_gaps():
        t += gap
        app.login_fail(t, victim, ip, ua)
    first = t + 3
    sid = app.login(first, victim, ip, ua)
    ids = app.records(150)
    t = first
    for rec in ids:
        t += app.rng.uniform(0.5, 2)
        app.read(t, victim, ip, ua, sid, rec)
    record(app, victim, "brute_force", first, len(set(ids)))


def session_hijacking(app: Application) -> None:
    """The owner's session token is replayed from elsewhere while the owner keeps working."""
    ip = HIJACK_IP
    attacker_ips(app, ip)
    victim = app.victim()
    start = app.when(3, 9)
    end, sid = app.owner_session(victim, start, 40)
    first, _, n = app.list_pages(start + (end - start) / 3, victim, ip, app.attack_uas[1], sid, 30, app.page, "page")
    record(app, victim, "session_hijacking", first, n)


def stolen_api_key(app: Application) -> None:
    """The integration's key used from another network and client library."""
    ip = KEY_IP
    attacker_ips(app, ip)
    svc = app.integration()
    first, _, n = app.list_pages(app.when(3, app.key_reuse_hour), svc, ip, app.attack_uas[0], None, 80, 100, "offset")
    record(app, svc, "stolen_api_key", first, n)


def insider(app: Application) -> None:
    """An employee reads far outside their own habits, at their usual hours, from their usual desk."""
    name = app.victim()
    ip, ua = app.usual_client(name)
    t = app.when(4, 14)
    sid = app.login(t, name, ip, ua)
    outside = app.outside_habits(name, 1200)
    first = None
    for rec in outside:
        t += app.rng.uniform(1, 6)
        first = t if first is None else first
        app.read(t, name, ip, ua, sid, rec)
    assert first is not None
    app.logout(t + 30, name, ip, ua, sid)
    record(app, name, "insider", first, len(set(outside)), expected="suspicious")


def privilege_escalation(app: Application) -> None:
    """Phished credentials; the account grants itself administration, then uses it."""
    ip = ESCALATION_IP
    attacker_ips(app, ip)
    victim = app.victim()
    ua = app.attack_uas[1]
    first = app.when(3, 22)
    sid = app.login(first, victim, ip, ua)
    app.grant_admin(first + 40, victim, ip, ua, sid, victim)
    app.admin_list(first + 70, victim, ip, ua, sid)
    _, _, n = app.list_pages(first + 100, victim, ip, ua, sid, 20, 100, "offset")
    record(app, victim, "privilege_escalation", first, n)


def backdoor_account(app: Application) -> None:
    """Stolen administrator credentials create an account and a key; the new account is used that night."""
    ip = BACKDOOR_IP
    attacker_ips(app, ip)
    admin = app.admin()
    ua = app.attack_uas[1]
    first = app.when(3, 23)
    sid = app.login(first, admin, ip, ua)
    created = app.create_account(first + 30, admin, ip, ua, sid)
    app.grant_admin(first + 50, admin, ip, ua, sid, created)
    app.create_key(first + 70, admin, ip, ua, sid, created)
    app.logout(first + 90, admin, ip, ua, sid)
    record(app, admin, "backdoor_account", first, 0)
    t2 = first + 2 * 3600
    sid2 = app.login(t2, created, ip, ua)
    _, _, n = app.list_pages(t2 + 20, created, ip, ua, sid2, 20, 100, "offset")
    record(app, created, "backdoor_account", t2, n)
    backdoor(app, created)


def concurrent_use(app: Application) -> None:
    """The account works from the office while someone logs in with its password from a distant network."""
    ip = CONCURRENT_IP
    attacker_ips(app, ip)
    name = app.victim()
    start = app.when(3, 9)
    app.owner_session(name, start, 40)
    first = start + 900
    ua = app.attack_uas[1]
    sid = app.login(first, name, ip, ua)
    t = first
    ids = app.records(300)
    for rec in ids:
        t += app.rng.uniform(1, 4)
        app.read(t, name, ip, ua, sid, rec)
    record(app, name, "concurrent_use", first, len(set(ids)))


ROUTES: dict[str, Callable[[Application], None]] = {
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

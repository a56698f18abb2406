"""The invented REST back end ("Ledgerly"): its people, networks, endpoints and one request.

Everything is invented: documentation address ranges (192.0.2.0/24, 198.51.100.0/24,
203.0.113.0/24) and private ranges, invented names.  Times are epoch seconds, UTC.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..routes import ATTACK_UAS as ATTACK_UAS  # the scenarios and tests read it here

#: The evidence window: Monday 4 November 2024 00:00 UTC, seven days.
T0 = datetime(2024, 11, 4, tzinfo=UTC).timestamp()
DAYS = 7
T1 = T0 + DAYS * 86400
N_CUSTOMERS = 20_000
PAGE = 50

BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
)
MONITOR_UA = "curl/8.5.0"
NIGHTLY_UA = "ledgerly-nightly/2.4 (python-requests/2.32.3)"
ERP_UA = "erp-connector/3.1 (Java/21.0.4)"

FIRST = (
    "alice", "bruno", "chloe", "damien", "elise", "fabien", "gaelle", "hugo", "ines", "jules", "karine", "louis",
    "maelle", "nicolas", "oceane", "paul", "quentin", "rose", "simon", "tania", "ugo", "valerie", "william",
    "xavier", "yasmine", "zoe",
)  # fmt: skip
LAST = (
    "arnaud", "besson", "carpentier", "delorme", "esnault", "faure", "gillet", "hamon", "imbert", "jacquet",
    "klein", "lemaire", "marchal", "noel", "ollivier", "perrot", "quillet", "renard", "sauvage", "tessier",
)  # fmt: skip

MONITOR_IP = "10.40.0.5"
NIGHTLY_IP = "10.40.0.7"
ERP_IP = "10.40.0.20"
APP_DB_IP = "10.40.1.10"


@dataclass
class User:
    """One account of the application: a person or a service principal."""

    name: str
    role: str  # clerk, manager, admin, reader (heavy but legitimate), service
    ip: str  # usual address
    ua: str
    portfolio: tuple[int, int]  # customer ids this person usually works on
    remote: bool = False
    reads_per_day: int = 40


@dataclass
class Req:
    """One web request and, when the application writes one, its audit row and SQL."""

    t: float
    ip: str
    ua: str
    method: str
    path: str
    query: str = ""
    status: int = 200
    nbytes: int = 600
    dur: float = 0.04
    actor: str | None = None
    event: str | None = None
    result: str = "ok"
    session: str | None = None
    items: int | None = None
    record: str | None = None
    resource: str | None = None
    target: str | None = None
    roles: str | None = None
    sql: list[str] = field(default_factory=list)
    tag: str = "benign"
    rid: str = ""


@dataclass
class World:
    """The population, the requests, and what the scenarios say happened."""

    rng: random.Random
    users: list[User]
    reqs: list[Req] = field(default_factory=list)
    truth: dict = field(default_factory=dict)
    lookalikes: dict = field(default_factory=dict)

    def user(self, name: str) -> User:
        return next(u for u in self.users if u.name == name)

    def people(self, role: str | None = None) -> list[User]:
        return [u for u in self.users if u.role != "service" and (role is None or u.role == role)]

    def sid(self) -> str:
        return f"{self.rng.getrandbits(96):024x}"


def build_users(rng: random.Random, n: int) -> list[User]:
    """``n`` people (clerks, two managers, one admin, one heavy reader) and the service principals."""
    names: list[str] = []
    while len(names) < n:
        name = f"{rng.choice(FIRST)}.{rng.choice(LAST)}"
        if name not in names:
            names.append(name)
    users: list[User] = []
    for k, name in enumerate(names):
        role = "admin" if k == 0 else "manager" if k in (1, 2) else "reader" if k == 3 else "clerk"
        remote = k % 4 == 1
        ip = f"198.51.100.{10 + k}" if remote else f"10.30.{k // 200}.{10 + k % 200}"
        start = rng.randrange(1, N_CUSTOMERS - 400)
        users.append(
            User(
                name=name,
                role=role,
                ip=ip,
                ua=rng.choice(BROWSERS),
                portfolio=(start, start + 400),
                remote=remote,
                reads_per_day=400 if role == "reader" else rng.randint(15, 45),
            )
        )
    users.append(User("svc.nightly", "service", NIGHTLY_IP, NIGHTLY_UA, (1, N_CUSTOMERS)))
    users.append(User("svc.erp-sync", "service", ERP_IP, ERP_UA, (1, N_CUSTOMERS)))
    return users


def list_sql(offset: int, limit: int) -> str:
    return f"SELECT id, name, email, iban FROM customers ORDER BY id LIMIT {limit} OFFSET {offset}"


def page_items(offset: int, limit: int) -> int:
    return max(0, min(limit, N_CUSTOMERS - offset))

"""The routes to an account, written the way the invented REST back end records them.

The routes themselves are shared (``forensics/simulate/routes.py``); this module says how
each of their steps is written here: a request to the REST API, its audit row and its SQL.
Every route picks its own victim among the clerks that no look-alike uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..routes import ROUTES, Application, accounts
from .model import ATTACK_UAS, FIRST, LAST, N_CUSTOMERS, PAGE, T0, World
from .traffic import admin_change, admin_list, list_page, login, logout, read, session


class GenericApp:
    """:class:`~forensics.simulate.routes.Application` for the invented REST back end."""

    attack_uas = ATTACK_UAS
    page = PAGE
    key_reuse_hour = 14.0  # in the middle of the integration's working day
    stuffing_pool = tuple(f"192.0.2.{10 + k}" for k in range(24))

    def __init__(self, w: World) -> None:
        self.w = w
        self.rng = w.rng
        self.truth = w.truth

    # -- people
    def victim(self, role: str = "clerk") -> str:
        """A person no look-alike and no earlier route uses."""
        w = self.w
        used = {v.get("account") for v in w.lookalikes.values()} | set(accounts(self)) | {"new.hire"}
        pool = [u for u in w.people(role) if u.name not in used]
        return pool[len(accounts(self)) % len(pool)].name

    def people(self) -> list[str]:
        return [u.name for u in self.w.people()]

    def admin(self) -> str:
        return self.w.people("admin")[0].name

    def integration(self) -> str:
        return "svc.erp-sync"

    def usual_client(self, name: str) -> tuple[str, str]:
        u = self.w.user(name)
        return u.ip, u.ua

    def when(self, day: int, hour: float) -> float:
        return T0 + day * 86400 + hour * 3600 + self.rng.uniform(0, 900)

    def harvested(self, n: int) -> list[str]:
        """Login names guessed from a staff list found elsewhere: plausible, mostly not accounts here."""
        rng = self.rng
        return [f"{rng.choice(FIRST)}.{rng.choice(LAST)}{rng.randint(1, 9)}" for _ in range(n)]

    def stuffed_names(self) -> list[str]:
        return [
            f"{a}.{b}"
            for a, b in zip(
                ("marc", "julie", "sam", "lea", "tom"), ("dupont", "morel", "petit", "roy", "lucas"), strict=True
            )
        ]

    def guess_gaps(self) -> Iterator[float]:
        """No lockout here: eighty tries, a few seconds apart."""
        for _ in range(80):
            yield self.rng.uniform(2, 6)

    # -- steps
    def login_fail(self, t: float, name: str, ip: str, ua: str) -> None:
        login(self.w, t, name, ip, ua, ok=False, tag="attack")

    def login(self, t: float, name: str, ip: str, ua: str) -> str:
        sid = self.w.sid()
        login(self.w, t, name, ip, ua, sid=sid, tag="attack")
        return sid

    def logout(self, t: float, name: str, ip: str, ua: str, sid: str) -> None:
        logout(self.w, t, name, ip, ua, sid, tag="attack")

    def owner_session(self, name: str, start: float, actions: int) -> tuple[float, str]:
        return session(self.w, self.w.user(name), start, actions)

    def list_pages(
        self, t: float, name: str, ip: str, ua: str, sid: str | None, pages: int, limit: int, style: str
    ) -> tuple[float, float, int]:
        """A listing from the first page; returns (first request, last request, records covered)."""
        w = self.w
        covered, first = 0, t
        for k in range(pages):
            t += w.rng.uniform(0.8, 3.0)
            first = t if k == 0 else first
            cursor = None if k == 0 else f"c{w.rng.getrandbits(48):012x}"
            r = list_page(w, t, name, ip, ua, sid, k * limit, limit, style=style, cursor=cursor, tag="attack")
            covered += r.items or 0
        return first, t, min(covered, N_CUSTOMERS)

    def records(self, n: int) -> list[int]:
        return self.rng.sample(range(1, N_CUSTOMERS), n)

    def outside_habits(self, name: str, n: int) -> list[int]:
        lo, hi = self.w.user(name).portfolio
        return [c for c in self.rng.sample(range(1, N_CUSTOMERS), n + 100) if not lo <= c < hi][:n]

    def read(self, t: float, name: str, ip: str, ua: str, sid: str, record: int) -> None:
        read(self.w, t, name, ip, ua, sid, record, tag="attack")

    def grant_admin(self, t: float, actor: str, ip: str, ua: str, sid: str, target: str) -> None:
        admin_change(self.w, t, actor, ip, ua, sid, "user.roles.update", target, "admin", tag="attack")

    def admin_list(self, t: float, actor: str, ip: str, ua: str, sid: str) -> None:
        admin_list(self.w, t, actor, ip, ua, sid, tag="attack")

    def create_account(self, t: float, actor: str, ip: str, ua: str, sid: str) -> str:
        admin_change(self.w, t, actor, ip, ua, sid, "user.create", "support.ops", tag="attack")
        return "support.ops"

    def create_key(self, t: float, actor: str, ip: str, ua: str, sid: str, owner: str) -> str:
        key = f"apikey:{owner.replace('.', '-')}"
        admin_change(self.w, t, actor, ip, ua, sid, "apikey.create", key, tag="attack")
        return key


def _play(route: Callable[[Application], None]) -> Callable[[World], None]:
    def play(w: World) -> None:
        route(GenericApp(w))

    play.__doc__ = route.__doc__
    return play


SCENARIOS: dict[str, Callable[[World], None]] = {name: _play(route) for name, route in ROUTES.items()}

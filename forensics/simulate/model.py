"""The clinic: accounts, workstations, browsers, and the patient population.

Nothing here depends on ``scale``: people and patients are the same at every scale, only the
volume of benign traffic changes.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from .names import FIRST_F, FIRST_M, LAST, login_of

GROUP_ID = 1
SITE = "https://dpi.clinique-exemple.fr"
COMPROMISED_LOGIN = "adm.interop"
COMPROMISED_ID = 1042
BACKDOOR_LOGIN = "support.xtrem"
BACKDOOR_ID = 1377
N_PATIENTS = 118_412
MAX_PATIENT_ID = 121_950

UA_EDGE = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/129.0.0.0 Safari/537.36 Edg/129.0.0.0"
)
UA_CHROME_WIN = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36"
)
UA_FIREFOX_ESR = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Firefox/115.0"
UA_PACS = 'Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.1; Trident/7.0; "PACS-Viewer" 3.2)'
HOME_UAS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.6 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0",
    UA_EDGE,
)
UA_SPRAY = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36"
)
UA_ATTACKER_BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0"
UA_PYTHON = "python-requests/2.32.3"

WARDS = (
    "Medecine A",
    "Medecine B",
    "Chirurgie",
    "Orthopedie",
    "Urgences",
    "USC",
    "Maternite",
    "Bloc",
    "SSR",
    "Imagerie",
)
# 10.20.<n>.0/24 per ward; 10.20.5.0/24 is shared with the DIM/administration offices.


@dataclass
class User:
    user_id: int
    login: str
    first: str
    last: str
    user_type: int
    role: str  # physician, nurse, admin, tech, robot
    active: bool
    ward: int = 0
    office_ip: str | None = None
    home_ip: str | None = None
    home_ua: str | None = None
    is_robot: int = 0
    dont_log_connection: int = 0
    email: str | None = None
    password_expired: bool = False


@dataclass
class Clinic:
    users: list[User]
    by_login: dict[str, User]
    by_id: dict[int, User]
    physicians: list[User]
    nurses: list[User]
    admins: list[User]
    ward_pcs: dict[int, list[str]]
    pc_ua: dict[str, str]
    spray_usernames: list[str]
    nonexistent_usernames: list[str]
    lan_ips: list[str] = field(default_factory=list)


def _make_names(rng: random.Random, n: int, taken: set[str]) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    while len(out) < n:
        first = rng.choice(FIRST_F if rng.random() < 0.62 else FIRST_M)
        last = rng.choice(LAST)
        login = login_of(first, last)
        if login in taken:
            continue
        taken.add(login)
        out.append((first, last, login))
    return out


def build_clinic(seed: int) -> Clinic:
    """Accounts (300 before the attack), workstations and browsers."""
    rng = random.Random(f"{seed}:clinic")
    fixed = {
        "adm.interop": ("ADM", "Interop", 1, "tech"),
        "adm.si": ("ADM", "Systeme Information", 1, "tech"),
        "adm.pharma": ("ADM", "Pharmacie", 1, "tech"),
        "bot.hl7": ("BOT", "HL7", 1, "robot"),
        "bot.stats": ("BOT", "Statistiques", 1, "robot"),
        "m.lefevre": ("Maryse", "Lefèvre", 13, "physician"),
        "h.benard": ("Hélène", "Bénard", 13, "physician"),
        "s.garnier": ("Solène", "Garnier", 7, "nurse"),
        "t.lambert": ("Thomas", "Lambert", 14, "admin"),
    }
    # Names of people who once worked here: they are scraped from the website but have no account.
    former = ["c.moreau", "p.roussel", "j.fontaine", "l.girard", "a.mercier", "n.faure"]
    taken = set(fixed) | set(former)
    n_phys, n_nurse, n_admin, n_inactive = 78, 109, 29, 75
    names = _make_names(rng, n_phys + n_nurse + n_admin + n_inactive, taken)

    specs: list[tuple[str, str, str, int, str, bool]] = []
    for first, last, login in names[:n_phys]:
        specs.append((first, last, login, rng.choice((3, 4, 13, 13, 13)), "physician", True))
    for first, last, login in names[n_phys : n_phys + n_nurse]:
        specs.append((first, last, login, 7, "nurse", True))
    for first, last, login in names[n_phys + n_nurse : n_phys + n_nurse + n_admin]:
        specs.append((first, last, login, rng.choice((10, 10, 14, 5)), "admin", True))
    for first, last, login in names[n_phys + n_nurse + n_admin :]:
        specs.append((first, last, login, rng.choice((3, 7, 7, 10, 13)), "former", False))
    for login, (first, last, utype, role) in fixed.items():
        if login != COMPROMISED_LOGIN:
            specs.append((first, last, login, utype, role, True))
    rng.shuffle(specs)
    # Physicians 212 and 219 (the DIM export of B1) must be physicians.
    special = [s for s in specs if s[4] == "physician" and s[2] not in ("m.lefevre", "h.benard")][:2]
    rest = [s for s in specs if s not in special]
    excluded = {212, 219, COMPROMISED_ID}
    ids = sorted(rng.sample([i for i in range(2, BACKDOOR_ID) if i not in excluded], len(rest)))
    users: list[User] = []
    for uid, spec in [
        (212, special[0]),
        (219, special[1]),
        *zip(ids, rest, strict=True),
    ]:
        first, last, login, utype, role, active = spec
        users.append(User(uid, login, first, last, utype, role, active))
    users.append(User(COMPROMISED_ID, COMPROMISED_LOGIN, "ADM", "Interop", 1, "tech", True))
    users.sort(key=lambda u: u.user_id)
    assert len(users) == 300

    # Workstations
    ward_pcs: dict[int, list[str]] = {}
    pc_ua: dict[str, str] = {}
    lan: list[str] = []
    for w in range(len(WARDS)):
        net = w + 1
        pcs = [f"10.20.{net}.{h}" for h in range(10, 10 + rng.randint(4, 7))]
        ward_pcs[w] = pcs
        for ip in pcs:
            pc_ua[ip] = (
                UA_PACS
                if WARDS[w] == "Imagerie" and ip.endswith(".10")
                else (UA_EDGE if rng.random() < 0.8 else UA_FIREFOX_ESR)
            )
            lan.append(ip)
    office_hosts: dict[int, list[int]] = {w: [] for w in range(len(WARDS))}
    for u in users:
        u.email = f"{u.login}@clinique-exemple.fr" if u.role != "robot" else None
        if u.role == "robot":
            u.is_robot, u.dont_log_connection = 1, 1
        u.ward = rng.randrange(len(WARDS))
        if u.role in ("physician", "admin", "tech"):
            w = 4 if u.role in ("admin", "tech") else u.ward
            while True:
                h = rng.randint(20, 250)
                if h not in office_hosts[w] and not (w == 2 and h == 47):
                    break
            office_hosts[w].append(h)
            u.office_ip = f"10.20.{w + 1}.{h}"
    fixed_ip = {
        "m.lefevre": "10.20.5.12",
        "t.lambert": "10.20.5.40",
        "adm.si": "10.20.5.41",
        "adm.interop": "10.20.5.42",
        "adm.pharma": "10.20.5.43",
    }
    for u in users:
        if u.login in fixed_ip:
            u.office_ip = fixed_ip[u.login]
        if u.office_ip:
            pc_ua.setdefault(u.office_ip, UA_EDGE if rng.random() < 0.75 else UA_CHROME_WIN)
            lan.append(u.office_ip)
    # the workstation whose address the attacker later forges
    pc_ua["10.20.3.47"] = UA_EDGE
    pc_ua["10.20.7.33"] = UA_EDGE
    ward_pcs[6].append("10.20.7.33")
    lan += ["10.20.3.47", "10.20.7.33"]
    by_login = {u.login: u for u in users}
    by_login["m.lefevre"].office_ip = "10.20.5.12"
    physicians = [u for u in users if u.role == "physician" and u.active]
    nurses = [u for u in users if u.role == "nurse" and u.active]
    admins = [u for u in users if u.role == "admin" and u.active]
    home_hosts = [h for h in range(2, 127) if h != 77]
    rng.shuffle(home_hosts)
    remote = [u for u in physicians if u.login != "h.benard"]
    rng.shuffle(remote)
    for u, h in zip(remote[:22], home_hosts, strict=False):
        u.home_ip = f"198.51.100.{h}"
        u.home_ua = rng.choice(HOME_UAS)
    by_login["h.benard"].home_ua = HOME_UAS[1]
    expiring = [u for u in admins + nurses if u.login not in ("s.garnier", "t.lambert")]
    for u in rng.sample(expiring, 4):
        u.password_expired = True

    # Spray list: 175 existing accounts (all kinds) and 61 names that do not exist.
    existing = [u.login for u in users if u.role not in ("robot",) and u.login != COMPROMISED_LOGIN]
    rng.shuffle(existing)
    spray_existing = sorted([*existing[:174], COMPROMISED_LOGIN])
    generic = [
        "admin",
        "administrateur",
        "root",
        "test",
        "demo",
        "interop",
        "pharmacie",
        "accueil",
        "secretariat",
        "direction",
        "informatique",
        "dsi",
        "support",
        "dim",
        "urgences",
        "bloc",
        "labo",
        "radiologie",
        "compta",
        "rh",
        "qualite",
        "standard",
        "cadre.sante",
        "adm.dpi",
        "adm.mediboard",
        "adm.admin",
        "adm.hl7",
        "adm.test",
        "mediboard",
        "medecin",
        "infirmiere",
        "maternite",
        "chirurgie",
        "pmsi",
        "facturation",
        "admission",
        "sortie",
        "consult",
        "planning",
        "hospit",
        "webmaster",
        "contact",
        "stage",
        "interne",
        "externe",
    ]
    scraped = [
        *former,
        "helene.leveque",
        "francois.benard",
        "zoe.nguessan",
        "maelle.dupre-leger",
        "julie.bonnet",
        "marc.duval",
        "sophie.perrin",
        "laurent.caron",
        "celine.vidal",
        "anais.roche",
    ]
    nonexistent = sorted(set(generic + scraped) - set(by_login))[:61]
    assert len(nonexistent) == 61, len(nonexistent)
    spray = spray_existing + nonexistent
    assert len(spray) == 236
    return Clinic(
        users=users,
        by_login=by_login,
        by_id={u.user_id: u for u in users},
        physicians=physicians,
        nurses=nurses,
        admins=admins,
        ward_pcs=ward_pcs,
        pc_ua=pc_ua,
        spray_usernames=spray,
        nonexistent_usernames=nonexistent,
        lan_ips=sorted(set(lan)),
    )


# --------------------------------------------------------------------------- patients

EPOCH_DAY = date(2009, 6, 1)
LAST_DAY = date(2024, 10, 26)


@dataclass
class Patients:
    ids: list[int]
    # per patient (parallel to ids): sorted event day numbers (days since EPOCH_DAY) and kinds
    events: list[list[tuple[int, str]]]
    row_len: list[int]  # CSV row length in the export
    item_len: list[int]  # JSON item length in the API list
    detail_len: list[int]  # JSON length of the API detail
    index: dict[int, int]
    _months: dict[tuple[int, int], list[int]] | None = None

    def month_index(self) -> dict[tuple[int, int], list[int]]:
        """(year, month) -> sorted patient ids with a stay (sortie) or consultation that month."""
        if self._months is not None:
            return self._months
        out: dict[tuple[int, int], list[int]] = {}
        for pid, evs in zip(self.ids, self.events, strict=True):
            seen: set[tuple[int, int]] = set()
            for d, _ in evs:
                dt = day_to_date(d)
                key = (dt.year, dt.month)
                if key not in seen:
                    seen.add(key)
                    out.setdefault(key, []).append(pid)
        self._months = out
        return out

    def recent(self, n: int) -> list[int]:
        """The ``n`` patients with the most recent stay or consultation, in id order."""
        order = sorted(range(len(self.ids)), key=lambda i: (-self.events[i][-1][0], self.ids[i]))
        return sorted(self.ids[i] for i in order[:n])


def build_patients(seed: int) -> Patients:
    rng = random.Random(f"{seed}:patients")
    # patient 1 (the first record ever created) still exists; the attacker test-exports it
    ids = [1, *sorted(rng.sample(range(2, MAX_PATIENT_ID + 1), N_PATIENTS - 1))]
    span = (LAST_DAY - EPOCH_DAY).days
    events: list[list[tuple[int, str]]] = []
    row_len, item_len, detail_len = [], [], []
    n = len(ids)
    s2012 = (date(2012, 1, 1) - EPOCH_DAY).days
    legacy = 9_600  # records migrated from the previous system (2009-2011), mostly never seen again
    growth = 2.6  # activity grows about e**2.6 = 13 times over the 15 years
    for rank in range(n):
        if rank < legacy:
            created = int(s2012 * (rank + rng.random()) / legacy)
            revisit, mean = 0.06, 2000.0
        else:
            u = (rank - legacy + rng.random()) / (n - legacy)
            created = s2012 + int((span - s2012) * math.log(1 + u * (math.exp(growth) - 1)) / growth)
            revisit, mean = 0.62, 700.0
        evs = [(created, "sejour" if rng.random() < 0.55 else "consult")]
        k = 0
        while rng.random() < revisit and k < 30:
            k += 1
            d = created + int(rng.expovariate(1 / mean))
            if d <= span:
                evs.append((d, "sejour" if rng.random() < 0.45 else "consult"))
        evs.sort()
        events.append(evs)
        row_len.append(rng.randint(470, 790))
        item_len.append(rng.randint(760, 1010))
        detail_len.append(rng.randint(2900, 3950))
    return Patients(
        ids,
        events,
        row_len,
        item_len,
        detail_len,
        {pid: i for i, pid in enumerate(ids)},
    )


def day_to_date(day: int) -> date:
    return EPOCH_DAY + timedelta(days=day)

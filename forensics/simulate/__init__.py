"""Deterministic generator of the synthetic intrusion case (sample_evidence/).

``simulate(out_dir, scale, seed)`` writes the evidence tree, ``case.toml``, ``context/``, a README
and ``ground_truth.json``, and returns the ground truth.
"""

from __future__ import annotations

import pathlib
import sys
from collections.abc import Callable

from . import context
from .catalog import MODULE_ACTIONS
from .ground_truth import build, route_truth, to_json
from .mediboard import dt
from .mediboard_routes import INTEGRATION_LOGIN, users_row
from .model import BACKDOOR_ID, BACKDOOR_LOGIN
from .pipeline import Pipeline, generate, write_tree
from .routes import ROUTES
from .writers.outfile import dump_table, schema_sql

__all__ = ["MEDIBOARD_SCENARIOS", "simulate"]
#: What the Mediboard application plays: the sample case's own attack, each shared route, a quiet week.
MEDIBOARD_SCENARIOS = ("sample", *ROUTES, "none")
DEFAULT_SEED = 20241027


def _users_rows(pipe: Pipeline, quiet: bool = False) -> list[list[object]]:
    rows: list[list[object]] = []
    for u in pipe.world.clinic.users:
        rows.append(
            [
                u.user_id,
                u.login,
                u.user_type,
                u.first,
                u.last,
                u.email,
                u.is_robot,
                u.dont_log_connection,
                0,
                None,
                "2019-03-12 10:02:41"
                if u.login == "adm.interop"
                else "2024-10-21 07:45:00"
                if u.password_expired
                else "2024-08-19 09:12:00",
                0,
                0,
                1 if u.active else 0,
            ]
        )
    if quiet:
        return rows
    rows.append(
        [
            BACKDOOR_ID,
            BACKDOOR_LOGIN,
            1,
            "Support",
            "Xtrem",
            None,
            0,
            0,
            0,
            None,
            "2024-10-27 03:47:15",
            0,
            0,
            1,
        ]
    )
    return rows


def _route_users(pipe: Pipeline) -> list[list[object]]:
    """The users table of a week with routes: the clinic's accounts, the integration (since
    2022), and the accounts created during the week with their creation time."""
    week = pipe.routes
    assert week is not None
    created = {u.user_id: u for u in week.created}
    rows = []
    for row in _users_rows(pipe, quiet=True):
        u = pipe.world.clinic.by_id[int(row[0])]  # type: ignore[arg-type]
        if u.user_id in created:
            rows.append(users_row(u, dt(week.created_at[u.login])))
        elif u.login == INTEGRATION_LOGIN:
            rows.append(users_row(u, "2022-03-01 09:00:00"))
        else:
            rows.append(row)
    return rows


def _scenarios(scenarios: tuple[str, ...], quiet: bool) -> tuple[str, ...] | None:
    """The routes to play (``()`` for a quiet week), or None for the sample case's own attack."""
    names = tuple(dict.fromkeys(scenarios))
    unknown = [s for s in names if s not in MEDIBOARD_SCENARIOS]
    if unknown:
        raise ValueError(f"unknown scenario {unknown[0]!r} (known: {', '.join(MEDIBOARD_SCENARIOS)})")
    if quiet or names == ("none",):
        return ()
    if not names or names == ("sample",):
        return None
    if "sample" in names:
        raise ValueError("the sample case's attack is played alone (scenario sample)")
    return tuple(s for s in names if s != "none")


def simulate(
    out_dir: pathlib.Path,
    scale: float = 0.1,
    seed: int = DEFAULT_SEED,
    progress: Callable[[str], None] | None = None,
    command: str | None = None,
    quiet: bool = False,
    scenarios: tuple[str, ...] = (),
) -> dict:
    """Generate the case into ``out_dir`` (which must be empty or absent) and return the ground truth.

    Without ``scenarios`` (or with ``("sample",)``) it writes the sample case (its own attack).
    ``scenarios`` names routes to an account (``MEDIBOARD_SCENARIOS``, several at once) played
    on the clinic's week with its look-alikes; ``none`` (or ``quiet``) is that week with no
    attack: its ground truth names no compromised account and no attacker address.
    """
    out_dir = pathlib.Path(out_dir)
    prog = progress or (lambda msg: print(msg, file=sys.stderr))
    routes = _scenarios(scenarios, quiet)
    pipe, outputs = generate(scale, seed, prog, routes=routes)
    prog("writing Mediboard table dumps")
    tables = pipe.world.mb.table_rows()
    tables["users"] = _users_rows(pipe) if routes is None else _route_users(pipe)
    tables["module_action"] = [list(row) for row in MODULE_ACTIONS]
    table_counts = {}
    for name, rows in tables.items():
        path = f"mediboard_dump/{name}.tsv"
        outputs.files[path] = dump_table(rows)
    files = outputs.files
    files["case.toml"] = context.case_toml().encode("utf-8")
    files["context/ip_context.csv"] = context.ip_context()
    files["context/hosts.csv"] = context.hosts_csv()
    files["context/asn_geo_synthetic.csv"] = context.asn_geo()
    files["context/tor_exits_synthetic.txt"] = context.tor_exits()
    files["context/staff_roster.csv"] = context.staff_roster(pipe.world.clinic)
    files["context/mediboard_schema.sql"] = schema_sql().encode("utf-8")
    cmd = command or f"python -m forensics.simulate OUT_DIR --scale {scale} --seed {seed}"
    if routes is None:
        files["README.md"] = context.readme(scale, seed, cmd)
        truth = build(pipe, outputs, seed, scale, table_counts)
    else:
        files["README.md"] = context.routes_readme(scale, seed, cmd, list(routes))
        truth = route_truth(pipe, outputs, seed, scale, list(routes) or ["none"])
    files["ground_truth.json"] = to_json(truth)
    prog(f"writing {len(files)} files to {out_dir}")
    write_tree(out_dir, files)
    return truth

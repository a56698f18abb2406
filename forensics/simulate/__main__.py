"""``python -m forensics.simulate OUT_DIR [--scale 0.1] [--seed N] [--app mediboard|generic] [--scenario NAME]... [--force]``.

Without ``--app`` and ``--scenario`` it writes the sample case (Mediboard, its built-in attack).
``--app generic`` writes an invented REST back end whose audit trail is known only through the
generated case.toml.  ``--scenario`` (repeatable) picks the routes to an account the week
contains, the same routes on both applications, ``none`` for a quiet week; the Mediboard
application also knows ``sample`` (the sample case's own attack, the default, played alone).
"""

from __future__ import annotations

import argparse
import pathlib
import shutil
import sys
import time

from . import DEFAULT_SEED, MEDIBOARD_SCENARIOS, simulate
from .generic import SCENARIOS, simulate_generic


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m forensics.simulate", description=__doc__)
    parser.add_argument(
        "out_dir",
        type=pathlib.Path,
        help="folder to create (must be empty unless --force)",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=0.1,
        help="share of the normal traffic volume (default 0.1)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help=f"random seed (default {DEFAULT_SEED})",
    )
    parser.add_argument("--force", action="store_true", help="empty OUT_DIR first if it is not empty")
    parser.add_argument("--app", choices=("mediboard", "generic"), default="mediboard", help="application to simulate")
    parser.add_argument(
        "--scenario",
        action="append",
        default=[],
        help="route to an account (repeatable; 'none' for a quiet week): "
        f"{', '.join(SCENARIOS)} (both applications); sample (mediboard only, alone)",
    )
    parser.add_argument("--audit-format", choices=("jsonl", "csv"), default="jsonl", help="generic audit trail format")
    args = parser.parse_args(argv)
    known = MEDIBOARD_SCENARIOS if args.app == "mediboard" else ("none", *SCENARIOS)
    for name in args.scenario:
        if name not in known:
            parser.error(f"unknown scenario {name!r} for --app {args.app} (known: {', '.join(known)})")
    if args.app == "mediboard" and "sample" in args.scenario and len(set(args.scenario)) > 1:
        parser.error("the sample case's attack is played alone (--scenario sample)")
    out: pathlib.Path = args.out_dir
    if args.scale <= 0:
        parser.error("--scale must be positive")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        if not args.force:
            print(
                f"error: {out} exists and is not empty (use --force to replace its content)",
                file=sys.stderr,
            )
            return 2
        if out.is_dir():
            for child in sorted(out.iterdir()):
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        else:
            parser.error(f"{out} is not a folder")
    started = time.monotonic()
    if args.app == "generic":
        truth = simulate_generic(
            out, scale=args.scale, seed=args.seed, scenarios=tuple(args.scenario), audit_format=args.audit_format
        )
        print(
            f"done in {time.monotonic() - started:.1f} s: {len(truth['counts'])} files, "
            f"scenarios {', '.join(truth['scenarios'])}",
            file=sys.stderr,
        )
        return 0
    if args.scenario and args.scenario != ["sample"]:
        picked = " ".join(f"--scenario {s}" for s in args.scenario)
        command = f"python -m forensics.simulate {out} --scale {args.scale} --seed {args.seed} {picked}"
        truth = simulate(out, scale=args.scale, seed=args.seed, command=command, scenarios=tuple(args.scenario))
        print(
            f"done in {time.monotonic() - started:.1f} s: {len(truth['counts'])} files, "
            f"scenarios {', '.join(truth['scenarios'])}",
            file=sys.stderr,
        )
        return 0
    command = f"python -m forensics.simulate {out} --scale {args.scale} --seed {args.seed}"
    truth = simulate(out, scale=args.scale, seed=args.seed, command=command)
    print(
        f"done in {time.monotonic() - started:.1f} s: {len(truth['counts'])} files, "
        f"{truth['exfiltration']['csv_export_patients']} patients in the CSV chunks",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

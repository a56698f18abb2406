"""``python -m forensics.simulate OUT_DIR [--scale 0.1] [--seed N] [--force]``."""

from __future__ import annotations

import argparse
import pathlib
import shutil
import sys
import time

from . import DEFAULT_SEED, simulate


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
    args = parser.parse_args(argv)
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

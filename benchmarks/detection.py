"""Detection scorecard: every simulated route to an account x application profile x seed, plus quiet weeks.

    python benchmarks/detection.py [--scale 0.05] [--seeds 1 2 3] [--profiles mediboard generic]
                                   [--scenarios NAME ...] [--workdir DIR]

Each case is simulated (``forensics simulate``), ingested and correlated exactly as an
investigator would, then compared with its ground truth.  One table is printed, one row
per (profile, scenario), each cell aggregated over the seeds:

* ``right first``: the top-ranked account is one the attack used and its verdict is the
  expected one (``compromised``; ``suspicious`` for an insider), seeds where it holds;
* ``benign comp``: accounts the attack never touched that are ``compromised`` (must be 0; what
  an account the attack used created, such as an API key, was touched by the attack);
* ``benign susp``: the largest share of untouched accounts that are ``suspicious`` (<= 5 %);
* ``IP recall``: the smallest share of the attacker's addresses found (>= 0.9), and
  ``bad IPs``: addresses named that are not the attacker's (internal, benign or spoofed);
* ``first err``: the largest error on ``first_malicious`` (within 10 s), over the accounts
  the attack used and that were flagged;
* ``exfil``: seeds where every account with records taken has ``low <= truth <= high`` and
  an estimate within 15 %;
* ``backdoors``: seeds where every backdoor account was found (``created_accounts``);
* ``quiet``: for a quiet week (scenario ``none``), seeds with nobody compromised and no
  T1078 finding on an account.

Both profiles play every route (the same route definitions, written the way each
application records them); the Mediboard profile also plays the sample case's own attack
(``sample``).  The numbers are what the detection gives: no threshold is tuned here.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from forensics.correlate import correlate  # noqa: E402
from forensics.intake.engine import ingest  # noqa: E402
from forensics.simulate import MEDIBOARD_SCENARIOS, simulate  # noqa: E402
from forensics.simulate.generic import SCENARIOS, simulate_generic  # noqa: E402

PROFILES = ("mediboard", "generic")


@dataclass
class Run:
    """The comparison of one case's findings with its ground truth."""

    profile: str
    scenario: str
    seed: int
    right_first: bool | None = None
    benign_compromised: int = 0
    benign_suspicious: float = 0.0
    ip_recall: float | None = None
    bad_ips: list[str] = field(default_factory=list)
    first_error: float | None = None
    exfil_ok: bool | None = None
    backdoors_ok: bool | None = None
    quiet_ok: bool | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def _ts(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def normalise_truth(truth: dict[str, Any]) -> dict[str, Any]:
    """The generic ground-truth shape, also for the Mediboard sample case's own ground truth."""
    if "accounts" in truth:
        return truth
    acc = truth["compromised_account"]
    accounts = {
        acc: {
            "route": "sample",
            "expected": "compromised",
            "first_malicious": truth["first_malicious"],
            "records": truth["exfiltration"]["distinct_patients"],
        },
        truth["backdoor_account"]: {
            "route": "sample",
            "expected": "compromised",
            "first_malicious": None,  # created by the attacker; the sample names no use of it
            "records": 0,
        },
    }
    return {
        "accounts": accounts,
        "attacker_ips": truth["attacker_ips"],
        "spoofed_ips": truth.get("spoofed_ips", []),
        "backdoor_accounts": [truth["backdoor_account"]],
        "benign_ips": truth.get("benign_ips", []),
    }


def score(
    profile: str, scenario: str, seed: int, truth: dict[str, Any], findings: dict[str, Any], n_accounts: int
) -> Run:
    """Compare one case's ``findings.json`` with its ground truth."""
    t = normalise_truth(truth)
    run = Run(profile, scenario, seed)
    verdicts = {a["account"]: a for a in findings["accounts"]}
    involved = set(t["accounts"])
    # what the attacker left behind (an API key or an account created by an account the attack
    # used) was touched by the attack: it is not an innocent account
    involved |= {a["account"] for a in findings["accounts"] if a.get("created_by") in involved}
    benign = [a for a in verdicts.values() if a["account"] not in involved]
    run.benign_compromised = sum(a["verdict"] == "compromised" for a in benign)
    n_benign = max(1, n_accounts - len(involved & set(verdicts)))
    run.benign_suspicious = sum(a["verdict"] == "suspicious" for a in benign) / n_benign
    for a in benign:
        if a["verdict"] == "compromised":
            run.notes.append(f"benign {a['account']} compromised")
    if scenario == "none":
        t1078 = [
            f
            for f in findings["findings"]
            if f.get("account") and any(x.startswith("T1078") for x in f.get("techniques") or [])
        ]
        run.quiet_ok = run.benign_compromised == 0 and not t1078
        if t1078:
            run.notes.append(f"{len(t1078)} T1078 findings on {len({f['account'] for f in t1078})} accounts")
        run.bad_ips = list(findings["attacker_ips"])
        return run
    ranked = findings["accounts"]
    top = ranked[0] if ranked else None
    if top is not None and top["account"] in involved:
        run.right_first = top["verdict"] == t["accounts"][top["account"]]["expected"]
    else:
        run.right_first = False
    found = set(findings["attacker_ips"])
    truth_ips = set(t["attacker_ips"])
    run.ip_recall = len(found & truth_ips) / len(truth_ips) if truth_ips else None
    run.bad_ips = sorted(found - truth_ips)
    errors = []
    exfil_ok = []
    by_account = {e["account"]: e for e in findings["exfiltration"] if e["ip"] is None}
    for acc, v in t["accounts"].items():
        got = verdicts.get(acc)
        if got and got["verdict"] != "normal" and got.get("first_malicious") and v.get("first_malicious"):
            errors.append(abs((_ts(got["first_malicious"]) - _ts(v["first_malicious"])).total_seconds()))
        if v.get("records"):
            e = by_account.get(acc)
            truth_n = int(v["records"])
            if e is None:
                exfil_ok.append(False)
                run.notes.append(f"no exfiltration row for {acc} ({truth_n} records taken)")
            else:
                r = e["records"]
                ok = r["low"] <= truth_n <= r["high"] and abs(r["estimate"] - truth_n) <= 0.15 * truth_n
                exfil_ok.append(ok)
                if not ok:
                    run.notes.append(f"{acc}: {r['estimate']} ({r['low']}-{r['high']}) for {truth_n} records")
    run.first_error = max(errors) if errors else None
    run.exfil_ok = all(exfil_ok) if exfil_ok else None
    if t.get("backdoor_accounts"):
        run.backdoors_ok = set(t["backdoor_accounts"]) <= set(findings["created_accounts"])
    return run


def run_case(profile: str, scenario: str, seed: int, scale: float, workdir: Path) -> Run:
    """Simulate, ingest, correlate and score one case."""
    started = time.perf_counter()
    case = workdir / f"{profile}-{scenario}-{seed}"
    shutil.rmtree(case, ignore_errors=True)
    evidence, out = case / "evidence", case / "out"
    if profile == "generic":
        truth = simulate_generic(evidence, scale=scale, seed=seed, scenarios=(scenario,))
    else:
        truth = simulate(evidence, scale=scale, seed=seed, progress=lambda _m: None, scenarios=(scenario,))
    result = ingest(evidence, out, config=evidence / "case.toml")
    corr = correlate(result.out_dir, evidence / "case.toml")
    run = score(profile, scenario, seed, truth, corr.findings, corr.accounts.height)
    run.seconds = time.perf_counter() - started
    return run


def _frac(values: list[bool | None]) -> str:
    known = [v for v in values if v is not None]
    return f"{sum(known)}/{len(known)}" if known else "n/a"


def table(runs: list[Run]) -> str:
    """One Markdown table, one row per (profile, scenario)."""
    head = (
        "| profile | scenario | right first | benign comp | benign susp | IP recall | bad IPs | first err (s) | "
        "exfil | backdoors | quiet |"
    )
    lines = [head, "|" + "---|" * 11]
    groups: dict[tuple[str, str], list[Run]] = {}
    for r in runs:
        groups.setdefault((r.profile, r.scenario), []).append(r)
    for (profile, scenario), rs in groups.items():
        recalls = [r.ip_recall for r in rs if r.ip_recall is not None]
        errors = [r.first_error for r in rs if r.first_error is not None]
        quiet = scenario == "none"
        lines.append(
            "| "
            + " | ".join(
                [
                    profile,
                    scenario,
                    "-" if quiet else _frac([r.right_first for r in rs]),
                    str(sum(r.benign_compromised for r in rs)),
                    f"{100 * max(r.benign_suspicious for r in rs):.1f} %",
                    "-" if quiet else (f"{min(recalls):.2f}" if recalls else "n/a"),
                    str(max(len(r.bad_ips) for r in rs)),
                    "-" if quiet else (f"{max(errors):.0f}" if errors else "n/a"),
                    "-" if quiet else _frac([r.exfil_ok for r in rs]),
                    "-" if quiet else _frac([r.backdoors_ok for r in rs]),
                    _frac([r.quiet_ok for r in rs]) if quiet else "-",
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def plan(profiles: list[str], scenarios: list[str] | None) -> list[tuple[str, str]]:
    out = []
    for profile in profiles:
        names = list(MEDIBOARD_SCENARIOS) if profile == "mediboard" else [*SCENARIOS, "none"]
        if scenarios:
            names = [s for s in names if s in scenarios]
        out += [(profile, s) for s in names]
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--scale", type=float, default=0.05, help="traffic scale of every case (default 0.05)")
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    p.add_argument("--profiles", nargs="+", default=list(PROFILES), choices=PROFILES)
    p.add_argument("--scenarios", nargs="+", default=None, help="only these scenarios")
    p.add_argument("--workdir", type=Path, default=None, help="where cases are written (default: a temporary folder)")
    p.add_argument("--json", type=Path, default=None, help="also write every run as JSON")
    args = p.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="detection-"))
    runs: list[Run] = []
    for profile, scenario in plan(args.profiles, args.scenarios):
        for seed in args.seeds:
            r = run_case(profile, scenario, seed, args.scale, workdir)
            runs.append(r)
            notes = "; ".join(r.notes[:4])
            print(f"{profile:9} {scenario:20} seed {seed}: {r.seconds:5.1f} s {notes}", file=sys.stderr, flush=True)
            if args.json:  # written as it goes: a long run keeps what it measured
                args.json.write_text(json.dumps([r.__dict__ for r in runs], indent=1, default=str), encoding="utf-8")
    print(table(runs))
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in runs], indent=1, default=str), encoding="utf-8")
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

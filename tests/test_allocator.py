"""The allocator's options for ``forensics ingest``: set before polars loads, for that command only."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from forensics import allocator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["ingest", "EVIDENCE", "-o", "OUT"], allocator.INGEST_OPTIONS),
        (["ingest"], allocator.INGEST_OPTIONS),
        (["investigate", "EVIDENCE", "-o", "OUT"], None),  # correlation in the same process: polars' defaults
        (["correlate", "OUT"], None),
        (["report", "OUT"], None),
        (["--help"], None),
        ([], None),
        (["EVIDENCE", "ingest"], None),  # the command is the first word, not any word
    ],
)
def test_only_the_ingest_command_gets_the_options(argv: list[str], expected: str | None) -> None:
    assert allocator.options_for(argv, {}, polars_loaded=False) == expected


def test_a_setting_of_the_user_or_a_loaded_polars_is_left_alone() -> None:
    assert allocator.options_for(["ingest"], {allocator.ENV: "narenas:2"}, polars_loaded=False) is None
    assert allocator.options_for(["ingest"], {}, polars_loaded=True) is None


def _child(argv: list[str], env: dict[str, str]) -> list[str]:
    """What a fresh ``forensics`` process with ``argv`` sets: (what configure set, the variable after polars loaded)."""
    code = (
        "import sys; sys.argv = ['forensics', *sys.argv[1:]]\n"
        "import forensics.cli, forensics.allocator as a, os\n"
        "print(a.APPLIED); print(os.environ.get(a.ENV))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *argv], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return out.stdout.splitlines()


def test_the_command_sets_the_options_before_polars_loads() -> None:
    """Through the real import order of ``forensics.cli``: polars must not be loaded first, or jemalloc never sees them."""
    env = {k: v for k, v in os.environ.items() if k != allocator.ENV}
    applied, seen = _child(["ingest", "EVIDENCE"], env)
    assert applied == allocator.INGEST_OPTIONS
    # polars adds its own defaults in front; jemalloc takes the last value of an option
    assert seen.endswith(allocator.INGEST_OPTIONS)
    applied, seen = _child(["investigate", "EVIDENCE"], env)
    assert applied == "None"
    assert allocator.INGEST_OPTIONS not in seen
    applied, seen = _child(["ingest", "EVIDENCE"], {**env, allocator.ENV: "narenas:2"})
    assert applied == "None"
    assert seen.endswith("narenas:2")

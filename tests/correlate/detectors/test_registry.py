"""Detectors are one-file plugins: discovered, ordered, and complete in what they declare."""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

import pytest

import forensics.correlate.detectors as registry
from forensics.finding_text import EN, FR, OWNERS, codes


def test_every_module_of_the_package_is_a_registered_detector() -> None:
    files = sorted(p.stem for p in Path(registry.__file__).parent.glob("*.py") if not p.stem.startswith("_"))
    assert sorted(m.__name__.rsplit(".", 1)[1] for m in registry.MODULES) == files
    orders = [m.ORDER for m in registry.MODULES]
    assert orders == sorted(orders)
    assert [n for n, _ in registry.DETECTORS] == [m.NAME for m in registry.MODULES]


@pytest.mark.parametrize("mod", registry.MODULES, ids=lambda m: m.NAME)
def test_a_detector_declares_everything_about_itself(mod) -> None:  # type: ignore[no-untyped-def]
    assert (mod.__doc__ or "").strip(), "the first docstring line is what docs/detectors.md shows"
    for t in getattr(mod, "TECHNIQUES", ()):
        assert re.fullmatch(r"T\d{4}(?:\.\d{3})?", t)
    assert set(getattr(mod, "ACCESS_SIGNALS", ())) <= set(getattr(mod, "SIGNALS", {}))
    messages = getattr(mod, "MESSAGES", {})
    assert set(messages.get("en", {})) == set(messages.get("fr", {}))
    for code, template in messages.get("en", {}).items():
        assert OWNERS[code] == mod.NAME and EN[code] == template
        assert {n for n, _ in codes(template)} == {n for n, _ in codes(messages["fr"][code])}, code
        assert FR[code] == messages["fr"][code]
    assert all(
        part in {"own_history", "peers", "population", "campaign", "observed"} for part in mod.BASELINE.split("+")
    )


def test_a_new_module_is_found_without_touching_any_other_file(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """What docs/adding-a-detector.md promises: drop a file in the package, it runs in its order."""
    (tmp_path / "zz_example.py").write_text(
        textwrap.dedent(
            '''
            """An example detector (test only)."""
            NAME = "zz_example"
            ORDER = 95
            MESSAGES = {"en": {"zz.title": "x"}, "fr": {"zz.title": "x"}}


            def detect(ctx, prior):
                return []
            '''
        )
    )
    monkeypatch.setattr(registry, "__path__", [*registry.__path__, str(tmp_path)])
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        mods = registry.discover()
        names = [m.NAME for m in mods]
        assert names.index("zz_example") == names.index("recon") + 1  # recon is 90, bulk 100
    finally:
        sys.modules.pop("forensics.correlate.detectors.zz_example", None)

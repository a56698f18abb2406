from __future__ import annotations

import pathlib

import pytest

from forensics.simulate.__main__ import main


def test_refuses_a_non_empty_folder(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "keep.txt").write_text("x")
    assert main([str(tmp_path), "--scale", "0.002"]) == 2
    assert "not empty" in capsys.readouterr().err
    assert (tmp_path / "keep.txt").exists()


def test_force_and_case_toml(tmp_path: pathlib.Path) -> None:
    (tmp_path / "old.txt").write_text("x")
    assert main([str(tmp_path), "--scale", "0.002", "--force"]) == 0
    assert not (tmp_path / "old.txt").exists()
    import tomllib

    case = tomllib.loads((tmp_path / "case.toml").read_text())
    assert case["case"]["timezone"] == "Europe/Paris"
    assert case["network"]["trusted_proxies"] == ["10.10.0.5"]
    for src in case["source"]:
        # only the NTP-synchronised proxy states its clock; every other skew must be estimated
        assert "host" in src and "timezone" in src
        assert ("clock_offset" in src) == (src["host"] == "rp01"), src
        assert list(tmp_path.glob(src["path"])), src["path"]
    assert (tmp_path / case["network"]["ip_context"]).exists()

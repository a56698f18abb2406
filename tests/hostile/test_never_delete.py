"""Defect 1 of issue 16: the tool never deletes or writes anything it did not create in this run."""

from __future__ import annotations

from pathlib import Path

import pytest

from forensics.cli import app
from forensics.intake.engine import IngestError, ingest

from .conftest import LINE, manifest, runner, tree


def test_evidence_inside_the_output_parts_folder_is_refused_and_kept(tmp_path: Path) -> None:
    # mkdir -p t/OUT/.parts/web; echo "$L" > t/OUT/.parts/web/access.log; forensics ingest t/OUT/.parts -o t/OUT
    out = tmp_path / "OUT"
    evidence = out / ".parts"
    (evidence / "web").mkdir(parents=True)
    (evidence / "web" / "access.log").write_text(LINE)
    before = tree(evidence)
    result = runner.invoke(app, ["ingest", str(evidence), "-o", str(out), "-q"])
    assert result.exit_code != 0
    assert ("Traceback" not in result.output and result.exception is None) or isinstance(result.exception, SystemExit)
    assert "inside the output folder" in result.output
    assert tree(evidence) == before  # the evidence is still there, byte for byte
    assert not (out / "events.parquet").exists()


def test_evidence_anywhere_inside_the_output_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "case"
    (out / "logs").mkdir(parents=True)
    (out / "logs" / "access.log").write_text(LINE)
    with pytest.raises(IngestError, match="inside the output folder"):
        ingest(out / "logs", out)
    with pytest.raises(IngestError, match="inside the output folder"):
        ingest([out / "logs" / "access.log"], out)


def test_output_inside_the_evidence_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "ev"
    root.mkdir()
    (root / "access.log").write_text(LINE)
    with pytest.raises(IngestError, match="inside the evidence folder"):
        ingest(root, root / "out")
    assert not (root / "out").exists()


def test_an_earlier_working_folder_is_never_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``.parts`` folder found in OUT (an earlier, killed run; or anything else) is left as it was."""
    import forensics.intake.store as store_mod

    root = tmp_path / "ev"
    root.mkdir()
    (root / "access.log").write_text(LINE * 50)
    out = tmp_path / "out"
    (out / ".parts" / "events").mkdir(parents=True)
    (out / ".parts" / "events" / "keep.parquet").write_bytes(b"not ours")
    (out / ".parts-keep").mkdir()
    (out / ".parts-keep" / "x").write_bytes(b"not ours either")
    monkeypatch.setattr(store_mod, "MEMORY_BUDGET", 0)  # every chunk spills to this run's own folder
    ingest(root, out)
    assert (out / ".parts" / "events" / "keep.parquet").read_bytes() == b"not ours"
    assert (out / ".parts-keep" / "x").read_bytes() == b"not ours either"
    # this run's spill folder is gone, and nothing else of its own is left
    assert sorted(p.name for p in out.iterdir()) == [
        ".parts",
        ".parts-keep",
        "events.parquet",
        "manifest.json",
        "rejects.parquet",
    ]


def test_the_spill_folder_is_unique_to_the_run_and_removed_even_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import forensics.intake.engine as ingest_mod

    root = tmp_path / "ev"
    root.mkdir()
    (root / "access.log").write_text(LINE)
    out = tmp_path / "out"
    seen: list[Path] = []
    real = ingest_mod._run

    def failing(files, skipped, parts, *args, **kwargs):
        seen.append(parts)
        assert parts.parent == out and parts.name.startswith(".parts-") and parts.is_dir()
        raise RuntimeError("interrupted")

    monkeypatch.setattr(ingest_mod, "_run", failing)
    with pytest.raises(RuntimeError):
        ingest(root, out)
    assert seen and not seen[0].exists()
    monkeypatch.setattr(ingest_mod, "_run", real)
    ingest(root, out)
    assert manifest(out)["totals"]["events"] == 1

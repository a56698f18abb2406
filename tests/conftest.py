"""Shared test helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _find_corpus() -> Path:
    """``../shared/corpus`` beside the repository, or beside a folder holding the checkout."""
    for base in ROOT.parents:
        candidate = base / "shared" / "corpus"
        if candidate.is_dir():
            return candidate
    return ROOT.parent / "shared" / "corpus"


CORPUS = _find_corpus()


@pytest.fixture
def corpus() -> Path:
    """The shared conformance corpus; tests using it skip when it is absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"conformance corpus not found at {CORPUS} (it lives beside the repository, in ../shared/corpus)")
    return CORPUS


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", help="rewrite *.golden.jsonl files")


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


@pytest.fixture(scope="session")
def sample_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped sample case investigated once through the notebook API (an output folder)."""
    import forensics

    root = Path(__file__).resolve().parent.parent / "sample_evidence"
    out = tmp_path_factory.mktemp("sample-case") / "out"
    forensics.investigate(root, out=out, config=root / "case.toml", quiet=True)
    return out

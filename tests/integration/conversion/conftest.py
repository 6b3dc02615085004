"""Documents for the conversion tests: generated once per session, plus the committed real ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.documents.generate import REAL_WORLD, generate_all


@pytest.fixture(scope="session")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    files = generate_all(tmp_path_factory.mktemp("documents"))
    return {**files, **REAL_WORLD}

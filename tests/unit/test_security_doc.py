"""docs/security.md names the test behind each defence: every one it names must exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "security.md"
NAMED = re.compile(r"`((?:tests/)?[\w/]+\.py)::(test_\w+)`")


def test_every_test_the_security_table_names_exists() -> None:
    named = NAMED.findall(DOC.read_text(encoding="utf-8"))
    assert len(named) > 50
    missing = []
    for file, name in named:
        path = ROOT / file if file.startswith("tests/") else ROOT / "clients/python/tests" / file
        if not path.is_file() or not re.search(
            rf"^(async )?def {name}\(", path.read_text("utf-8"), re.M
        ):
            missing.append(f"{file}::{name}")
    assert missing == []

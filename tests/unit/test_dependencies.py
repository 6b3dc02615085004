"""A fresh `make serve` installs only the required dependencies (no extras): every package the
server's code imports at module level must be one of them. An import of an extra's package (Redis
once, in the rate limiter) passed every test, whose environment has the extras, and broke the
first start of a fresh install with ModuleNotFoundError."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "flipshelf"


def required() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {re.split(r"[\[<>=!~ ;]", spec, maxsplit=1)[0] for spec in project["dependencies"]}
    return {name.lower().replace("_", "-") for name in names}


def module_level_imports(path: Path) -> set[str]:
    """Top-level names imported when the module loads (not inside functions, which run only
    when asked: the Postgres driver is loaded by SQLAlchemy only for a PostgreSQL URL)."""
    found = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
    return found


def test_every_module_level_import_is_a_required_dependency() -> None:
    distributions = packages_distributions()
    allowed = required()
    missing = []
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for name in module_level_imports(path):
            if name in sys.stdlib_module_names or name in ("flipshelf", "__future__"):
                continue
            owners = {d.lower().replace("_", "-") for d in distributions.get(name, [])}
            if not owners & allowed:
                missing.append(f"{path.relative_to(ROOT)}: {name} ({', '.join(owners) or '?'})")
    assert missing == [], "imported at load time but not a required dependency:\n" + "\n".join(
        missing
    )


def test_the_check_sees_an_extra_imported_at_load_time(tmp_path: Path) -> None:
    """The check above can fail: psycopg is only an extra."""
    module = tmp_path / "m.py"
    module.write_text("from psycopg import connect\n")
    assert module_level_imports(module) == {"psycopg"}
    assert "psycopg" not in required() and "psycopg-binary" not in required()

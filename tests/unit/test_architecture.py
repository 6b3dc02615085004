"""The shape of the code, as docs/architecture.md states it: every package and top-level module is
in its table, each imports only what the table allows, no two packages import each other (even
through others), and storage keys are spelled only in domain/layout.py."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "flipshelf"
DOC = ROOT / "docs" / "architecture.md"
ROW = re.compile(r"^\| `([a-z_]+)(?:/|\.py)` \|.*\| (.+) \|$")
ANYTHING = "*"


def documented() -> dict[str, set[str]]:
    """The table: each package or top-level module and the ones it may import."""
    rules = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if match := ROW.match(line):
            allowed = match.group(2)
            names = set(re.findall(r"`([a-z_*]+)`", allowed)) if allowed != "nothing" else set()
            rules[match.group(1)] = names
    return rules


def unit_of(module: str) -> str:
    """The package or top-level module a `flipshelf.x.y` module belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "flipshelf"


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        name = ".".join(("flipshelf", *path.relative_to(SOURCE).with_suffix("").parts))
        yield name.removesuffix(".__init__"), path


def imports(path: Path) -> Iterator[str]:
    """Every flipshelf module the file imports, at any depth of the file."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.startswith("flipshelf."))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield from [node.module] if node.module.startswith("flipshelf.") else []


def graph() -> dict[str, dict[str, list[str]]]:
    """Unit -> unit it imports -> the files that do."""
    edges: dict[str, dict[str, list[str]]] = {}
    for name, path in modules():
        unit = unit_of(name)
        edges.setdefault(unit, {})
        for imported in imports(path):
            target = unit_of(imported)
            if target != unit:
                edges[unit].setdefault(target, []).append(str(path.relative_to(ROOT)))
    return edges


def test_the_table_names_every_package_and_module_and_nothing_else() -> None:
    units = {unit_of(name) for name, _ in modules()} - {"flipshelf"}
    assert set(documented()) == units


def test_each_package_imports_only_what_the_table_allows() -> None:
    rules = documented()
    breaches = [
        f"{unit} imports {target} ({', '.join(sorted(set(files)))})"
        for unit, targets in graph().items()
        if unit in rules and ANYTHING not in rules[unit]
        for target, files in targets.items()
        if target not in rules[unit]
    ]
    assert breaches == []


def test_no_two_packages_import_each_other_even_through_others() -> None:
    edges = {unit: set(targets) for unit, targets in graph().items()}

    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in edges.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    cycles = sorted(unit for unit in edges if unit in reach(unit))
    assert cycles == []


KEY_LITERAL = re.compile(r"""["'](flipbooks|collections|packages)/""")


def test_storage_keys_are_spelled_only_in_the_layout_module() -> None:
    spelled = [
        f"{path.relative_to(ROOT)}:{number}"
        for _name, path in modules()
        if path != SOURCE / "domain" / "layout.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if KEY_LITERAL.search(line)
    ]
    assert spelled == []

"""docs/configuration.md lists every setting exactly as `Settings` defines it, and nothing else.

The tables whose header is `| setting | environment variable | default | description |` are read
row by row; each row must match a field of `Settings` (its variable name, its default as an
operator would write it, its help text word for word), and every field must have a row.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from flipshelf.settings import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
HEADER = ["setting", "environment variable", "default", "description"]
EMPTY = "*(empty)*"


def cells(line: str) -> list[str]:
    """The cells of a Markdown table row; `\\|` is a literal bar inside a cell."""
    inner = line.strip().removeprefix("|").removesuffix("|")
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", inner)]


def unquote(cell: str) -> str:
    return cell[1:-1] if len(cell) >= 2 and cell[0] == cell[-1] == "`" else cell


def documented_rows() -> dict[str, dict[str, str]]:
    rows: dict[str, dict[str, str]] = {}
    in_table = False
    for number, line in enumerate(DOC.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.lstrip().startswith("|"):
            in_table = False
            continue
        row = cells(line)
        if [cell.lower() for cell in row] == HEADER:
            in_table = True
            continue
        if not in_table or set("".join(row)) <= set("-: "):
            continue
        assert len(row) == len(HEADER), f"configuration.md:{number}: {len(row)} cells"
        name = unquote(row[0])
        assert name not in rows, f"configuration.md:{number}: {name} listed twice"
        rows[name] = {
            "env": unquote(row[1]),
            "default": row[2] if row[2] == EMPTY else unquote(row[2]),
            "description": row[3],
        }
    return rows


def default_text(field: FieldInfo) -> str:
    """The default as an operator would write it in the environment variable."""
    value: Any = field.get_default(call_default_factory=True)
    assert value is not PydanticUndefined, "every setting needs a default"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return text if text else EMPTY


def expected_rows() -> dict[str, dict[str, str]]:
    prefix = Settings.model_config.get("env_prefix", "")
    return {
        name: {
            "env": f"{prefix}{name.upper()}",
            "default": default_text(field),
            "description": field.description or "",
        }
        for name, field in Settings.model_fields.items()
    }


def markdown_row(name: str, row: dict[str, str]) -> str:
    default = row["default"] if row["default"] == EMPTY else f"`{row['default']}`"
    description = row["description"].replace("|", "\\|")
    return f"| `{name}` | `{row['env']}` | {default} | {description} |"


def test_every_setting_is_documented() -> None:
    missing = set(expected_rows()) - set(documented_rows())
    rows = "\n".join(markdown_row(name, expected_rows()[name]) for name in sorted(missing))
    assert not missing, f"add these rows to docs/configuration.md:\n{rows}"


def test_every_documented_setting_exists() -> None:
    unknown = set(documented_rows()) - set(expected_rows())
    assert not unknown, f"docs/configuration.md lists settings that do not exist: {unknown}"


def test_documented_names_defaults_and_help_texts_match_the_settings() -> None:
    documented, expected = documented_rows(), expected_rows()
    wrong = [
        f"{markdown_row(name, documented[name])}\nshould be\n{markdown_row(name, expected[name])}"
        for name in sorted(set(documented) & set(expected))
        if documented[name] != expected[name]
    ]
    assert not wrong, "docs/configuration.md disagrees with Settings:\n\n" + "\n\n".join(wrong)


def test_every_setting_has_a_help_text() -> None:
    blank = [name for name, field in Settings.model_fields.items() if not field.description]
    assert not blank, f"settings without a description: {blank}"


def test_the_table_parser_reads_escaped_bars_and_code_spans() -> None:
    row = cells(r"| `a` | `FLIPSHELF_A` | `x\|y` | one \| two |")
    assert [unquote(cell) for cell in row] == ["a", "FLIPSHELF_A", "x|y", "one | two"]

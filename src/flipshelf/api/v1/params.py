"""Request parameters as the protocol sees them: first value per name, plus what was wrong.

Problems are recorded, not raised, because the order of checks (spec section 2) answers 30, 41
and 42 before a malformed request's 40.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

# C0 controls other than tab and newline: they have no place in a parameter and refusing them
# (with invalid UTF-8) closes the MD5 length-extension forgery, which needs NULs and \x80.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f]")
_INVALID_UTF8 = re.compile(r"[\udc80-\udcff]")


@dataclass
class Params:
    values: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def add(self, name: str, value: str) -> None:
        for text in (name, value):
            if _INVALID_UTF8.search(text):
                self.problems.append("a parameter is not valid UTF-8")
                return
            if _FORBIDDEN.search(text):
                self.problems.append("a parameter holds a control character")
                return
        if name in self.values:
            self.problems.append(f"parameter {name!r} given more than once")
            return
        self.values[name] = value

    def add_query(self, raw: bytes) -> None:
        """Adds `a=1&b=2` pairs; invalid UTF-8 is kept as surrogates so `add` can see it."""
        text = raw.decode("latin-1")
        for name, value in parse_qsl(
            text, keep_blank_values=True, encoding="utf-8", errors="surrogateescape"
        ):
            self.add(name, value)

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def present(self, name: str) -> str | None:
        """The value, treating an empty one as absent (for mandatory parameters)."""
        value = self.values.get(name)
        return value if value else None

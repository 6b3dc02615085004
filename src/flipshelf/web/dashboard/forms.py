"""Form fields as the dashboard reads them: first value per name, UTF-8, no control characters
other than tab and line breaks, browsers' CRLF line breaks made LF."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from flipshelf.domain.errors import BadRequest

_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_INVALID_UTF8 = re.compile(r"[\udc80-\udcff]")


@dataclass
class Form:
    values: dict[str, str] = field(default_factory=dict)
    problem: str | None = None

    def add(self, name: str, value: str) -> None:
        for text in (name, value):
            if _INVALID_UTF8.search(text):
                self.problem = "a field is not valid UTF-8"
            elif _FORBIDDEN.search(text):
                self.problem = "a field holds a control character"
        if name in self.values:
            self.problem = f"the field {name!r} was sent twice"
        if self.problem is None:
            self.values[name] = value.replace("\r\n", "\n")

    @classmethod
    def parse(cls, body: bytes) -> Form:
        form = cls()
        pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True, errors="surrogateescape")
        for name, value in pairs:
            form.add(name, value)
        return form

    def checked(self) -> Form:
        """The form, or 40 with what was wrong with it."""
        if self.problem is not None:
            raise BadRequest(self.problem)
        return self

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def present(self, name: str) -> str | None:
        """The value, an empty one counting as absent."""
        return self.values.get(name) or None

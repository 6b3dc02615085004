"""The one way owner text and document data reach a script: JSON that cannot end its element.

Used for the player's configuration block, the offline package's data scripts and the SEO
page's JSON-LD. HTML text and attributes go through Jinja2's autoescape instead.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

# `<`, `>` and `&` could close a <script> element or start markup; U+2028 and U+2029 end a
# line in older JavaScript engines (a data script is parsed as JavaScript, not only JSON).
_UNSAFE = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def script_json(value: Any) -> str:
    """JSON that is safe inside a script file and an HTML <script> element, whatever the
    strings in `value` contain; `json.loads` gives `value` back."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in _UNSAFE:
        text = text.replace(char, escaped)
    return text


def html_json(value: Any) -> Markup:
    """`script_json` as a Jinja2 filter's result: already safe, so autoescape leaves it alone."""
    return Markup(script_json(value))  # noqa: S704 - every markup-significant character is escaped

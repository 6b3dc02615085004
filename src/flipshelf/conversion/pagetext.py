"""A page's text as readers search and read it: what PDFium extracts, cleaned of its markers.

PDFium joins a word hyphenated across a line break and marks the join with U+0002
(`Spi\\x02derMonkey`); left in, the word cannot be found and the text view shows a stray control
character. The marker goes (the word is whole again: `SpiderMonkey`), and so does every other
character a reader cannot see or type: controls other than tab and line feed, soft hyphens,
noncharacters. Pure, so it is tested without PDFium.
"""

from __future__ import annotations

import re

# PDFium's mark for a hyphen it removed at a line end, joining the word's two halves (with the
# line break, if one is left after it).
_HYPHEN_JOIN = re.compile("\x02\n?")
_LINE_ENDS = re.compile(r"\r\n?")
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\ufeff\ufffe\uffff\U000ffffe\U000fffff\U0010fffe\U0010ffff]"
)


def clean_page_text(raw: str) -> str:
    """`raw` with `\\n` line ends, hyphen-joined words whole, and no invisible characters."""
    text = _HYPHEN_JOIN.sub("", _LINE_ENDS.sub("\n", raw))
    return _INVISIBLE.sub("", text)

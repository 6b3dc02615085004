"""A second chance for PDFs PDFium refuses: qpdf (through pikepdf) rewrites them, then PDFium
tries again. Runs only inside parsing processes, like `pdfium.py`.

PDFium already rebuilds many broken cross-reference tables itself; qpdf's recovery reaches further
(a file with no cross-reference table and no trailer at all, a trailer without its `/Root`), and
files like these open in poppler-based readers, so people expect them to work. A truncated file
is not repaired: it is refused before (`sniff.pdf_tail_is_complete`), since a "repaired" half
file shows blank or missing pages.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

_T = TypeVar("_T")


@contextlib.contextmanager
def repaired_copy(path: Path) -> Iterator[Path | None]:
    """A temporary copy of the PDF at `path` as qpdf rewrites it, removed on leaving; None when
    qpdf cannot read it either (or it needs a password)."""
    import pikepdf  # only here: most PDFs never need it, and it costs a parsing process 0.1 s

    descriptor, name = tempfile.mkstemp(prefix="flipshelf-repair-", suffix=".pdf")
    os.close(descriptor)
    copy = Path(name)
    try:
        try:
            with pikepdf.open(path) as pdf:
                pdf.save(copy)
        except (pikepdf.PdfError, ValueError, RuntimeError):
            yield None
            return
        yield copy
    finally:
        copy.unlink(missing_ok=True)


def open_repaired(path: Path, opener: Callable[[Path], _T]) -> _T | None:
    """`opener` applied to a repaired copy of `path`, or None when there is no copy. The copy
    is removed as soon as `opener` returns: what it opened keeps its own handle on the file."""
    with repaired_copy(path) as copy:
        return None if copy is None else opener(copy)

"""Two ways to draw a page's normal image; each worker learns which is cheaper.

- "preview": draw the page at thumbnail size first and look at it for colour, then draw the normal
  image straight in grayscale (whose JPEG encodes in two thirds of the time) or in colour. A text
  page draws at 200 px in a fraction of a millisecond, so this wins on text.
- "colour": draw the normal image in colour at once. A map or a photo costs PDFium nearly as much
  at 200 px as at 1,100 px (its images are decoded again), so the preview costs more than it saves.

Which wins depends on the document, and pages of one document tend to be alike, so rather than
guess from the document each worker measures (drawing and encoding): it keeps an average of what
each way cost on recent pages, uses the cheaper one, and tries the other one every `probe_every`
pages in case the document changed (a manual's text chapters, then its plots). Pure bookkeeping:
the caller times.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Way = Literal["preview", "colour"]
WAYS: tuple[Way, ...] = ("preview", "colour")


@dataclass
class WayChooser:
    """One worker's running estimate of each way's cost, in seconds per page.

    probe_every: every this many pages the way that is not the cheaper one is used, so its
        estimate stays current.
    weight: how much one new measurement moves an estimate (an exponential moving average).
    """

    probe_every: int = 8
    weight: float = 0.3
    _costs: dict[Way, float] = field(default_factory=dict)
    _pages: int = 0

    def choose(self) -> Way:
        self._pages += 1
        for way in WAYS:
            if way not in self._costs:
                return way  # measure each way once before comparing
        cheaper = min(WAYS, key=self._costs.__getitem__)
        if self._pages % self.probe_every == 0:
            return _other(cheaper)
        return cheaper

    def record(self, way: Way, seconds: float) -> None:
        old = self._costs.get(way)
        self._costs[way] = seconds if old is None else old + self.weight * (seconds - old)


def _other(way: Way) -> Way:
    return "colour" if way == "preview" else "preview"

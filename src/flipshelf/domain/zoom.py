"""The widths a page's zoom image is drawn at when a reader asks for it (web/zoom.py).

A closed set, so the images a book can have are few and each is drawn once for every reader:
the player asks for the smallest that covers the page's displayed width times devicePixelRatio
(player/static/player/zoom.js). 3x zoom on a 390 px wide phone at devicePixelRatio 3 shows a
page about 3,300 device pixels wide: the largest covers it.
"""

from __future__ import annotations

ZOOM_WIDTHS = (1200, 2400, 3600)

# The width a full offline package carries for pages without a zoom pass image: sharp at 2x on
# most screens, and one of ZOOM_WIDTHS, so a page a reader zoomed already costs no drawing.
PACKAGE_ZOOM_WIDTH = 2400

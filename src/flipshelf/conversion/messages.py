"""The messages between a parent and its parsing processes (conversion workers, upload checkers).

JSON on a pipe, never pickle: the child has parsed an untrusted file, so the parent must not
unpickle what it sends. Every command and every answer is a frozen dataclass here, and `encode`
and `decode_*` are the only code that knows their JSON shape.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from flipshelf.conversion import errors
from flipshelf.conversion.images import ReencodedImage
from flipshelf.conversion.manifest import OutlineEntry, Page, PageImage

# --- commands (parent to child) ------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    """Open the document and count its pages. A checker, which serves many uploads, is told
    which file (`path`, `kind`); a conversion worker opens the one it was started for."""

    path: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class Describe:
    """Every page's size and the document's outline, before any page is drawn."""


@dataclass(frozen=True)
class DrawPage:
    """The thumbnail and normal images of page `index` (from 0)."""

    index: int


@dataclass(frozen=True)
class ReadText:
    """The text, word boxes and links of page `index` (from 0), once every page is drawn. The
    answer is a `PageDrawn` whose page has these and no images."""

    index: int


@dataclass(frozen=True)
class DrawZoom:
    """The zoom image of page `index` (from 0)."""

    index: int


@dataclass(frozen=True)
class DrawZoomAt:
    """A checker's command: the zoom image of page `index` (from 0) of the document at `path`,
    `width` pixels wide, written to `dst` (an on-demand zoom image, see `pages.draw_zoom_at`)."""

    path: str
    kind: str
    index: int
    width: int
    dst: str


@dataclass(frozen=True)
class Reencode:
    """A logo or background, re-encoded from `src` into `dst` (see `images.reencode`)."""

    src: str
    dst: str
    max_side: int


@dataclass(frozen=True)
class Stop:
    """Leave: nothing more to do."""


Command = Count | Describe | DrawPage | ReadText | DrawZoom | DrawZoomAt | Reencode | Stop

_COMMANDS: dict[str, type[Command]] = {
    "count": Count,
    "describe": Describe,
    "page": DrawPage,
    "text": ReadText,
    "zoom": DrawZoom,
    "zoom_at": DrawZoomAt,
    "reencode": Reencode,
    "stop": Stop,
}
_OPS = {kind: op for op, kind in _COMMANDS.items()}


# --- answers (child to parent) -------------------------------------------------------------


@dataclass(frozen=True)
class Counted:
    count: int
    kind: str


@dataclass(frozen=True)
class Described:
    sizes: tuple[tuple[float, float], ...]
    outline: tuple[OutlineEntry, ...]


@dataclass(frozen=True)
class PageDrawn:
    page: Page


@dataclass(frozen=True)
class ZoomDrawn:
    index: int
    image: PageImage


@dataclass(frozen=True)
class Reencoded:
    image: ReencodedImage


RefusalKind = Literal["unsupported", "failed", "limit"]


@dataclass(frozen=True)
class Refused:
    """The child could not do it: `unsupported` (the file is not acceptable), `limit` (it hit
    a resource limit) or `failed` (it could not be drawn)."""

    kind: RefusalKind
    reason: str

    @staticmethod
    def of(error: errors.ConversionError) -> Refused:
        if isinstance(error, errors.UnsupportedDocument):
            return Refused("unsupported", error.reason)
        return Refused("failed", error.reason)

    def error(self) -> errors.ConversionError:
        if self.kind == "unsupported":
            return errors.UnsupportedDocument(self.reason)
        if self.kind == "limit":
            return errors.ResourceLimitExceeded(self.reason)
        return errors.ConversionFailed(self.reason)


Answer = Counted | Described | PageDrawn | ZoomDrawn | Reencoded | Refused

_A = TypeVar("_A", Counted, Described, PageDrawn, ZoomDrawn, Reencoded)


def expect(answer: Answer, kind: type[_A]) -> _A:
    """The answer as the kind the command asked for; any other is a child gone wrong."""
    if isinstance(answer, Refused):
        raise answer.error()
    if not isinstance(answer, kind):
        raise errors.ConversionFailed(errors.RENDERER_CRASHED)
    return answer


# --- the wire ------------------------------------------------------------------------------


def encode_command(command: Command) -> bytes:
    fields: dict[str, Any] = dict(command.__dict__)
    return json.dumps({"op": _OPS[type(command)], **fields}).encode()


def decode_command(data: bytes) -> Command:
    message = json.loads(data)
    kind = _COMMANDS.get(message.pop("op", None))
    if kind is None:
        raise ValueError("unknown command")
    return kind(**message)


def encode_answer(answer: Answer) -> bytes:
    return json.dumps(_answer_json(answer)).encode()


def _answer_json(answer: Answer) -> dict[str, Any]:
    if isinstance(answer, Counted):
        return {"count": answer.count, "kind": answer.kind}
    if isinstance(answer, Described):
        outline = [entry.to_json() for entry in answer.outline]
        return {"sizes": [list(size) for size in answer.sizes], "outline": outline}
    if isinstance(answer, PageDrawn):
        return {"page": answer.page.to_json()}
    if isinstance(answer, ZoomDrawn):
        return {"zoom": {"index": answer.index, "image": answer.image.to_json()}}
    if isinstance(answer, Reencoded):
        image = answer.image
        return {"reencoded": {"format": image.format, "width": image.width, "height": image.height}}
    return {"error": answer.kind, "reason": answer.reason}


def decode_answer(data: bytes) -> Answer:
    """The child's answer; anything malformed counts as a crashed child."""
    try:
        return _answer(json.loads(data))
    except (ValueError, KeyError, TypeError):
        return Refused("failed", errors.RENDERER_CRASHED)


def _answer(message: dict[str, Any]) -> Answer:
    if "error" in message:
        reason = str(message.get("reason") or errors.RENDERER_CRASHED)
        if message["error"] == "unsupported":
            return Refused("unsupported", reason)
        return Refused("limit" if message["error"] == "limit" else "failed", reason)
    if "count" in message:
        return Counted(int(message["count"]), str(message["kind"]))
    if "sizes" in message:
        sizes = tuple((float(w), float(h)) for w, h in message["sizes"])
        return Described(sizes, tuple(OutlineEntry.from_json(e) for e in message["outline"]))
    if "page" in message:
        return PageDrawn(Page.from_json(message["page"]))
    if "zoom" in message:
        zoom = message["zoom"]
        return ZoomDrawn(int(zoom["index"]), PageImage.from_json(zoom["image"]))
    if "reencoded" in message:
        done = message["reencoded"]
        size = int(done["width"]), int(done["height"])
        if done["format"] == "png":
            return Reencoded(ReencodedImage("png", *size))
        return Reencoded(ReencodedImage("jpeg", *size))
    raise ValueError("unknown answer")

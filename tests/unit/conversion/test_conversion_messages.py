"""The parent/child messages of parsing processes: each command and answer survives the wire
unchanged, and anything malformed from a child counts as a crash, never as data."""

from __future__ import annotations

import pytest

from flipshelf.conversion import errors
from flipshelf.conversion.images import ReencodedImage
from flipshelf.conversion.manifest import Link, OutlineEntry, Page, PageImage
from flipshelf.conversion.messages import (
    Answer,
    Command,
    Count,
    Counted,
    Describe,
    Described,
    DrawPage,
    DrawZoom,
    PageDrawn,
    Reencode,
    Reencoded,
    Refused,
    Stop,
    ZoomDrawn,
    decode_answer,
    decode_command,
    encode_answer,
    encode_command,
    expect,
)

COMMANDS: list[Command] = [
    Count(),
    Count("/tmp/upload.pdf", "pdf"),
    Describe(),
    DrawPage(3),
    DrawZoom(0),
    Reencode("/tmp/a.png", "/tmp/b", 2400),
    Stop(),
]
PAGE = Page(
    2,
    595.0,
    842.0,
    {"thumb": PageImage("pages/0002-thumb.jpg", 141, 200)},
    "text/0002.txt",
    (Link((0.1, 0.1, 0.5, 0.2), uri="https://example.org/"),),
)
ANSWERS: list[Answer] = [
    Counted(12, "pdf"),
    Described(((595.0, 842.0), (842.0, 595.0)), (OutlineEntry("Start", 1, ()),)),
    PageDrawn(PAGE),
    ZoomDrawn(1, PageImage("pages/0002-zoom.jpg", 1556, 2200)),
    Reencoded(ReencodedImage("png", 300, 120)),
    Reencoded(ReencodedImage("jpeg", 300, 120)),
    Refused("unsupported", errors.PASSWORD_PROTECTED),
    Refused("limit", errors.OUT_OF_MEMORY),
    Refused("failed", errors.RENDERER_CRASHED),
]


@pytest.mark.parametrize("command", COMMANDS, ids=repr)
def test_every_command_survives_the_wire(command: Command) -> None:
    assert decode_command(encode_command(command)) == command


@pytest.mark.parametrize("answer", ANSWERS, ids=repr)
def test_every_answer_survives_the_wire(answer: Answer) -> None:
    assert decode_answer(encode_answer(answer)) == answer


@pytest.mark.parametrize(
    "garbage", [b"[]", b"{}", b'{"count": "x"}', b"not json", b'{"page": {"number": 1}}']
)
def test_a_malformed_answer_is_a_crashed_child(garbage: bytes) -> None:
    assert decode_answer(garbage) == Refused("failed", errors.RENDERER_CRASHED)


def test_an_unknown_command_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown command"):
        decode_command(b'{"op": "format-disk"}')


def test_expect_raises_the_refusal_and_rejects_the_wrong_kind() -> None:
    with pytest.raises(errors.UnsupportedDocument, match="password"):
        expect(Refused("unsupported", errors.PASSWORD_PROTECTED), Counted)
    with pytest.raises(errors.ConversionFailed, match="crashed"):
        expect(Counted(1, "pdf"), PageDrawn)
    assert expect(Counted(1, "pdf"), Counted).count == 1

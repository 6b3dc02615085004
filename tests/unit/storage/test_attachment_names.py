from __future__ import annotations

from pathlib import Path

import pytest

from flipshelf.storage import MemoryFileStore


@pytest.mark.parametrize("name", ['a".zip', "a\r\nSet-Cookie: x.zip", "é.zip", "", "a b.zip"])
def test_an_attachment_name_that_could_break_the_header_is_refused(
    tmp_path: Path, name: str
) -> None:
    source = tmp_path / "f.zip"
    source.write_bytes(b"zip")
    store = MemoryFileStore()
    with pytest.raises(ValueError):
        store.adopt_file("packages/a.zip", source, attachment=name)
    assert not store.exists("packages/a.zip")


def test_a_plain_attachment_name_is_kept(tmp_path: Path) -> None:
    source = tmp_path / "f.zip"
    source.write_bytes(b"zip")
    store = MemoryFileStore()
    store.adopt_file("packages/a.zip", source, attachment="spring-k3v9q2m8xz.zip")
    assert store.get_bytes("packages/a.zip") == b"zip"

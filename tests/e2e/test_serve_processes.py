"""The processes the installed `flipshelf serve` runs when idle are the ones docs/self-hosting.md
("Memory") lists: the API, FLIPSHELF_WORKERS workers, and for upload checks one fork server, its
resource tracker and one warm checker. Every process costs memory, so one more is a change."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from tests.served import serving, trouble

SETTLED_WITHIN = 30.0


def descendants(root: int) -> list[int]:
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        for children in Path(f"/proc/{pid}/task").glob("*/children"):
            try:
                kids = [int(child) for child in children.read_text().split()]
            except OSError:
                continue  # gone while we looked
            found += kids
            todo += kids
    return found


def kind(pid: int) -> str:
    try:
        line = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        parent_line = Path(f"/proc/{parent}/cmdline").read_bytes().decode(errors="replace")
    except (OSError, ValueError, IndexError):
        return "gone"
    if "flipshelf worker" in line:
        return "worker"
    if "resource_tracker" in line:
        return "resource tracker"
    if "forkserver" in line:
        # A fork server's children carry its command line: the one whose parent does not.
        return "forked by the fork server" if "forkserver" in parent_line else "fork server"
    return line


def test_idle_serve_runs_its_workers_and_one_upload_checker(tmp_path: Path) -> None:
    expected = Counter(
        {"worker": 2, "fork server": 1, "resource tracker": 1, "forked by the fork server": 1}
    )
    with serving(tmp_path / "data", workers="2") as running:
        running.wait_until_serving()
        deadline = time.monotonic() + SETTLED_WITHIN
        seen: Counter[str] = Counter()
        while time.monotonic() < deadline:
            seen = Counter(kind(pid) for pid in descendants(running.process.pid))
            if seen == expected:
                break
            time.sleep(0.2)
        assert seen == expected
    assert trouble(running.lines) == [], "\n".join(running.lines)

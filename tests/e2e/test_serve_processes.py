"""The processes the installed `flipshelf serve` runs when idle are the ones docs/self-hosting.md
("Memory") lists: the API, the zygote and the FLIPSHELF_WORKERS workers it forked (upload checkers
are forked by the zygote when an upload comes); without workers (scaled out: no zygote), one fork
server, its resource tracker and one warm checker for upload checks. Every process costs memory,
so one more is a change. None outlives serve, even killed with -9."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.e2e.test_installed_serve import Remote
from tests.served import live_members, serving, trouble
from tests.support import KeyPair

SETTLED_WITHIN = 30.0


def children(pid: int) -> list[int]:
    """The process's children, whichever of its threads started them."""
    found = []
    for listed in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in listed.read_text().split()]
        except OSError:
            continue  # gone while we looked
    return found


def descendants(root: int) -> list[int]:
    found, todo = [], [root]
    while todo:
        kids = children(todo.pop())
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
    if line.startswith("flipshelf worker"):
        return "worker" if "flipshelf zygote" in parent_line else "worker not from the zygote"
    if line.endswith("-m flipshelf worker "):
        return "exec'd worker"
    if line.startswith("flipshelf zygote"):
        return "zygote"
    if line.startswith("flipshelf upload checker"):
        return "checker" if "flipshelf zygote" in parent_line else "checker not from the zygote"
    if "resource_tracker" in line:
        return "resource tracker"
    if "forkserver" in line:
        # A fork server's children carry its command line: the one whose parent does not.
        return "forked by the fork server" if "forkserver" in parent_line else "fork server"
    return line


def forked_workers(root: int, count: int) -> None:
    """Waits until serve (`root`) runs `count` workers forked by its zygote."""
    deadline = time.monotonic() + SETTLED_WITHIN
    while Counter(kind(pid) for pid in descendants(root))["worker"] < count:
        assert time.monotonic() < deadline, "the workers did not start"
        time.sleep(0.2)


@pytest.mark.parametrize(
    ("workers", "expected"),
    [
        ("2", Counter({"zygote": 1, "worker": 2})),
        # Scaled out (workers run elsewhere): no zygote idling beside the API.
        ("0", Counter({"fork server": 1, "resource tracker": 1, "forked by the fork server": 1})),
    ],
)
def test_idle_serve_runs_its_workers_and_one_upload_checker(
    tmp_path: Path, workers: str, expected: Counter[str]
) -> None:
    with serving(tmp_path / "data", workers=workers) as running:
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


def test_serve_killed_with_9_leaves_no_process_behind(tmp_path: Path) -> None:
    """kill -9 gives serve no chance to stop anything: its zygote, the workers the zygote
    forked and the upload checkers must still end by themselves (parent-death signals, pipes
    closing), never live on as orphans converting nobody's documents."""
    with serving(tmp_path / "data", workers="2") as running:
        running.wait_until_serving()
        group = running.process.pid
        forked_workers(group, 2)
        os.kill(running.process.pid, signal.SIGKILL)
        running.process.wait(timeout=30)
        deadline = time.monotonic() + SETTLED_WITHIN
        while (left := live_members(group)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert left == [], [kind(pid) for pid in left]


def checked(remote: Remote, documents: dict[str, Path]) -> None:
    """An upload check answers both ways: a good PDF accepted, a password-protected one refused."""
    good = remote.upload("collection.create", documents["text"].read_bytes())
    assert good["code"] == 20, good
    refused = remote.upload("collection.create", documents["encrypted"].read_bytes())
    assert refused["code"] == 45 and refused["reason"] == "password-protected PDF", refused


def test_upload_checks_run_in_a_checker_the_zygote_forked(
    tmp_path: Path, documents: dict[str, Path]
) -> None:
    """The first upload has the zygote fork a checker, which answers checks both ways and stays
    for the next ones: a refused file is an answer, not a crash."""
    with serving(tmp_path / "data", workers="1", upload_check_seconds="60") as running:
        pair = KeyPair(*running.key_pair())  # printed before it listens
        remote = Remote(running.wait_until_serving(), pair)
        root = running.process.pid
        forked_workers(root, 1)
        checkers = lambda: [pid for pid in descendants(root) if kind(pid) == "checker"]  # noqa: E731
        assert checkers() == []  # none before it is needed
        with remote.http:
            checked(remote, documents)
            (checker,) = checkers()
            checked(remote, documents)
        assert checkers() == [checker]
        # The API started no fork server of its own (a worker converting the upload may have).
        assert "fork server" not in {kind(pid) for pid in children(root)}
    assert trouble(running.lines) == [], "\n".join(running.lines)


def test_a_killed_zygote_gives_way_to_workers_started_as_programs(
    tmp_path: Path, documents: dict[str, Path]
) -> None:
    """The zygote killed (by an operator, or the OOM killer): its workers and checker go with
    it, and serve replaces them with exec'd `flipshelf worker` processes and checkers from a
    fork server instead of converting and checking nothing."""
    with serving(tmp_path / "data", workers="2", upload_check_seconds="60") as running:
        pair = KeyPair(*running.key_pair())  # printed before it listens
        remote = Remote(running.wait_until_serving(), pair)
        root = running.process.pid
        forked_workers(root, 2)
        [zygote] = [pid for pid in descendants(root) if kind(pid) == "zygote"]
        os.kill(zygote, signal.SIGKILL)
        deadline = time.monotonic() + SETTLED_WITHIN
        seen: Counter[str] = Counter()
        while time.monotonic() < deadline:
            seen = Counter(kind(pid) for pid in descendants(root))
            if seen["exec'd worker"] == 2 and not (
                seen["worker"] or seen["zygote"] or seen["checker"]
            ):
                break
            time.sleep(0.2)
        assert seen["exec'd worker"] == 2 and not (seen["worker"] or seen["checker"]), seen
        with remote.http:
            checked(remote, documents)
        # The checker came from the API's own fork server (an exec'd worker converting the
        # upload may run a fork server and renderers of its own beside it).
        (api_fork_server,) = [pid for pid in children(root) if kind(pid) == "fork server"]
        assert [kind(pid) for pid in children(api_fork_server)] == ["forked by the fork server"]
        deadline = time.monotonic() + SETTLED_WITHIN  # and they run (2 forked + 2 exec'd)
        while running.output().count("worker started") < 4:
            assert time.monotonic() < deadline, running.output()
            time.sleep(0.2)
    assert "workers are started as programs from now on" in running.output()
    assert trouble(running.lines) == [], "\n".join(running.lines)

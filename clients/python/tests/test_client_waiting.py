"""wait_until_complete and download_package on a fake clock: the pauses they take, that polling
stays within the default rate limits (5 a second, 60 a minute), that 31/32 lengthen the next
pause, and timeouts."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

import flipshelf_client as fc
from fakes import (
    Answer,
    FakeClock,
    FakeServer,
    Sent,
    client_for,
    collection_wire,
    envelope,
    item_wire,
)
from flipshelf_client.plans import Backoff


def converting(rounds: int) -> FakeServer:
    """A collection whose one item converts a page per poll for `rounds` polls."""
    answers: list[Answer] = [
        envelope(data=collection_wire("k3v9q2m8xz", item_wire("PROCESSING", ready, 40)))
        for ready in range(rounds)
    ]
    answers.append(envelope(data=collection_wire("k3v9q2m8xz", item_wire("COMPLETE", 40, 40))))
    return FakeServer(answers)


def moments(clock_start: float, slept: list[float]) -> list[float]:
    """When each call was made: at the start, then after each pause."""
    times = [clock_start]
    for pause in slept:
        times.append(times[-1] + pause)
    return times


def test_waiting_backs_off_and_reports_pages_ready() -> None:
    clock, server = FakeClock(), converting(12)
    seen: list[tuple[int, int | None]] = []

    def progress(collection: fc.Collection) -> None:
        seen.append((collection.items[0].pages_ready, collection.items[0].page_count))

    with client_for(server, clock) as client:
        done = client.wait_until_complete("k3v9q2m8xz", on_progress=progress)
    assert done.items[0].convert_status is fc.ConvertStatus.COMPLETE
    assert seen == [(n, 40) for n in range(12)] + [(40, 40)]
    assert clock.slept[:4] == [1.0, 1.5, 2.25, 3.375]
    assert max(clock.slept) == 8.0 and len(server.sent) == 13


def test_polling_keeps_within_five_a_second_and_sixty_a_minute() -> None:
    clock, server = FakeClock(), converting(200)
    with client_for(server, clock) as client:
        client.wait_until_complete("k3v9q2m8xz", timeout=3600)
    calls = moments(1000.0, clock.slept)
    assert len(calls) == 201
    for i, start in enumerate(calls):
        in_second = [t for t in calls[i:] if t < start + 1]
        in_minute = [t for t in calls[i:] if t < start + 60]
        assert len(in_second) <= 1 and len(in_minute) <= 11  # of the 5 and 60 allowed


def test_a_rate_limit_refusal_makes_the_next_pause_as_long_as_the_server_asks() -> None:
    clock = FakeClock()
    done = envelope(data=collection_wire("k3v9q2m8xz", item_wire()))
    server = FakeServer([envelope(32), envelope(31), done])
    with client_for(server, clock) as client:
        client.wait_until_complete("k3v9q2m8xz")
    # 32 asks for at least 5 s (more than the 1 s backoff); 31 for 1 s (less than 1.5 s).
    assert clock.slept == [5.0, 1.5]


def test_network_faults_and_maintenance_are_waited_out() -> None:
    clock = FakeClock()
    done = envelope(data=collection_wire("k3v9q2m8xz", item_wire()))
    server = FakeServer([httpx.ConnectError("refused"), envelope(22), envelope(50), done])
    with client_for(server, clock) as client:
        client.wait_until_complete("k3v9q2m8xz")
    assert len(server.sent) == 4


def test_a_gateways_502_503_504_are_waited_out_but_other_http_errors_are_not() -> None:
    done = envelope(data=collection_wire("k3v9q2m8xz", item_wire()))
    gateway = [httpx.Response(status, text="Bad gateway") for status in (502, 503, 504)]
    server = FakeServer([*gateway, done])
    with client_for(server) as client:
        client.wait_until_complete("k3v9q2m8xz")
    assert len(server.sent) == 4
    server = FakeServer([httpx.Response(404, text="Not found"), done])
    with client_for(server) as client, pytest.raises(fc.ProtocolError) as raised:
        client.wait_until_complete("k3v9q2m8xz")
    assert not isinstance(raised.value, fc.GatewayUnavailable) and len(server.sent) == 1


def test_other_refusals_end_the_wait_at_once() -> None:
    server = FakeServer([envelope(43)])
    with client_for(server) as client, pytest.raises(fc.Forbidden):
        client.wait_until_complete("k3v9q2m8xz")
    assert len(server.sent) == 1


def test_a_wait_gives_up_at_its_timeout_without_sleeping_past_it() -> None:
    clock, server = FakeClock(), converting(10_000)
    with client_for(server, clock) as client, pytest.raises(fc.WaitTimeout) as raised:
        client.wait_until_complete("k3v9q2m8xz", timeout=30)
    assert isinstance(raised.value, TimeoutError)
    assert sum(clock.slept) <= 30
    assert "within 30 s" in str(raised.value)


def test_a_timeout_after_faults_chains_the_last_fault() -> None:
    clock = FakeClock()
    server = FakeServer([httpx.ConnectError("refused")])
    with client_for(server, clock) as client, pytest.raises(fc.WaitTimeout) as raised:
        client.wait_until_complete("k3v9q2m8xz", timeout=5)
    assert isinstance(raised.value.__cause__, fc.TransportError)


def test_a_failed_item_raises_unless_asked_not_to() -> None:
    failed = envelope(data=collection_wire("k3v9q2m8xz", item_wire(), item_wire("FAILED", 0, None)))
    with client_for(FakeServer([failed])) as client:
        with pytest.raises(fc.ConversionFailed, match="not a PDF") as raised:
            client.wait_until_complete("k3v9q2m8xz")
        assert len(raised.value.collection.failed_items) == 1
        kept = client.wait_until_complete("k3v9q2m8xz", raise_on_failure=False)
    assert [i.convert_status for i in kept.items] == [
        fc.ConvertStatus.COMPLETE,
        fc.ConvertStatus.FAILED,
    ]


def test_a_custom_backoff_is_used() -> None:
    clock, server = FakeClock(), converting(4)
    with client_for(server, clock) as client:
        client.wait_until_complete("k3v9q2m8xz", backoff=Backoff(first=2, factor=2, longest=5))
    assert clock.slept == [2, 4, 5, 5]


ZIP = b"PK\x03\x04" + b"z" * 300_000


def package_server(statuses: list[str], download: list[httpx.Response] | None = None) -> FakeServer:
    """downloadHTML answers `statuses` in turn; the resource URL answers `download` in turn."""
    answers = list(statuses)
    files = list(download or [httpx.Response(200, content=ZIP)])

    def respond(sent: Sent) -> dict[str, object] | httpx.Response:
        if sent.method == "GET" and "action" not in sent.params:
            return files.pop(0) if len(files) > 1 else files[0]
        status = answers.pop(0) if len(answers) > 1 else answers[0]
        if status.isdigit():
            return envelope(int(status))
        data = {"status": status}
        if status == "COMPLETE":
            data["resourceUrl"] = "http://books.test/packages/7.zip?v=3&exp=1&sig=ab"
        return envelope(data=data)

    return FakeServer(respond=respond)


def test_download_package_waits_for_the_build_then_streams_the_zip(tmp_path: Path) -> None:
    clock = FakeClock()
    server = package_server(["38", "PROCESSING", "PROCESSING", "COMPLETE"])
    progress: list[tuple[int, int | None]] = []
    statuses: list[fc.PackageStatus] = []
    target = tmp_path / "out" / "book.zip"
    with client_for(server, clock) as client:
        got = client.download_package(
            "k3v9q2m8xz",
            target,
            on_progress=lambda r, t: progress.append((r, t)),
            on_status=statuses.append,
        )
    assert got == target and target.read_bytes() == ZIP
    assert statuses == ["PROCESSING", "PROCESSING", "COMPLETE"]
    assert progress[0] == (0, len(ZIP)) and progress[-1] == (len(ZIP), len(ZIP))
    assert clock.slept == [1.0, 1.5, 2.25]
    assert list(target.parent.iterdir()) == [target]  # no partial file left


def test_an_expired_link_is_asked_for_again(tmp_path: Path) -> None:
    server = package_server(
        ["COMPLETE"], [httpx.Response(410, text="expired"), httpx.Response(200, content=ZIP)]
    )
    with client_for(server) as client:
        client.download_package("k3v9q2m8xz", tmp_path / "a.zip")
    assert (tmp_path / "a.zip").read_bytes() == ZIP
    assert sum(1 for s in server.sent if s.params.get("action") == "collection.downloadHTML") == 2


def test_a_refused_download_leaves_nothing_behind(tmp_path: Path) -> None:
    server = package_server(["COMPLETE"], [httpx.Response(403, text="not valid")])
    with client_for(server) as client, pytest.raises(fc.DownloadFailed) as raised:
        client.download_package("k3v9q2m8xz", tmp_path / "a.zip")
    assert raised.value.http_status == 403
    assert list(tmp_path.iterdir()) == []


def test_a_failed_build_raises(tmp_path: Path) -> None:
    with (
        client_for(package_server(["PROCESSING", "FAILED"])) as client,
        pytest.raises(fc.PackageFailed),
    ):
        client.download_package("k3v9q2m8xz", tmp_path / "a.zip")


def test_an_existing_file_is_replaced_only_by_a_whole_download(tmp_path: Path) -> None:
    target = tmp_path / "a.zip"
    target.write_bytes(b"old")
    broken = httpx.Response(200, content=b"PK", headers={"Content-Length": "100"})
    with (
        client_for(package_server(["COMPLETE"], [broken])) as client,
        pytest.raises(fc.TransportError),
    ):
        client.download_package("k3v9q2m8xz", target)
    assert target.read_bytes() == b"old" and list(tmp_path.iterdir()) == [target]

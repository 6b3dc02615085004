"""What the client sends and how it reads answers, against a scripted MockTransport server:
parameters, signatures, streamed uploads with progress, and every error code as its exception."""

from __future__ import annotations

import io
import os
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

import flipshelf_client as fc
from fakes import (
    KEY,
    SECRET,
    FakeClock,
    FakeServer,
    client_for,
    collection_wire,
    envelope,
    item_wire,
)
from flipshelf_client.errors import BY_CODE
from flipshelf_client.signing import canonical_string, hmac_signature, md5_signature
from flipshelf_client.uploads import CHUNK


def unsigned(params: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in params.items() if k != "signature"}


def test_a_read_is_a_signed_get_with_the_parameters_in_the_query() -> None:
    server = FakeServer([envelope(data=collection_wire())])
    with client_for(server) as client:
        found = client.get_collection("k3v9q2m8xz")
    [sent] = server.sent
    assert sent.method == "GET"
    assert sent.params == {
        "action": "collection.getCollection",
        "apiKey": KEY,
        "collectionHash": "k3v9q2m8xz",
        "signature": md5_signature(SECRET, unsigned(sent.params)),
    }
    assert sent.headers["user-agent"].startswith("flipshelf-client")
    assert found.collection_hash == "k3v9q2m8xz" and found.width == 650 and found.items == ()


def test_values_are_written_as_the_server_reads_them() -> None:
    stats = {
        "impressions": 1,
        "views": 2,
        "time_spent": 3,
        "downloads": 4,
        "pages": [{"page": 1, "time_spent": 3, "clicks": 0, "views": 2}],
    }
    server = FakeServer([envelope(data=stats)])
    with client_for(server) as client:
        got = client.get_stats(
            "k3v9q2m8xz",
            start_date=date(2026, 1, 2),
            end_date="2026-02-03",
            include_page_stats=True,
        )
    assert server.sent[0].params["startDate"] == "2026-01-02"
    assert server.sent[0].params["endDate"] == "2026-02-03"
    assert server.sent[0].params["includePageStats"] == "true"
    assert got == fc.Stats(1, 2, 3, 4, (fc.PageStats(1, 3, 0, 2),))


def test_update_sends_only_what_changes_and_an_empty_title_clears_it() -> None:
    server = FakeServer([envelope(data=collection_wire())])
    with client_for(server) as client:
        client.update_collection(
            "k3v9q2m8xz", title="", status=fc.CollectionStatus.UNLISTED, rtl=False, width=800
        )
    params = unsigned(server.sent[0].params)
    assert params == {
        "action": "collection.update",
        "apiKey": KEY,
        "collectionHash": "k3v9q2m8xz",
        "title": "",
        "collectionStatus": "unlisted",
        "rtl": "false",
        "collectionWidth": "800",
    }


def test_list_names_its_window_from_and_to() -> None:
    server = FakeServer([envelope(data={"collectionCount": 7, "collections": [collection_wire()]})])
    with client_for(server) as client:
        listing = client.list_collections(start=5, stop=6, order_by="title", order_mode="asc")
    assert unsigned(server.sent[0].params) == {
        "action": "collection.getList",
        "apiKey": KEY,
        "from": "5",
        "to": "6",
        "orderBy": "title",
        "orderMode": "asc",
    }
    assert listing.collection_count == 7 and len(listing.collections) == 1


def test_hmac_mode_sends_a_fresh_timestamp_and_nonce_and_an_hmac_signature() -> None:
    server = FakeServer([envelope(data={"embedCode": "<iframe></iframe>"})])
    with client_for(server, signing="hmac-sha256") as client:
        assert client.get_embed("k3v9q2m8xz", responsive=True) == "<iframe></iframe>"
        client.get_embed("k3v9q2m8xz", responsive=True)
    first, second = (s.params for s in server.sent)
    assert first["signatureMethod"] == "HMAC-SHA256" and first["responsive"] == "true"
    assert abs(int(first["timestamp"]) - int(__import__("time").time())) < 60
    assert first["nonce"] != second["nonce"]
    assert first["signature"] == hmac_signature(SECRET, unsigned(first))
    assert canonical_string(first).startswith("action=collection.getEmbed&apiKey=")


def test_strict_md5_signs_timestamp_and_nonce() -> None:
    server = FakeServer([envelope(data={"url": "http://x/widget/k?exp=1&sig=2"})])
    with client_for(server, signing=fc.Signing.MD5_STRICT) as client:
        client.get_private_link("k3v9q2m8xz", expires_in=3600)
    params = server.sent[0].params
    assert {"timestamp", "nonce", "expiresIn"} <= set(params) and "signatureMethod" not in params
    assert params["signature"] == md5_signature(SECRET, unsigned(params))


def test_an_upload_from_a_path_streams_the_file_after_the_fields(tmp_path: Path) -> None:
    document = tmp_path / "spring catalogue.pdf"
    content = os.urandom(3 * CHUNK + 123)
    document.write_bytes(content)
    seen: list[tuple[int, int | None]] = []
    server = FakeServer([envelope(data=collection_wire("k3v9q2m8xz", item_wire("PROCESSING", 0)))])
    with client_for(server) as client:
        created = client.create_collection(
            document, title="Spring", width=800, on_progress=lambda s, t: seen.append((s, t))
        )
    [sent] = server.sent
    assert sent.method == "POST" and sent.file == content
    assert sent.filename == "spring catalogue.pdf"
    assert sent.params["title"] == "Spring" and sent.params["collectionWidth"] == "800"
    assert sent.params["signature"] == md5_signature(SECRET, unsigned(sent.params))
    assert "file" not in sent.params
    # Credentials come before the file part, so the server can refuse them unread.
    assert sent.body.index(b'name="apiKey"') < sent.body.index(b'name="file"')
    assert int(sent.headers["content-length"]) == len(sent.body)
    assert seen[0] == (0, len(content)) and seen[-1] == (len(content), len(content))
    assert [s for s, _ in seen] == sorted(s for s, _ in seen) and len(seen) == 5
    assert created.items[0].convert_status is fc.ConvertStatus.PROCESSING


def test_an_upload_from_a_file_object_starts_where_it_stands() -> None:
    stream = io.BytesIO(b"HEADER" + b"%PDF-1.7 body")
    stream.seek(6)
    server = FakeServer([envelope(data=collection_wire())])
    with client_for(server) as client:
        client.add_flipbook("k3v9q2m8xz", stream, title="Two", filename="../../etc/two.pdf")
    [sent] = server.sent
    assert sent.file == b"%PDF-1.7 body" and sent.filename == "two.pdf"
    assert sent.params["action"] == "flipbook.add" and sent.params["collectionHash"] == "k3v9q2m8xz"


class Unseekable(io.RawIOBase):
    """A pipe-like stream: no size known beforehand."""

    def __init__(self, data: bytes) -> None:
        self.data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self.data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_a_stream_of_unknown_size_is_sent_chunked_with_progress_totals_unknown() -> None:
    seen: list[tuple[int, int | None]] = []
    server = FakeServer([envelope(data=collection_wire())])
    with client_for(server) as client:
        client.set_logo(
            "k3v9q2m8xz",
            io.BufferedReader(Unseekable(b"\x89PNG" * 1000)),
            filename="logo.png",
            on_progress=lambda s, t: seen.append((s, t)),
        )
    [sent] = server.sent
    assert sent.file == b"\x89PNG" * 1000
    assert "content-length" not in sent.headers
    assert sent.headers["transfer-encoding"] == "chunked"
    assert seen[-1] == (4000, None)


def test_file_url_variants_post_the_url_without_a_file_part() -> None:
    server = FakeServer([envelope(data=collection_wire())])
    with client_for(server) as client:
        client.create_collection(file_url="https://files.example.com/a.pdf", title="A")
        client.set_background_image("k3v9q2m8xz", file_url="https://files.example.com/b.jpg")
    for sent in server.sent:
        assert sent.method == "POST" and sent.file is None
        assert sent.params["fileUrl"].startswith("https://files.example.com/")
    assert server.sent[1].params["action"] == "collection.setBackgroundImage"


def test_an_upload_takes_exactly_one_of_file_and_file_url(tmp_path: Path) -> None:
    with (
        client_for(FakeServer([envelope()])) as client,
        pytest.raises(ValueError, match="exactly one"),
    ):
        client.create_collection()
        with pytest.raises(ValueError, match="exactly one"):
            client.create_collection(tmp_path, file_url="https://x.example/a.pdf")


@pytest.mark.parametrize("code", sorted(BY_CODE))
def test_every_code_raises_its_exception_with_code_status_and_request_id(code: int) -> None:
    server = FakeServer([envelope(code, status=f"status {code}")])
    with client_for(server, rate_limit_retries=0) as client, pytest.raises(BY_CODE[code]) as raised:
        client.get_user_stats()
    error = raised.value
    assert isinstance(error, fc.ApiError) and isinstance(error, fc.FlipshelfError)
    assert (error.code, error.status, error.request_id) == (
        code,
        f"status {code}",
        "0123456789abcdef",
    )
    assert f"user.getStats: {code}" in str(error) and SECRET not in str(error)


def test_groups_catch_their_families() -> None:
    assert issubclass(fc.PerSecondLimit, fc.RateLimited) and issubclass(
        fc.PerMinuteLimit, fc.RateLimited
    )
    assert issubclass(fc.Forbidden, fc.NotFound) and issubclass(
        fc.InvalidCollectionHash, fc.NotFound
    )
    assert issubclass(fc.InvalidSignature, fc.AuthenticationError)
    assert issubclass(fc.InvalidCredentials, fc.AuthenticationError)
    for kind in (
        fc.UploadQuotaExceeded,
        fc.FileTooLarge,
        fc.TooManyPages,
        fc.MultipleFiles,
        fc.InvalidFileFormat,
    ):
        assert issubclass(kind, fc.UploadRejected)


def test_an_unknown_code_and_a_reason_are_kept() -> None:
    server = FakeServer([{"code": 99, "status": "Something new", "reason": "why"}])
    with client_for(server) as client, pytest.raises(fc.ApiError) as raised:
        client.get_user_stats()
    assert type(raised.value) is fc.ApiError
    assert raised.value.code == 99 and raised.value.reason == "why"
    assert "(why)" in str(raised.value)


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(502, text="Bad gateway"),
        httpx.Response(200, text="<html>not the API</html>"),
        httpx.Response(200, json=["a list"]),
        httpx.Response(200, json={"code": 20, "status": "OK"}),  # no data
        httpx.Response(200, json={"code": 20, "data": {"collectionTitle": "no hash"}}),
    ],
)
def test_answers_that_are_not_v1_envelopes_are_protocol_errors(answer: httpx.Response) -> None:
    with client_for(FakeServer([answer])) as client, pytest.raises(fc.ProtocolError):
        client.get_collection("k3v9q2m8xz")


def test_network_faults_are_wrapped_and_chained() -> None:
    fault = httpx.ConnectError("connection refused")
    with client_for(FakeServer([fault])) as client, pytest.raises(fc.TransportError) as raised:
        client.get_user_stats()
    assert raised.value.__cause__ is fault and "user.getStats" in str(raised.value)


def test_a_rate_limited_call_is_sent_again_after_the_pause_the_server_asks() -> None:
    clock = FakeClock()
    stats = {"impressions": 0, "views": 0, "time_spent": 0, "downloads": 0, "api_uploads_left": 9}
    server = FakeServer([envelope(31), envelope(32), envelope(data=stats)])
    with client_for(server, clock) as client:
        assert client.get_user_stats().api_uploads_left == 9
    assert clock.slept == [1.0, 10.0]  # 31: one second; 32: five, doubled on the second try
    assert len({s.params["signature"] for s in server.sent}) == 1  # md5: same call, same signature


def test_the_default_retries_outwait_the_minute_window() -> None:
    clock = FakeClock()
    server = FakeServer([envelope(32)])
    with client_for(server, clock) as client, pytest.raises(fc.PerMinuteLimit):
        client.get_user_stats()
    assert clock.slept == [5.0, 10.0, 20.0, 40.0] and sum(clock.slept) > 60


def test_rate_limit_retries_end_with_the_error() -> None:
    clock = FakeClock()
    server = FakeServer([envelope(31)])
    with (
        client_for(server, clock, rate_limit_retries=2) as client,
        pytest.raises(fc.PerSecondLimit),
    ):
        client.get_user_stats()
    assert len(server.sent) == 3 and clock.slept == [1.0, 2.0]


def test_retries_are_signed_anew_so_strict_mode_never_reuses_a_nonce(tmp_path: Path) -> None:
    document = tmp_path / "a.pdf"
    document.write_bytes(b"%PDF-1.4 tiny")
    server = FakeServer([envelope(31), envelope(data=collection_wire())])
    with client_for(server, signing="md5-strict") as client:
        client.create_collection(document)
    first, second = server.sent
    assert first.params["nonce"] != second.params["nonce"]
    assert first.file == second.file == b"%PDF-1.4 tiny"  # the path is read again


def test_a_retried_upload_from_a_file_object_sends_it_whole_again() -> None:
    stream = io.BytesIO(b"skip%PDF-1.4 tiny")
    stream.seek(4)  # sent from where it stands, in every attempt
    progress: list[tuple[int, int | None]] = []
    server = FakeServer([envelope(31), envelope(data=collection_wire())])
    with client_for(server) as client:
        client.create_collection(
            stream, filename="a.pdf", on_progress=lambda sent, total: progress.append((sent, total))
        )
    first, second = server.sent
    assert first.file == second.file == b"%PDF-1.4 tiny"
    assert progress == [(0, 13), (13, 13)] * 2


def test_an_upload_from_a_stream_that_cannot_rewind_is_not_retried() -> None:
    server = FakeServer([envelope(31), envelope(data=collection_wire())])
    with client_for(server) as client, pytest.raises(fc.PerSecondLimit):
        client.create_collection(io.BufferedReader(Unseekable(b"%PDF")), filename="a.pdf")
    assert len(server.sent) == 1


def test_raw_call_reaches_actions_the_client_does_not_know_yet() -> None:
    server = FakeServer([envelope(data={"webhookId": "w1", "secret": "s"})])
    with client_for(server) as client:
        answer = client.call("user.setWebhook", {"url": "https://hooks.example.com", "events": ""})
    assert answer == {"webhookId": "w1", "secret": "s"}
    assert server.sent[0].params["events"] == "" and server.sent[0].method == "GET"


def test_the_secret_never_shows_in_a_repr() -> None:
    with client_for(FakeServer([envelope()])) as client:
        assert SECRET not in repr(client) and SECRET not in repr(client.credentials)
        assert "http://books.test/v1/" in repr(client)


@pytest.mark.parametrize(
    ("given", "endpoint"),
    [
        ("http://books.test", "http://books.test/v1/"),
        ("http://books.test/", "http://books.test/v1/"),
        ("https://books.test/v1", "https://books.test/v1/"),
        ("https://books.test/shelf/v1/", "https://books.test/shelf/v1/"),
    ],
)
def test_the_endpoint_comes_from_any_form_of_the_base_url(given: str, endpoint: str) -> None:
    assert fc.Client(given, KEY, SECRET).credentials.endpoint == endpoint


def test_a_url_that_is_not_http_fails_at_construction() -> None:
    with pytest.raises(ValueError, match="http"):
        fc.Client("books.test", KEY, SECRET)


def test_quotes_and_line_breaks_cannot_break_out_of_the_part_header() -> None:
    server = FakeServer([envelope(data=collection_wire())])
    with client_for(server) as client:
        client.create_collection(
            io.BytesIO(b"%PDF"), filename='a"; name="action\r\nX-Evil: 1.pdf', title='t"\r\n'
        )
    [sent] = server.sent
    assert sent.filename == "a%22; name=%22action%0D%0AX-Evil: 1.pdf"
    assert sent.params["action"] == "collection.create" and sent.params["title"] == 't"\r\n'
    assert b"\r\nX-Evil" not in sent.body


def test_api_calls_never_follow_a_redirect_with_the_signed_parameters() -> None:
    moved = httpx.Response(302, headers={"Location": "http://elsewhere.test/steal"})
    server = FakeServer([moved])
    with client_for(server) as client, pytest.raises(fc.ProtocolError, match="HTTP 302"):
        client.get_user_stats()
    assert len(server.sent) == 1

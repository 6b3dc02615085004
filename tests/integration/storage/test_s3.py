"""What only S3 has: signed links readers fetch directly, prefixes that share a bucket, clean-up of
failed multipart uploads, and the guard against forking after use. Needs FLIPSHELF_TEST_S3_URL."""

from __future__ import annotations

import os
import signal
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from flipshelf.runtime import s3_credentials
from flipshelf.settings import Settings
from flipshelf.storage import S3FileStore, Store, StoreUnusableAfterFork, make_store
from flipshelf.storage.objects import PART_SIZE
from tests.integration.storage.conftest import s3_spec
from tests.integration.storage.test_contract import failing

KEY = "flipbooks/abc123/book/pages/0001-normal.jpg"


def fetch(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:  # only the loopback test server
        return response.status, response.headers["Content-Type"], response.read()


def test_a_signed_url_is_fetchable_without_credentials(s3_store: Store) -> None:
    s3_store.put_bytes(KEY, b"\xff\xd8 jpeg")
    url = s3_store.signed_url(KEY, timedelta(minutes=5))
    assert url is not None
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=300" in url
    assert fetch(url) == (200, "image/jpeg", b"\xff\xd8 jpeg")


def test_a_signed_url_for_a_missing_key_answers_404(s3_store: Store) -> None:
    url = s3_store.signed_url("flipbooks/none/source.pdf", timedelta(minutes=5))
    assert url is not None
    with pytest.raises(urllib.error.HTTPError) as error:
        fetch(url)
    assert error.value.code == 404


@pytest.mark.parametrize("expires_in", [timedelta(0), timedelta(days=7, seconds=1)])
def test_signed_urls_last_between_a_second_and_seven_days(
    s3_store: Store, expires_in: timedelta
) -> None:
    with pytest.raises(ValueError, match="7 days"):
        s3_store.signed_url(KEY, expires_in)


def test_objects_carry_a_content_type_by_extension(s3_store: Store) -> None:
    for key, expected in [
        ("a/m.json", "application/json"),
        ("a/s.pdf", "application/pdf"),
        ("a/t.txt", "text/plain"),
        ("a/blob", "application/octet-stream"),
    ]:
        s3_store.put_bytes(key, b"x")
        url = s3_store.signed_url(key, timedelta(minutes=1))
        assert url is not None and fetch(url)[1] == expected


def test_an_adopted_attachment_downloads_under_its_name(s3_store: Store, tmp_path: Path) -> None:
    staged = tmp_path / "package"
    staged.write_bytes(b"PK zip")
    s3_store.adopt_file("packages/a/1-1/a.zip", staged, attachment="my-book.zip")
    url = s3_store.signed_url("packages/a/1-1/a.zip", timedelta(minutes=1))
    assert url is not None
    with urllib.request.urlopen(url, timeout=10) as response:  # only the loopback test server
        assert response.headers["Content-Disposition"] == 'attachment; filename="my-book.zip"'
        assert response.headers["Content-Type"] == "application/zip"


def test_two_prefixes_in_one_bucket_never_see_each_other() -> None:
    first, second = s3_spec().make(), s3_spec().make()
    first.put_bytes(KEY, b"first")
    assert not second.exists(KEY)
    second.put_bytes(KEY, b"second")
    second.delete_prefix("flipbooks")
    assert first.get_bytes(KEY) == b"first"


def pending_uploads(store: S3FileStore) -> bytes:
    """The bucket's unfinished multipart uploads (moto answers this listing unsigned)."""
    location = store.location
    url = f"{location.endpoint}/{location.bucket}?uploads&prefix={location.prefix}"
    with urllib.request.urlopen(url, timeout=10) as response:  # only the loopback test server
        return bytes(response.read())


def test_a_failed_multipart_put_is_aborted_not_left_hidden(tmp_path: Path) -> None:
    store = s3_spec().make()
    assert isinstance(store, S3FileStore)
    source = tmp_path / "big"
    source.write_bytes(os.urandom(3 * PART_SIZE))
    with pytest.raises(OSError, match="simulated read error"):
        store.put_file("a/big.bin", failing(source, 2))
    assert b"<Upload>" not in pending_uploads(store)  # no parts left costing storage
    assert not store.exists("a/big.bin")


def test_a_process_forked_after_using_s3_fails_fast_instead_of_hanging() -> None:
    store = s3_spec().make()
    store.put_bytes(KEY, b"parent")  # starts obstore's runtime in this process
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report what happened through the pipe, never return to pytest
        signal.alarm(20)  # a hang would otherwise outlive the test
        try:
            store.get_bytes(KEY)
            outcome = b"no error"
        except StoreUnusableAfterFork:
            outcome = b"refused"
        except BaseException as other:
            outcome = repr(other).encode()
        os.write(write_end, outcome)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        outcome = pipe.read()
    os.waitpid(pid, 0)
    assert outcome == b"refused"
    assert store.get_bytes(KEY) == b"parent"  # the parent is unaffected


def test_the_endpoint_is_taken_from_the_url() -> None:
    store = s3_spec().make()
    assert isinstance(store, S3FileStore)
    assert urlsplit(store.location.endpoint).hostname == "127.0.0.1"


def test_the_key_pair_from_settings_signs_requests_before_aws_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operator's FLIPSHELF_S3_* pair is what the runtime's store signs with, even where
    AWS_* variables name another key (the presigned link names the key that signed it)."""
    spec = s3_spec()
    assert spec.credentials is not None
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "SOMEONE-ELSES-KEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "someone-elses-secret")
    settings = Settings(
        data_dir=tmp_path,
        storage_url=spec.url,
        s3_access_key_id=spec.credentials.access_key_id,
        s3_secret_access_key=spec.credentials.secret_access_key,
    )
    store = make_store(settings.resolved_storage_url(), s3_credentials(settings))
    store.put_bytes(KEY, b"from settings")
    url = store.signed_url(KEY, timedelta(minutes=1))
    assert url is not None
    assert f"X-Amz-Credential={spec.credentials.access_key_id}%2F" in url
    assert fetch(url)[2] == b"from settings"

"""Choosing a backend from the storage URL, and the S3 options it carries (no I/O: building an S3
client contacts nothing)."""

from __future__ import annotations

import pytest

from flipshelf.storage import (
    MemoryFileStore,
    S3Credentials,
    S3FileStore,
    S3Location,
    make_store,
)
from flipshelf.storage.s3 import parse_s3_url, s3_config

NO_CREDENTIALS = S3Credentials()


def test_memory_url_gives_a_memory_store() -> None:
    assert isinstance(make_store("memory://"), MemoryFileStore)


def test_each_memory_store_is_its_own() -> None:
    first, second = make_store("memory://"), make_store("memory://")
    first.put_bytes("a/b", b"x")
    assert not second.exists("a/b")


def test_s3_url_gives_an_s3_store() -> None:
    store = make_store("s3://books/prod?endpoint=http://127.0.0.1:9000&region=eu-west-1")
    assert isinstance(store, S3FileStore)
    assert store.location == S3Location(
        bucket="books", prefix="prod", endpoint="http://127.0.0.1:9000", region="eu-west-1"
    )


def test_a_bare_bucket_means_aws_defaults() -> None:
    assert parse_s3_url("s3://my-books") == S3Location(bucket="my-books")
    assert s3_config(S3Location(bucket="my-books"), NO_CREDENTIALS) == {}


def test_the_prefix_may_have_several_segments_and_slashes_around() -> None:
    assert parse_s3_url("s3://books/a/b/").prefix == "a/b"


def test_s3_config_carries_endpoint_region_and_credentials() -> None:
    location = parse_s3_url("s3://books?endpoint=https://s3.example.net/&region=auto")
    config = s3_config(location, S3Credentials("AKIDEXAMPLE", "s3cr3t"))
    assert config == {
        "endpoint": "https://s3.example.net",
        "region": "auto",
        "access_key_id": "AKIDEXAMPLE",
        "secret_access_key": "s3cr3t",
    }


def test_virtual_hosted_style_puts_the_bucket_in_the_endpoint_host() -> None:
    location = parse_s3_url("s3://books?endpoint=https://s3.example.net:8443&path_style=false")
    assert not location.path_style
    config = s3_config(location, NO_CREDENTIALS)
    assert config["endpoint"] == "https://books.s3.example.net:8443"
    assert config["virtual_hosted_style_request"] is True


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("s3://key:secret@books", "credentials in settings"),
        ("s3://Bad_Bucket", "bucket name"),
        ("s3://b", "bucket name"),
        ("s3://books/../x", "storage key"),
        ("s3://books?endpont=http://x", "unknown S3 URL options"),
        ("s3://books?region=a&region=b", "twice"),
        ("s3://books?endpoint=ftp://x", "http:// or https://"),
        ("s3://books?path_style=maybe", "true or false"),
    ],
)
def test_a_bad_s3_url_is_refused_with_the_reason(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_store(url)


def test_an_error_never_repeats_a_url_that_may_hold_a_secret() -> None:
    with pytest.raises(ValueError) as error:
        make_store("gs://key:hunter2@bucket")
    assert "hunter2" not in str(error.value)
    assert "'gs'" in str(error.value)


@pytest.mark.parametrize(
    "url", ["", "memory://x", "memory://?a=1", "file://otherhost/srv", "file:relative/x"]
)
def test_other_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        make_store(url)


def test_credentials_never_show_their_secret() -> None:
    text = repr(S3Credentials("AKIDEXAMPLE", "s3cr3t"))
    assert "AKIDEXAMPLE" in text and "s3cr3t" not in text

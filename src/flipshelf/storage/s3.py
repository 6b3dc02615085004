"""Stored files in an S3-compatible bucket (AWS, MinIO, Ceph, Garage, R2, ...), through obstore.

Configured by a URL, `s3://bucket/prefix?endpoint=URL&region=R&path_style=true`, and credentials
from settings; empty credentials leave obstore to its standard AWS_* variables and instance roles.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

import obstore
from obstore.store import S3Store

from flipshelf.storage.keys import check_key
from flipshelf.storage.objects import ObjectFileStore

if TYPE_CHECKING:
    from obstore.store import ClientConfig, ObjectStore, S3Config

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_OPTIONS = frozenset({"endpoint", "region", "path_style"})
_TRUE, _FALSE = frozenset({"true", "1", "yes"}), frozenset({"false", "0", "no"})


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str = ""  # keys live under it: several installations can share a bucket
    endpoint: str = ""  # empty: AWS itself
    region: str = ""  # empty: AWS_REGION, else us-east-1
    path_style: bool = True  # http://host/bucket/key: what MinIO and most other servers expect


@dataclass(frozen=True)
class S3Credentials:
    access_key_id: str = ""
    secret_access_key: str = ""

    def __repr__(self) -> str:  # never print a secret, even in a traceback
        return f"S3Credentials(access_key_id={self.access_key_id!r}, secret_access_key=***)"


def parse_s3_url(url: str) -> S3Location:
    """The location of `s3://bucket/prefix?options`; ValueError naming the problem."""
    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise ValueError("an S3 storage URL starts with s3://")
    if "@" in parts.netloc:
        # Credentials in a URL end up in logs and process listings; they belong in settings.
        raise ValueError("put S3 credentials in settings, not in the storage URL")
    if not _BUCKET.fullmatch(parts.netloc):
        raise ValueError(f"not an S3 bucket name: {parts.netloc!r}")
    prefix = parts.path.strip("/")
    if prefix:
        check_key(prefix)
    options = _options(parts.query)
    endpoint = options.get("endpoint", "").rstrip("/")
    if endpoint and urlsplit(endpoint).scheme not in ("http", "https"):
        raise ValueError("the S3 endpoint must be an http:// or https:// URL")
    return S3Location(
        bucket=parts.netloc,
        prefix=prefix,
        endpoint=endpoint,
        region=options.get("region", ""),
        path_style=_flag(options.get("path_style", "true")),
    )


def _options(query: str) -> dict[str, str]:
    pairs = parse_qsl(query, keep_blank_values=True)
    options = dict(pairs)
    unknown = set(options) - _OPTIONS
    if unknown:
        raise ValueError(f"unknown S3 URL options {sorted(unknown)}; known: {sorted(_OPTIONS)}")
    if len(options) != len(pairs):
        raise ValueError("an S3 URL option is given twice")
    return options


def _flag(value: str) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ValueError(f"path_style must be true or false, not {value!r}")


def s3_config(location: S3Location, credentials: S3Credentials) -> S3Config:
    """obstore's settings for the location; only what is set, so AWS_* variables fill the rest."""
    config: S3Config = {}
    if location.endpoint:
        config["endpoint"] = _endpoint(location)
    if location.region:
        config["region"] = location.region
    if not location.path_style:
        config["virtual_hosted_style_request"] = True
    if credentials.access_key_id or credentials.secret_access_key:
        config["access_key_id"] = credentials.access_key_id
        config["secret_access_key"] = credentials.secret_access_key
    return config


def _endpoint(location: S3Location) -> str:
    if location.path_style:
        return location.endpoint
    # Virtual-hosted requests go to bucket.host; obstore wants that host as the endpoint.
    parts = urlsplit(location.endpoint)
    return parts._replace(netloc=f"{location.bucket}.{parts.netloc}").geturl()


class StoreUnusableAfterFork(RuntimeError):
    """obstore's I/O runtime does not survive fork(): a forked child of a process that already
    used S3 would hang forever on its first request, so it fails at once instead."""


class _FirstUse:
    pid: int | None = None  # the process whose S3 requests started obstore's runtime

    @classmethod
    def check(cls) -> None:
        pid = os.getpid()
        if cls.pid is None:
            cls.pid = pid
        elif cls.pid != pid:
            raise StoreUnusableAfterFork(
                "this process was forked from one that already used S3 storage; start workers "
                "with the spawn or forkserver method (or fork before the first S3 request)"
            )


class S3FileStore(ObjectFileStore):
    def __init__(self, location: S3Location, credentials: S3Credentials | None = None) -> None:
        self.location = location
        client: ClientConfig = {"allow_http": location.endpoint.startswith("http://")}
        # Building the client does no I/O, so a process may fork after this (but see _FirstUse).
        self._s3 = S3Store(
            location.bucket,
            prefix=location.prefix or None,
            config=s3_config(location, credentials or S3Credentials()),
            client_options=client,
        )
        super().__init__(self._s3)

    def _objects(self) -> ObjectStore:
        _FirstUse.check()
        return self._s3

    def signed_url(self, key: str, expires_in: timedelta) -> str | None:
        """A presigned GET link readers can fetch without credentials. SigV4 allows at most 7
        days; signing is local (no request), so the key need not exist yet."""
        check_key(key)
        if not timedelta(seconds=1) <= expires_in <= timedelta(days=7):
            raise ValueError("a signed URL lasts between 1 second and 7 days")
        _FirstUse.check()  # signing may fetch credentials (instance roles)
        return obstore.sign(self._s3, "GET", key, expires_in)

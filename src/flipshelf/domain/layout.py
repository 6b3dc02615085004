"""Where every file lives in the store: the one place that spells a storage key.

Every key is server-made from hashes, ids and names the server chose (never a client's file
name), so each is a valid `storage.keys` key by construction:

    flipbooks/<flipbook hash>/source.<pdf|jpg|png>     the uploaded document, as sent
    flipbooks/<flipbook hash>/book/                    what its conversion made: the manifest,
        manifest.json, pages/0001-normal.jpg, ...      page images and text (names: conversion)
        zoom/<page>-<width>.jpg                        a zoom image drawn when a reader asked
    collections/<collection hash>/<role>-<token>.<ext> a logo or background; a fresh token per
                                                       upload, so a changed file is a new key
    packages/<collection hash>/<package id>-<attempt>/<download name>
                                                       one offline package build's zip; a key
                                                       per attempt, never reused

Deleting a flipbook deletes `flipbook_prefix`; a package attempt, `package_attempt_prefix`.
"""

from __future__ import annotations

from enum import Enum

FLIPBOOKS = "flipbooks"
COLLECTIONS = "collections"
PACKAGES = "packages"
BOOK = "book"

# A key no upload can have: the widget asks the store for a signed URL of it only to learn the
# store's origin (for its Content-Security-Policy).
ORIGIN_PROBE = f"{FLIPBOOKS}/origin-probe/manifest.json"
# What `flipshelf check` writes, reads back and deletes to prove the store is writable.
HEALTH_PROBE = "health/check-probe"


class ImageRole(Enum):
    """The pictures a collection can carry beside its flipbooks."""

    LOGO = "logo"
    BACKGROUND = "background"


def flipbook_prefix(flipbook_hash: str) -> str:
    """Everything of one flipbook: its source and its book."""
    return f"{FLIPBOOKS}/{flipbook_hash}"


def source_key(flipbook_hash: str, extension: str) -> str:
    """The uploaded document; `extension` is the type found in its content."""
    return f"{flipbook_prefix(flipbook_hash)}/source.{extension}"


def book_prefix(flipbook_hash: str) -> str:
    """The folder of a flipbook's converted files (manifest, pages, text)."""
    return f"{flipbook_prefix(flipbook_hash)}/{BOOK}"


def book_file(flipbook_hash: str, name: str) -> str:
    """One converted file, `name` relative to the book (e.g. `pages/0001-normal.jpg`)."""
    return f"{book_prefix(flipbook_hash)}/{name}"


def zoom_image_name(page: int, width: int) -> str:
    """A zoom image drawn on demand, relative to the book (as packages name it too)."""
    return f"zoom/{page}-{width}.jpg"


def zoom_image(flipbook_hash: str, page: int, width: int) -> str:
    """Page `page`'s zoom image `width` pixels wide, drawn on demand (web/zoom.py)."""
    return book_file(flipbook_hash, zoom_image_name(page, width))


def collection_prefix(collection_hash: str) -> str:
    """A collection's logo and background images."""
    return f"{COLLECTIONS}/{collection_hash}"


def packages_prefix(collection_hash: str) -> str:
    """Every offline package built of a collection."""
    return f"{PACKAGES}/{collection_hash}"


def image_key(collection_hash: str, role: ImageRole, token: str, extension: str) -> str:
    """A collection's logo or background; `token` is new for every upload."""
    return f"{collection_prefix(collection_hash)}/{role.value}-{token}.{extension}"


def package_key(collection_hash: str, package_id: int, attempt: int, name: str) -> str:
    """One build attempt's zip, ending in the name the download is saved under."""
    return f"{packages_prefix(collection_hash)}/{package_id}-{attempt}/{name}"


def package_attempt_prefix(key: str) -> str:
    """The folder of one attempt's zip: deleting it leaves no empty folder behind."""
    return key.rsplit("/", 1)[0]

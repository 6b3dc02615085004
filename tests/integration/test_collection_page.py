"""The collection's public page, `/c/{hash}`: who gets it, its metadata, its text."""

from __future__ import annotations

import json
import re

from markupsafe import escape
from starlette.testclient import TestClient

from flipshelf.conversion.manifest import Manifest, OutlineEntry, Page, PageImage
from flipshelf.domain.collections import Collection, CollectionStatus
from flipshelf.runtime import Runtime
from tests.integration.test_widget_http import link, put_book_file
from tests.support import Tenant, seed_collection

HOSTILE = "</script><script>alert(1)</script><img src=x onerror=alert(2)>\"' &amp;"


def with_pages(runtime: Runtime, collection: Collection, texts: list[str]) -> None:
    """Gives the collection's flipbook a manifest and page text, as a conversion would."""
    flipbook = collection.items[0].hash
    pages = tuple(
        Page(
            n,
            595.0,
            842.0,
            images={"normal": PageImage(f"pages/{n:04d}-normal.jpg", 778, 1100)},
            text=f"text/{n:04d}.txt",
        )
        for n in range(1, len(texts) + 1)
    )
    outline = (OutlineEntry("Chapter <One>", 1, (OutlineEntry("Part A", 2),)),)
    manifest = Manifest("pdf", pages, outline, pages_ready=len(pages))
    put_book_file(runtime, flipbook, "manifest.json", json.dumps(manifest.to_json()).encode())
    for n, text in enumerate(texts, start=1):
        put_book_file(runtime, flipbook, f"text/{n:04d}.txt", text.encode())


def structured(page: str) -> dict[str, object]:
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert found is not None
    data: dict[str, object] = json.loads(found.group(1))
    return data


def test_a_published_collection_has_a_page_with_metadata_text_and_the_player(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    collection = seed_collection(runtime, tenant, title="Spring", description="Our catalogue")
    with_pages(runtime, collection, ["Tulips and daffodils.\n\nPrices inside.", "Roses\x07."])
    response = client.get(f"/c/{collection.hash}")
    assert response.status_code == 200
    page = response.text
    url = f"http://books.test/c/{collection.hash}"
    assert "<title>Spring</title>" in page
    assert '<meta name="description" content="Our catalogue">' in page
    assert f'<link rel="canonical" href="{url}">' in page
    assert '<meta property="og:title" content="Spring">' in page
    flipbook = collection.items[0].hash
    image = f"http://books.test/f/{flipbook}/pages/0001-normal.jpg"
    assert f'<meta property="og:image" content="{image}">' in page
    assert "noindex" not in page and "x-robots-tag" not in response.headers
    data = structured(page)
    assert data["@type"] == "Book" and data["name"] == "Spring" and data["numberOfPages"] == 2
    assert data["url"] == url and data["image"] == image
    # The text as sections and paragraphs; control characters removed; the player framed.
    assert '<section id="b1-p1" aria-label="Page 1">' in page
    assert "<p>Tulips and daffodils.</p>" in page and "<p>Prices inside.</p>" in page
    assert "<p>Roses .</p>" in page
    assert '<a href="#b1-p2">Part A</a>' in page and "Chapter &lt;One&gt;" in page
    assert f'<iframe src="../widget/{collection.hash}"' in page
    policy = response.headers["content-security-policy"]
    assert "script-src 'none'" in policy and "frame-src 'self'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"


def test_titles_and_descriptions_are_text_in_html_and_in_json_ld(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    collection = seed_collection(runtime, tenant, title=HOSTILE, description=HOSTILE)
    with_pages(runtime, collection, [HOSTILE])
    page = client.get(f"/c/{collection.hash}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert page.count("<script") == 1  # the JSON-LD block only
    assert str(escape(HOSTILE)) in page  # markupsafe's escape, as Jinja2's autoescape
    data = structured(page)
    assert data["name"] == HOSTILE and data["description"] == HOSTILE


def test_unlisted_pages_are_not_indexed_and_private_or_draft_ones_do_not_exist(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    unlisted = seed_collection(runtime, tenant, status=CollectionStatus.UNLISTED)
    response = client.get(f"/c/{unlisted.hash}")
    assert response.status_code == 200
    assert response.headers["x-robots-tag"] == "noindex"
    assert '<meta name="robots" content="noindex">' in response.text
    private = seed_collection(runtime, tenant, status=CollectionStatus.PRIVATE)
    draft = seed_collection(runtime, tenant, status=CollectionStatus.EDITABLE)
    gone = seed_collection(runtime, tenant)
    runtime.ports.collections.mark_deleted(gone.id, runtime.ports.clock.now())
    for target in (private.hash, draft.hash, gone.hash, "zzzzzzzzzz", "not-a-hash!"):
        refused = client.get(f"/c/{target}")
        assert refused.status_code == 404, target
        assert refused.headers["x-robots-tag"] == "noindex"
    # Not even with the private collection's signed player link.
    assert client.get(f"/c/{private.hash}?{link(runtime, private, 30)}").status_code == 404


def test_a_long_book_shows_its_text_up_to_a_budget(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    collection = seed_collection(runtime, tenant)
    with_pages(runtime, collection, ["word " * 20_000] * 5)  # 500,000 characters
    page = client.get(f"/c/{collection.hash}").text
    assert 'id="b1-p2"' in page and 'id="b1-p3"' not in page
    assert "The rest of the text is in the flipbook above." in page

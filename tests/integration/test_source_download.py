"""The original document behind the player's download button: readable as its collection is."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from starlette.testclient import TestClient

from flipshelf.db.conversions import SqlConversions
from flipshelf.domain.collections import CollectionChanges, CollectionStatus, ConvertStatus
from flipshelf.runtime import Runtime
from flipshelf.services.uploads import CollectionFields, UploadLimits, create_collection
from tests.support import Tenant


def _book(runtime: Runtime, tenant: Tenant, pdf: Path, tmp_path: Path) -> tuple[int, str]:
    staged = tmp_path / "staged.pdf"
    staged.write_bytes(pdf.read_bytes())
    fields = CollectionFields("Spring <b>", "", CollectionStatus.PUBLISHED, 650, 385)
    collection = create_collection(
        runtime.ports, tenant.account, staged, fields, UploadLimits(10, 10)
    )
    return collection.id, collection.items[0].hash


def test_the_source_downloads_as_an_attachment_while_the_collection_is_public(
    client: TestClient,
    runtime: Runtime,
    tenant: Tenant,
    documents: dict[str, Path],
    tmp_path: Path,
) -> None:
    collection_id, flipbook = _book(runtime, tenant, documents["text"], tmp_path)
    answer = client.get(f"/f/{flipbook}/source")
    assert answer.status_code == 200
    assert answer.content == documents["text"].read_bytes()
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith("attachment;") and disposition.endswith('.pdf"')
    assert "<" not in disposition

    now = runtime.ports.clock.now()
    conversions = SqlConversions(runtime.db)
    job = conversions.claim(flipbook, now, timedelta(minutes=1))
    assert job is not None
    conversions.finish(job, now, ConvertStatus.COMPLETE, page_count=5)
    for status in (CollectionStatus.EDITABLE, CollectionStatus.PRIVATE):
        runtime.ports.collections.update(collection_id, CollectionChanges(status=status), now)
        assert client.get(f"/f/{flipbook}/source").status_code == 404, status
    assert client.get("/f/" + "0" * 32 + "/source").status_code == 404
    assert client.get("/f/not-a-hash/source").status_code == 404

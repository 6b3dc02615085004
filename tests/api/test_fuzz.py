"""Random mutations of valid requests never produce an internal error."""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from flipshelf.api.v1.actions.registry import ACTIONS
from flipshelf.domain.collections import Collection
from flipshelf.runtime import Runtime
from tests.support import Tenant, seed_collection, signed

PARAM_NAMES = [
    "collectionHash",
    "flipbookHash",
    "title",
    "description",
    "collectionWidth",
    "collectionHeight",
    "collectionStatus",
    "from",
    "to",
    "orderBy",
    "orderMode",
    "query",
    "https",
    "responsive",
    "startPage",
    "startBook",
    "width",
    "height",
    "startDate",
    "endDate",
    "includePageStats",
    "format",
    "callback",
    "fileUrl",
    "timestamp",
    "nonce",
]
values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "@real-collection",
            "@real-flipbook",
            "",
            "0",
            "-1",
            "true",
            "xml",
            "jsonp",
            "9" * 30,
            "2026-02-30",
            "public",
            "a" * 10,
            "%",
            "\x00",
            "\ud7ff",
            "title",
            "asc",
        ]
    ),
    st.binary(max_size=12).map(lambda b: b.decode("latin-1")),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    action=st.sampled_from([*sorted(ACTIONS), "", "user.getstats", "x" * 300]),
    extra=st.dictionaries(st.sampled_from(PARAM_NAMES), values, max_size=6),
    sign_it=st.booleans(),
    raw_suffix=st.sampled_from(["", "&title=%FF", "&&&", "&=", "&a", "&format=xml&format=json"]),
)
def test_random_parameters_never_produce_50(
    client: TestClient,
    tenant: Tenant,
    runtime: Runtime,
    action: str,
    extra: dict[str, str],
    sign_it: bool,
    raw_suffix: str,
) -> None:
    real = _real_collection(runtime, tenant)
    extra = {
        k: {"@real-collection": real.hash, "@real-flipbook": real.items[0].hash}.get(v, v)
        for k, v in extra.items()
    }
    params = signed(tenant.pair, action, **extra) if sign_it else {"action": action, **extra}
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params.items())
    answers = [
        client.get(f"/v1/?{query}{raw_suffix}"),
        client.post(f"/v1/?{raw_suffix}", data=params),
        client.post("/v1/", files={k: (None, v) for k, v in params.items()}),
    ]
    for response in answers:
        assert response.status_code == 200
        assert b'"code":50' not in response.content and b"<code>50<" not in response.content


_seeded: dict[int, Collection] = {}


def _real_collection(runtime: Runtime, tenant: Tenant) -> Collection:
    if id(runtime) not in _seeded:
        _seeded[id(runtime)] = seed_collection(runtime, tenant)
    return _seeded[id(runtime)]

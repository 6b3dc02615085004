"""The S3 key pair in settings: both or neither, never shown."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from flipshelf.runtime import s3_credentials
from flipshelf.settings import Settings


@pytest.mark.parametrize(
    "pair", [{"s3_access_key_id": "AKID"}, {"s3_secret_access_key": "s3cr3t-value"}]
)
def test_half_a_key_pair_is_refused(pair: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="together, or neither"):
        Settings(**pair)  # type: ignore[arg-type]


def test_the_pair_reaches_the_store_and_the_secret_is_never_shown() -> None:
    settings = Settings(s3_access_key_id="AKID", s3_secret_access_key="s3cr3t-value")
    credentials = s3_credentials(settings)
    assert credentials is not None
    assert (credentials.access_key_id, credentials.secret_access_key) == ("AKID", "s3cr3t-value")
    for shown in (repr(settings), str(settings), repr(credentials)):
        assert "s3cr3t-value" not in shown


def test_no_pair_leaves_the_standard_aws_variables_to_the_store() -> None:
    assert s3_credentials(Settings()) is None

"""`db.prepared.Query`: a Core statement compiled once per dialect into fixed SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from flipshelf.db.prepared import Query
from flipshelf.db.schema import collections

DIALECTS = [sqlite.dialect(), postgresql.psycopg.dialect()]


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_each_dialect_gets_its_own_sql_and_parameter_style(dialect: Dialect) -> None:
    query = Query(select(collections.c.id).where(collections.c.hash == bindparam("hash")))
    compiled = query.compiled(dialect)
    assert query.compiled(dialect) is compiled  # compiled once
    if dialect.name == "sqlite":
        assert compiled.sql.endswith("= ?") and compiled.positional == ("hash",)
    else:
        assert "%(hash)s" in compiled.sql and compiled.positional is None


@pytest.mark.parametrize(
    "where",
    [collections.c.hash == "literal", collections.c.id.in_([1, 2])],
    ids=["literal value", "expanding IN"],
)
def test_sql_that_changes_per_execution_is_refused(where: object) -> None:
    query = Query(select(collections.c.id).where(where))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="bindparam"):
        query.compiled(sqlite.dialect())

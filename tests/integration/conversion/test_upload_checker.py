"""Upload checks in long-lived checker processes: reused across uploads, and a check that cannot
answer in time (a frozen or overloaded machine, simulated by SIGSTOP) never refuses the file: it
is accepted unchecked, and its conversion judges it."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from flipshelf.conversion import errors
from flipshelf.conversion.checker import NoVerdict, UploadChecker
from flipshelf.conversion.options import ConversionOptions
from flipshelf.conversion.port import ConversionInspector
from flipshelf.domain.collections import CollectionStatus, ConvertStatus
from flipshelf.domain.errors import InvalidFileFormat
from flipshelf.jobs.conversion_job import run_conversion
from flipshelf.runtime import Runtime, conversion_context
from flipshelf.services.uploads import CollectionFields, UploadLimits, create_collection
from tests.support import Tenant

WAIT = 60.0  # for answers that must come: generous, a loaded machine is slow, not wrong


@pytest.fixture
def checker() -> Iterator[UploadChecker]:
    made = UploadChecker(ConversionOptions(), processes=1)
    yield made
    made.close()


def test_one_checker_process_serves_upload_after_upload(
    checker: UploadChecker, documents: dict[str, Path]
) -> None:
    assert checker.count_pages(documents["text"], "pdf", WAIT) == 5
    (pid,) = checker.idle_pids()
    assert checker.count_pages(documents["png"], "png", WAIT) == 1
    with pytest.raises(errors.UnsupportedDocument, match="password-protected"):
        checker.count_pages(documents["encrypted"], "pdf", WAIT)
    assert checker.idle_pids() == [pid]  # a refused file is an answer, not a broken checker


def test_the_checker_counts_a_pdf_only_qpdf_can_repair_and_refuses_a_bad_one_with_its_reason(
    checker: UploadChecker, documents: dict[str, Path]
) -> None:
    assert checker.count_pages(documents["repairable"], "pdf", WAIT) == 5
    assert checker.count_pages(documents["bad_page"], "pdf", WAIT) == 3  # its pages fail later
    with pytest.raises(errors.UnsupportedDocument, match=errors.CORRUPT_PDF):
        checker.count_pages(documents["fake_pdf"], "pdf", WAIT)


def test_a_check_with_no_answer_in_time_gives_no_verdict_and_the_next_check_works(
    checker: UploadChecker, documents: dict[str, Path]
) -> None:
    checker.count_pages(documents["text"], "pdf", WAIT)
    (frozen,) = checker.idle_pids()
    os.kill(frozen, signal.SIGSTOP)
    with pytest.raises(NoVerdict):
        checker.count_pages(documents["text"], "pdf", 0.5)
    assert checker.count_pages(documents["text"], "pdf", WAIT) == 5  # a new checker
    assert frozen not in checker.idle_pids()


def frozen_inspector(documents: dict[str, Path]) -> ConversionInspector:
    inspector = ConversionInspector(ConversionOptions(), processes=1, check_seconds=0.5)
    # Starts its one checker. On a loaded machine a first check can miss its half second (the
    # checker is then killed): try again until one answered, within a generous deadline.
    deadline = time.monotonic() + WAIT
    while not inspector.checker_pids() and time.monotonic() < deadline:
        inspector.inspect(documents["text"], 1000)
    (pid,) = inspector.checker_pids()
    os.kill(pid, signal.SIGSTOP)
    return inspector


def test_an_unchecked_upload_is_accepted_and_its_conversion_judges_it(
    runtime: Runtime, tenant: Tenant, documents: dict[str, Path], tmp_path: Path
) -> None:
    inspector = frozen_inspector(documents)
    try:
        ports = replace(runtime.ports, inspector=inspector)
        staged = tmp_path / "staged.bin"
        staged.write_bytes(documents["truncated"].read_bytes())
        fields = CollectionFields("t", "", CollectionStatus.PUBLISHED, 650, 385)
        limits = UploadLimits(1000, 1000)
        collection = create_collection(ports, tenant.account, staged, fields, limits)
    finally:
        inspector.close()
    flipbook_hash = collection.items[0].hash
    assert run_conversion(conversion_context(runtime), flipbook_hash) is False
    after = runtime.ports.collections.of_flipbook(flipbook_hash)
    assert after is not None
    item = after.item(flipbook_hash)
    assert item is not None
    assert (item.convert_status, item.convert_error) == (ConvertStatus.FAILED, "truncated PDF")


def test_a_checked_bad_upload_is_still_refused(documents: dict[str, Path]) -> None:
    inspector = ConversionInspector(ConversionOptions(), processes=1, check_seconds=WAIT)
    try:
        with pytest.raises(InvalidFileFormat, match="truncated PDF"):
            inspector.inspect(documents["truncated"], 1000)
    finally:
        inspector.close()

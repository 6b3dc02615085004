"""The dashboard's sign-in rules, without I/O: session expiry, CSRF tokens, throttling,
passwords and login links (domain/signin.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flipshelf.domain.errors import BadRequest
from flipshelf.domain.signin import (
    ACCOUNT_RULE,
    ADDRESS_RULE,
    FORGET_AFTER,
    Failures,
    SessionPolicy,
    SessionState,
    ThrottleRule,
    after_failure,
    check_new_password,
    csrf_matches,
    delay_after,
    is_nonce,
    needs_touch,
    parse_login_link_seconds,
    session_state,
    usable_password,
    wait_before_attempt,
)

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
POLICY = SessionPolicy(idle=timedelta(hours=2), absolute=timedelta(days=7))


def test_a_session_in_use_stays_active_until_its_absolute_end() -> None:
    day6 = T0 + timedelta(days=6, hours=23)
    assert session_state(T0, day6 - timedelta(minutes=5), day6, POLICY) is SessionState.ACTIVE
    end = T0 + timedelta(days=7)
    assert session_state(T0, end - timedelta(seconds=1), end, POLICY) is SessionState.EXPIRED


def test_a_session_left_alone_ends_after_the_idle_time() -> None:
    seen = T0 + timedelta(hours=1)
    just_before = seen + timedelta(hours=2) - timedelta(seconds=1)
    assert session_state(T0, seen, just_before, POLICY) is SessionState.ACTIVE
    assert session_state(T0, seen, seen + timedelta(hours=2), POLICY) is SessionState.IDLE


def test_activity_is_written_at_most_once_a_minute() -> None:
    assert not needs_touch(T0, T0 + timedelta(seconds=59))
    assert needs_touch(T0, T0 + timedelta(seconds=60))


@pytest.mark.parametrize(
    ("given", "ok"),
    [("tok-123", True), ("tok-124", False), ("", False), (None, False), ("tok-123 ", False)],
)
def test_csrf_tokens_must_match_exactly(given: str | None, ok: bool) -> None:
    assert csrf_matches("tok-123", given) is ok


def test_an_empty_expected_token_matches_nothing() -> None:
    assert not csrf_matches("", "")


def test_the_first_failures_cost_nothing_then_the_wait_doubles_to_its_cap() -> None:
    rule = ThrottleRule(free=3, cap=timedelta(seconds=10))
    waits = [delay_after(n, rule).total_seconds() for n in range(1, 10)]
    assert waits == [0, 0, 0, 1, 2, 4, 8, 10, 10]


def test_the_cap_holds_for_any_number_of_failures() -> None:
    assert delay_after(10_000, ACCOUNT_RULE) == ACCOUNT_RULE.cap
    assert delay_after(10_000, ADDRESS_RULE) == ADDRESS_RULE.cap


def test_the_owner_never_waits_more_than_a_minute_for_their_account() -> None:
    """However many failures others cause, the account's own wait is at most a minute."""
    failures = Failures(1_000_000, T0)
    assert wait_before_attempt(failures, T0, ACCOUNT_RULE) == timedelta(minutes=1)
    assert wait_before_attempt(failures, T0 + timedelta(minutes=1), ACCOUNT_RULE) == timedelta(0)


def test_waiting_counts_from_the_last_failure() -> None:
    rule = ThrottleRule(free=1, cap=timedelta(hours=1))
    failures = Failures(4, T0)  # delay after the 4th failure: 4 s
    assert wait_before_attempt(failures, T0 + timedelta(seconds=1), rule) == timedelta(seconds=3)
    assert wait_before_attempt(failures, T0 + timedelta(seconds=4), rule) == timedelta(0)
    assert wait_before_attempt(None, T0, rule) == timedelta(0)


def test_failures_are_forgotten_after_a_day() -> None:
    old = Failures(50, T0)
    later = T0 + FORGET_AFTER
    assert wait_before_attempt(old, later, ADDRESS_RULE) == timedelta(0)
    assert after_failure(old, later) == Failures(1, later)
    assert after_failure(old, later - timedelta(seconds=1)) == Failures(
        51, later - timedelta(seconds=1)
    )
    assert after_failure(None, T0) == Failures(1, T0)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least"),
        ("x" * 1025, "at most"),
        ("long enough\x00", "control"),
    ],
)
def test_new_passwords_are_refused_with_a_reason(password: str, problem: str) -> None:
    with pytest.raises(BadRequest, match=problem):
        check_new_password(password)


def test_a_good_password_is_kept_as_given() -> None:
    assert check_new_password("correct horse battery staple") == "correct horse battery staple"


def test_attempts_with_no_or_huge_passwords_are_not_hashed() -> None:
    assert not usable_password("")
    assert not usable_password("x" * 1025)
    assert usable_password("x")


@pytest.mark.parametrize("value", ["59", "604801", "-5", "1e3", "٣٠٠", " 300"])
def test_login_link_lifetimes_outside_a_minute_to_a_week_are_refused(value: str) -> None:
    with pytest.raises(BadRequest):
        parse_login_link_seconds(value, 900)


def test_login_link_lifetimes_default_and_parse() -> None:
    assert parse_login_link_seconds(None, 900) == 900
    assert parse_login_link_seconds("", 900) == 900
    assert parse_login_link_seconds("60", 900) == 60
    assert parse_login_link_seconds("604800", 900) == 604800


def test_nonces_look_like_token_urlsafe() -> None:
    assert is_nonce("A" * 16) and is_nonce("abc-DEF_0123456789")
    assert not is_nonce("short") and not is_nonce("x" * 65)
    assert not is_nonce("has space in it ok") and not is_nonce("ünïcödé-nonce-1234")

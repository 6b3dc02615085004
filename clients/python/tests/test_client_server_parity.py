"""The client keeps up with the server it ships beside: every action of the server's registry
has a method on both clients (and a row in docs/client.md), and every code the server answers has
its own exception. An action or a code added to the server alone fails here. (The client itself
imports nothing of the server; only this test reads it.)"""

from __future__ import annotations

import inspect
import re

import pytest

import flipshelf_client as fc
from flipshelf_client import actions
from flipshelf_client.errors import BY_CODE
from flipshelf_client.methods import async_method, sync_method
from flipshelf_client.steps import Call
from samples import REPO


def _placeholder_call(build: object) -> str:
    """The v1 action a builder makes, built with placeholder arguments."""
    assert callable(build)
    arguments: dict[str, object] = {}
    parameters = inspect.signature(build).parameters
    for name, parameter in parameters.items():
        if parameter.default is inspect.Parameter.empty:
            arguments[name] = "x"
    if "file_url" in parameters:
        arguments["file_url"] = "https://example.com/a.pdf"  # an upload takes file or URL
    call = build(**arguments)
    assert isinstance(call, Call)
    return call.action


def _client_actions(kind: type, method_kind: type) -> dict[str, str]:
    """v1 action -> the method of `kind` that calls it (the raw call left out)."""
    found: dict[str, str] = {}
    for name, member in vars(kind).items():
        if isinstance(member, sync_method | async_method) and isinstance(member, method_kind):
            build = member.build
            if build.__module__ == actions.__name__ and build is not actions.raw:
                found[_placeholder_call(build)] = name
    return found


def test_every_server_action_has_a_method_on_both_clients_and_in_the_docs() -> None:
    registry = pytest.importorskip("flipshelf.api.v1.actions.registry")
    server = set(registry.ACTIONS)
    sync, asynchronous = (
        _client_actions(fc.Client, sync_method),
        _client_actions(fc.AsyncClient, async_method),
    )
    assert set(sync) == server, f"missing: {server - set(sync)}, unknown: {set(sync) - server}"
    assert asynchronous == sync
    table = (REPO / "docs" / "client.md").read_text()
    for action, method in sync.items():
        assert re.search(rf"^\| `{re.escape(action)}` \| `{method}\(", table, re.M), action


def test_every_code_the_server_answers_has_its_own_exception() -> None:
    codes = pytest.importorskip("flipshelf.domain.codes")
    refusals = {int(code) for code in codes.Code} - {20}
    assert set(BY_CODE) == refusals
    for code in refusals:
        assert BY_CODE[code] is not fc.ApiError  # a class of its own, not the fallback

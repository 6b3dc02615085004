"""Client methods made from the action and plan builders, so each signature and docstring is
written once (in actions.py or plans.py) and `Client` and `AsyncClient` share it exactly.

`Client.get_collection = sync_method(actions.get_collection)` gives `client.get_collection(h)`
with the builder's parameters (ParamSpec keeps them for type checkers), answering what the call
answers; `async_method` gives the same as a coroutine.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, Generic, ParamSpec, Protocol, TypeVar, overload

from flipshelf_client.steps import Call, Plan

P = ParamSpec("P")
T = TypeVar("T")
Work = Call[T] | Plan[T]


class Runs(Protocol):
    def run(self, work: Work[T]) -> T: ...


class RunsAsync(Protocol):
    async def run(self, work: Work[T]) -> T: ...


def _signature(build: Callable[..., Any], wrapper: str) -> inspect.Signature:
    """The builder's signature as a method of a client: its answer, not the step."""
    signature = inspect.signature(build)
    answer = str(signature.return_annotation)
    for prefix in ("Call[", "Plan["):
        if answer.startswith(prefix):
            answer = answer[len(prefix) : -1]
    return signature.replace(return_annotation=wrapper.format(answer))


class _Method(Generic[P, T]):
    wrapper = "{}"

    def __init__(self, build: Callable[P, Work[T]]) -> None:
        self.build = build
        self.__doc__ = build.__doc__
        self.signature = _signature(build, self.wrapper)

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.__name__ = name

    def dress(self, method: Callable[..., Any]) -> None:
        """Gives the bound method the builder's name, docstring and signature (for help())."""
        method.__name__, method.__doc__ = self.__name__, self.__doc__
        setattr(method, "__signature__", self.signature)  # noqa: B010


class sync_method(_Method[P, T]):
    @overload
    def __get__(self, client: None, owner: type[Any]) -> sync_method[P, T]: ...
    @overload
    def __get__(self, client: Runs, owner: type[Any]) -> Callable[P, T]: ...
    def __get__(self, client: Runs | None, owner: type[Any]) -> Any:
        if client is None:
            return self
        build = self.build

        def method(*args: P.args, **kwargs: P.kwargs) -> T:
            return client.run(build(*args, **kwargs))

        self.dress(method)
        return method


class async_method(_Method[P, T]):
    wrapper = "Awaitable[{}]"

    @overload
    def __get__(self, client: None, owner: type[Any]) -> async_method[P, T]: ...
    @overload
    def __get__(self, client: RunsAsync, owner: type[Any]) -> Callable[P, Awaitable[T]]: ...
    def __get__(self, client: RunsAsync | None, owner: type[Any]) -> Any:
        if client is None:
            return self
        build = self.build

        async def method(*args: P.args, **kwargs: P.kwargs) -> T:
            return await client.run(build(*args, **kwargs))

        self.dress(method)
        return method

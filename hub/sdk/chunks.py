"""Requests that carry more items than the hub takes in one call, split into calls that fit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from hub.core.envelope import MAX_ITEMS_PER_REQUEST

Item = TypeVar("Item")
Result = TypeVar("Result")


async def call_in_chunks(
    items: Sequence[Item], call: Callable[[Sequence[Item]], Awaitable[Sequence[Result]]]
) -> list[Result]:
    """``call`` once per ``MAX_ITEMS_PER_REQUEST`` items, in order; the results joined in order."""
    results: list[Result] = []
    for start in range(0, len(items), MAX_ITEMS_PER_REQUEST):
        results.extend(await call(items[start : start + MAX_ITEMS_PER_REQUEST]))
    return results

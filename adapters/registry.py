"""Country adapters found through entry points (group ``pxhub.adapters``), checked on load.

A member joins by installing a package that declares, in its ``pyproject.toml``::

    [project.entry-points."pxhub.adapters"]
    BR-SENAPPEN = "pxhub_br.adapter:SenappenAdapter"

The entry-point name is the member id; the object is a class or zero-argument factory that
builds the adapter (an already-built instance is accepted too). Loading checks the object
against ``adapters.contract.CountryAdapter`` and refuses it with an ``AdapterLoadError`` that
names the entry point and every problem found, so a broken plugin is reported at start-up
rather than half-way through an import. Only the adapter asked for is imported.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Iterable
from importlib.metadata import EntryPoint, entry_points
from typing import Final

from adapters.contract import ADAPTER_ENTRY_POINT_GROUP, CountryAdapter
from hub.core.members import MEMBER_ID_PATTERN

__all__ = [
    "AdapterLoadError",
    "UnknownAdapterError",
    "all_adapters",
    "available",
    "clear_cache",
    "conformance_problems",
    "get_adapter",
    "load_entry_point",
]

GROUP: Final = ADAPTER_ENTRY_POINT_GROUP
_TEXT_ATTRIBUTES: Final = ("member_id", "format_name", "media_type", "file_extension", "encoding")
_METHODS: Final = {"parse": 1, "render": 2, "sample_path": 0}  # name → positional parameters

_cache: dict[str, CountryAdapter] = {}
_lock = threading.Lock()


class AdapterLoadError(RuntimeError):
    """An entry point in ``pxhub.adapters`` could not be loaded or does not conform."""


class UnknownAdapterError(LookupError):
    """No installed adapter for the member id."""


def _entry_points() -> tuple[EntryPoint, ...]:
    """The group's entry points, each (name, value) once (editable installs can list twice)."""
    seen: set[tuple[str, str]] = set()
    out: list[EntryPoint] = []
    for ep in entry_points(group=GROUP):
        key = (ep.name, ep.value)
        if key not in seen:
            seen.add(key)
            out.append(ep)
    return tuple(out)


def available() -> tuple[str, ...]:
    """Member ids with an installed adapter (nothing is imported)."""
    return tuple(sorted({ep.name for ep in _entry_points()}))


def _describe(ep: EntryPoint) -> str:
    return f"entry point {ep.name!r} = {ep.value!r} (group {GROUP})"


def conformance_problems(adapter: object, member_id: str | None = None) -> list[str]:
    """Everything that keeps ``adapter`` from being a ``CountryAdapter`` (empty when it is one)."""
    problems: list[str] = []
    for name in _TEXT_ATTRIBUTES:
        value = getattr(adapter, name, None)
        if not isinstance(value, str) or not value:
            problems.append(f"{name} must be a non-empty string, got {value!r}")
    for name, arity in _METHODS.items():
        method = getattr(adapter, name, None)
        if not callable(method):
            problems.append(f"{name}() is missing")
            continue
        try:
            signature = inspect.signature(method)
        except (TypeError, ValueError):
            continue  # builtins without a signature: trust them
        try:
            signature.bind(*([None] * arity))
        except TypeError:
            problems.append(f"{name}() must accept {arity} positional argument(s), has {signature}")
    member = getattr(adapter, "member_id", None)
    if isinstance(member, str) and member:
        if not MEMBER_ID_PATTERN.fullmatch(member):
            problems.append(f"member_id {member!r} is not '<ISO2>-<CODE>' (e.g. 'CO-INPEC')")
        if member_id is not None and member != member_id:
            problems.append(f"member_id is {member!r} but the entry point is named {member_id!r}")
    if not problems and not isinstance(adapter, CountryAdapter):
        problems.append("does not satisfy the CountryAdapter protocol")
    return problems


def load_entry_point(ep: EntryPoint) -> CountryAdapter:
    """Import, build and check one adapter; ``AdapterLoadError`` names the entry point."""
    try:
        target = ep.load()
    except Exception as exc:
        raise AdapterLoadError(f"{_describe(ep)} could not be imported: {type(exc).__name__}: {exc}") from exc
    if isinstance(target, type) or inspect.isfunction(target):
        factory: Callable[[], object] = target
        try:
            adapter = factory()
        except Exception as exc:
            raise AdapterLoadError(f"{_describe(ep)}: building the adapter failed: "
                                   f"{type(exc).__name__}: {exc}") from exc
    else:
        adapter = target
    problems = conformance_problems(adapter, ep.name)
    if problems:
        raise AdapterLoadError(f"{_describe(ep)} does not implement the CountryAdapter contract: "
                               + "; ".join(problems))
    assert isinstance(adapter, CountryAdapter)
    return adapter


def get_adapter(member_id: str) -> CountryAdapter:
    """The adapter registered for ``member_id`` (loaded once, then cached)."""
    cached = _cache.get(member_id)
    if cached is not None:
        return cached
    with _lock:
        cached = _cache.get(member_id)
        if cached is not None:
            return cached
        candidates = [ep for ep in _entry_points() if ep.name == member_id]
        if not candidates:
            known = ", ".join(available()) or "none"
            raise UnknownAdapterError(
                f"no adapter registered for {member_id!r} in {GROUP} (installed: {known})")
        if len(candidates) > 1:
            claims = ", ".join(repr(ep.value) for ep in candidates)
            raise AdapterLoadError(f"{len(candidates)} entry points in {GROUP} claim {member_id!r}: {claims}")
        adapter = load_entry_point(candidates[0])
        _cache[member_id] = adapter
        return adapter


def all_adapters(member_ids: Iterable[str] | None = None) -> dict[str, CountryAdapter]:
    """Every installed adapter (or those named), loaded; all failures reported together."""
    loaded: dict[str, CountryAdapter] = {}
    failures: list[str] = []
    for member_id in member_ids if member_ids is not None else available():
        try:
            loaded[member_id] = get_adapter(member_id)
        except (AdapterLoadError, UnknownAdapterError) as exc:
            failures.append(str(exc))
    if failures:
        raise AdapterLoadError("\n".join(failures))
    return loaded


def clear_cache() -> None:
    """Forget loaded adapters (tests, or after installing a package in a running process)."""
    with _lock:
        _cache.clear()

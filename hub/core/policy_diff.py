"""What changes between two policy versions, field by field: what an operator reads before signing.

Pure: two ``pxhub.v1.Policy`` messages in, lines out. Purposes, agreements and transfer rules are
matched by their key (purpose, agreement id, exporting country), so a reordered list is no change
and a renewed agreement shows as its new dates, not as one removal and one addition.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final

from google.protobuf import json_format

from pxhub.v1 import policy_pb2

__all__ = ["PolicyChange", "policy_diff"]

#: Keyed lists of a Policy and the field that names each entry.
_KEYED: Final = {"purposes": "purpose", "agreements": "agreementId", "transferRules": "countryIso2"}
#: Fields that change with every version: shown in the heading, not as changes.
_EVERY_VERSION: Final = frozenset({"version", "issuedAt"})


@dataclass(frozen=True, slots=True)
class PolicyChange:
    """One change: ``+`` added, ``-`` removed, ``~`` changed; ``where`` names the entry and field."""

    sign: str
    where: str
    old: str = ""
    new: str = ""

    def line(self) -> str:
        if self.sign == "~":
            return f"~ {self.where}: {self.old} -> {self.new}"
        return f"{self.sign} {self.where}: {self.new if self.sign == '+' else self.old}"


def _plain(message: policy_pb2.Policy) -> dict[str, object]:
    return json_format.MessageToDict(message)


def _show(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _fields(where: str, old: Mapping[str, object], new: Mapping[str, object]) -> Iterator[PolicyChange]:
    for name in sorted(old.keys() | new.keys()):
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        path = f"{where}.{name}" if where else name
        if before is None:
            yield PolicyChange("+", path, new=_show(after))
        elif after is None:
            yield PolicyChange("-", path, old=_show(before))
        else:
            yield PolicyChange("~", path, _show(before), _show(after))


def _keyed(name: str, key: str, old: object, new: object) -> Iterator[PolicyChange]:
    def index(items: object) -> dict[str, dict[str, object]]:
        return {str(item.get(key, "")): item for item in items or ()}  # type: ignore[attr-defined]

    before, after = index(old), index(new)
    singular = name.removesuffix("s")
    for entry in sorted(before.keys() | after.keys()):
        where = f"{singular} {entry}"
        if entry not in after:
            yield PolicyChange("-", where, old=_show(before[entry]))
        elif entry not in before:
            yield PolicyChange("+", where, new=_show(after[entry]))
        else:
            yield from _fields(where, before[entry], after[entry])


def policy_diff(old: policy_pb2.Policy, new: policy_pb2.Policy) -> list[PolicyChange]:
    """Every change from ``old`` to ``new`` but the version number and issue time."""
    before, after = _plain(old), _plain(new)
    changes: list[PolicyChange] = []
    for name, key in _KEYED.items():
        changes.extend(_keyed(name, key, before.pop(name, None), after.pop(name, None)))
    for name in _EVERY_VERSION:
        before.pop(name, None)
        after.pop(name, None)
    changes[:0] = _fields("", before, after)
    return changes

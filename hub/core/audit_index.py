"""What the store indexes about each audit entry, read from its canonical bytes.

The store writes these terms at append time, in the same transaction as the
leaf, so filtered queries (by member, actor, action, time, object) never scan
the log, and a member's view ("the entries that concern me") is an index
lookup. The terms are derived from the entry alone, so an independent
program can recompute who may see what from an export.

An entry *concerns* a member (or auditor, or operator) when

* it is the actor (``actor_kind`` is ``member``, ``auditor`` or ``operator``), or
* a ``details`` value under one of :data:`PARTY_DETAIL_KEYS` names it (one id,
  or several separated by commas, e.g. ``"recipients": "PE-INPE,EC-SNAI"``), or
* an object id ``member:<id>`` names it.

Bytes that do not parse (the store contract allows any bytes) get empty terms:
they are in the log and in range queries, never in filtered ones.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Final

__all__ = ["PARTY_DETAIL_KEYS", "IndexTerms", "IndexedEntry", "index_terms", "terms_of"]

PARTY_DETAIL_KEYS: Final = ("sender", "recipient", "recipients", "member", "members", "witness", "controller")
"""``details`` keys whose values name the members an entry concerns."""

_PARTY = re.compile(r"[A-Z0-9][A-Z0-9-]{0,31}")
_ACTOR_KINDS_WITH_IDENTITY: Final = frozenset({"member", "auditor", "operator"})
_MAX_TERM: Final = 300


@dataclass(frozen=True, slots=True)
class IndexTerms:
    """Indexed facts of one entry; empty strings and tuples when absent."""

    time: str
    actor_id: str
    action: str
    parties: tuple[str, ...]
    objects: tuple[str, ...]


EMPTY: Final = IndexTerms("", "", "", (), ())


_decode = json.JSONDecoder().decode  # entries are UTF-8 text; skip json.loads' encoding sniffing


def _add_parties(parties: dict[str, None], value: object) -> None:
    if isinstance(value, str):
        for part in value.split(","):
            if _PARTY.fullmatch(part):
                parties[part] = None


class IndexedEntry(bytes):
    """Canonical entry bytes that carry their index terms.

    The hub builds most entries itself from the object it encodes, so it knows their terms
    already; the store indexes an ``IndexedEntry`` from ``terms`` instead of parsing the bytes
    back (``terms`` is always ``terms_of`` of the encoded object, which ``index_terms`` of the
    bytes gives too).
    """

    terms: IndexTerms

    @classmethod
    def of(cls, encoded: bytes, obj: object) -> IndexedEntry:
        entry = cls(encoded)
        entry.terms = terms_of(obj)
        return entry


def index_terms(entry: bytes) -> IndexTerms:
    """The terms of one entry (never raises; unparseable bytes give :data:`EMPTY`).

    Runs for every append, inside the appending transaction, so it stays lean:
    one JSON parse and a few dictionary lookups, none for an :class:`IndexedEntry`.
    """
    if isinstance(entry, IndexedEntry):
        return entry.terms
    try:
        obj = _decode(entry.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return EMPTY
    return terms_of(obj)


def terms_of(obj: object) -> IndexTerms:
    """The terms of one entry's JSON object (anything that is not an object gives :data:`EMPTY`)."""
    if not isinstance(obj, dict):
        return EMPTY
    time, actor_id, action = obj.get("time"), obj.get("actor_id"), obj.get("action")
    parties: dict[str, None] = {}
    if obj.get("actor_kind") in _ACTOR_KINDS_WITH_IDENTITY:
        _add_parties(parties, actor_id)
    details = obj.get("details")
    if isinstance(details, dict):
        for key in PARTY_DETAIL_KEYS:
            if key in details:
                _add_parties(parties, details[key])
    objects: dict[str, None] = {}
    ids = obj.get("object_ids")
    if isinstance(ids, list):
        for oid in ids:
            if isinstance(oid, str) and 0 < len(oid) <= _MAX_TERM:
                objects[oid] = None
                if oid.startswith("member:"):
                    _add_parties(parties, oid[7:])
    return IndexTerms(
        time=time if isinstance(time, str) and len(time) <= 40 else "",
        actor_id=actor_id if isinstance(actor_id, str) and len(actor_id) <= 128 else "",
        action=action if isinstance(action, str) and len(action) <= 32 else "",
        parties=tuple(parties),
        objects=tuple(objects),
    )

"""Counts in messages people read: "1 entry", "2 entries", never "1 entries"."""

from __future__ import annotations


def plural(noun: str) -> str:
    """The English plural of a regular ``noun`` ("entry" -> "entries", "envelope" -> "envelopes")."""
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u"):
        return noun[:-1] + "ies"
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    return noun + "s"


def counted(count: int, noun: str) -> str:
    """``count`` with thousands separators and ``noun`` in the right number: "1 entry", "1,024 entries"."""
    return f"{count:,} {noun if count == 1 else plural(noun)}"

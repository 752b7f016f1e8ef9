"""What a member institution is, and the shape of its ``member_id``.

Pure, with no I/O and no list of members: who is a member is data (the
directory; for the development federation, ``hub/dev/default_members.json``).
The PKI, the directory, the adapters and the policy tables all name
institutions by the same ``member_id``, so its rules are defined once here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "MEMBER_ID_PATTERN",
    "OFFICER_PSEUDONYM_PATTERN",
    "OFFICER_PSEUDONYM_RULE",
    "Institution",
    "institutions_from_data",
    "validate_member_id",
]

#: ``<ISO 3166-1 alpha-2>-<institution code>``, e.g. ``CO-INPEC``.
MEMBER_ID_PATTERN = re.compile(r"^[A-Z]{2}-[A-Z0-9]{2,12}$")

#: The pseudonym of the official acting (``Party.officer_pseudonym`` and the receipts'), written
#: into audit entries as it is: never a name, so only these characters (empty: not said).
OFFICER_PSEUDONYM_PATTERN = re.compile(r"[A-Za-z0-9._:=-]{0,128}")
OFFICER_PSEUDONYM_RULE = "0-128 characters of A-Z a-z 0-9 . _ : = -"


@dataclass(frozen=True, slots=True)
class Institution:
    """A national penitentiary system that is a member of the network."""

    member_id: str
    acronym: str
    name: str
    country_iso2: str
    country_name: str


def institutions_from_data(data: object, source: str = "members") -> tuple[Institution, ...]:
    """Institutions from parsed JSON ``{"members": [...]}``, each entry an object of non-empty
    strings ``member_id``, ``acronym``, ``name``, ``country_iso2``, ``country_name``.

    Members are data: the development federation's seven come from a file
    (``hub/dev/default_members.json``); a real network's from its directory.
    Errors name the entry and field.
    """
    if not isinstance(data, dict) or not isinstance(data.get("members"), list):
        raise ValueError(f"{source}: expected an object with a 'members' list")
    out: list[Institution] = []
    for n, item in enumerate(data["members"]):
        if not isinstance(item, dict):
            raise ValueError(f"{source}: members[{n}] is not an object")
        values: dict[str, str] = {}
        for name in ("member_id", "acronym", "name", "country_iso2", "country_name"):
            value = item.get(name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{source}: members[{n}].{name} must be a non-empty string")
            values[name] = value
        member_id = validate_member_id(values["member_id"])
        if not re.fullmatch(r"[A-Z]{2}", values["country_iso2"]) or not member_id.startswith(
            values["country_iso2"] + "-"
        ):
            raise ValueError(f"{source}: members[{n}].country_iso2 must be the member id's two-letter prefix")
        out.append(Institution(**values))
    ids = [m.member_id for m in out]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{source}: a member id is listed twice")
    return tuple(out)


def validate_member_id(s: object) -> str:
    """Return ``s`` if it is a well-formed member id, else raise ``ValueError`` saying what is wrong.

    Only the shape is checked (``^[A-Z]{2}-[A-Z0-9]{2,12}$``), not membership:
    the directory decides who is a member today. The message names the exact
    problem because adapters surface it to integration engineers as is.
    """
    if not isinstance(s, str):
        raise ValueError(f"member id must be a string, got {type(s).__name__}")
    if not s:
        raise ValueError("member id is empty")
    if MEMBER_ID_PATTERN.fullmatch(s):
        return s
    shown = repr(s) if len(s) <= 40 else repr(s[:40] + "…")
    if s != s.strip():
        raise ValueError(f"member id {shown} has leading or trailing whitespace")
    if s.upper() != s:
        raise ValueError(f"member id {shown} must be upper case (e.g. 'CO-INPEC')")
    country, sep, code = s.partition("-")
    if not sep:
        raise ValueError(f"member id {shown} has no '-': expected '<ISO2>-<CODE>' (e.g. 'CO-INPEC')")
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise ValueError(
            f"member id {shown}: country prefix {country!r} must be two letters A-Z (ISO 3166-1 alpha-2)"
        )
    if not re.fullmatch(r"[A-Z0-9]*", code):
        raise ValueError(f"member id {shown}: institution code {code!r} may contain only A-Z and 0-9")
    if len(code) < 2:
        raise ValueError(f"member id {shown}: institution code {code!r} is shorter than 2 characters")
    raise ValueError(f"member id {shown}: institution code is {len(code)} characters; at most 12 allowed")

"""The seven founding members of the network, as plain reference data.

Pure data with no I/O: the PKI, the directory, the adapters and the policy
tables all name institutions by the same ``member_id`` and must agree on it,
so it is defined once here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

__all__ = [
    "MEMBERS",
    "MEMBER_IDS",
    "MEMBER_ID_PATTERN",
    "OFFICER_PSEUDONYM_PATTERN",
    "OFFICER_PSEUDONYM_RULE",
    "Institution",
    "by_id",
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


MEMBERS: tuple[Institution, ...] = (
    Institution("CO-INPEC", "INPEC", "Instituto Nacional Penitenciario y Carcelario", "CO", "Colombia"),
    Institution("PE-INPE", "INPE", "Instituto Nacional Penitenciario", "PE", "Perú"),
    Institution("GT-DGSP", "DGSP", "Dirección General del Sistema Penitenciario", "GT", "Guatemala"),
    Institution(
        "EC-SNAI",
        "SNAI",
        "Servicio Nacional de Atención Integral a Personas Adultas Privadas de la Libertad"
        " y a Adolescentes Infractores",
        "EC",
        "Ecuador",
    ),
    Institution("UY-INR", "INR", "Instituto Nacional de Rehabilitación", "UY", "Uruguay"),
    Institution(
        "DO-DGSPC",
        "DGSPC",
        "Dirección General de Servicios Penitenciarios y Correccionales",
        "DO",
        "República Dominicana",
    ),
    Institution(
        "MX-OADPRS",
        "OADPRS",
        "Órgano Administrativo Desconcentrado Prevención y Readaptación Social",
        "MX",
        "México",
    ),
)


#: The members' ids, in ``MEMBERS`` order: the one list every other module uses.
MEMBER_IDS: tuple[str, ...] = tuple(m.member_id for m in MEMBERS)


@cache
def by_id() -> Mapping[str, Institution]:
    """Members keyed by ``member_id`` (read-only, in ``MEMBERS`` order)."""
    return MappingProxyType({m.member_id: m for m in MEMBERS})


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

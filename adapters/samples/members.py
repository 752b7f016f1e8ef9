"""The members the sample content is written for: the development federation's seven.

Sample content (synthetic populations, integrity audits, programmes) is per member, so it names the
members it covers here, once. Who is a member of a network is the directory's word, not this list;
``tests/test_samples_members.py`` keeps it equal to ``hub/dev/default_members.json``.
"""

from __future__ import annotations

from typing import NamedTuple


class SampleMember(NamedTuple):
    member_id: str
    acronym: str
    country_iso2: str
    country_name: str


SAMPLE_MEMBERS: tuple[SampleMember, ...] = (
    SampleMember("CO-INPEC", "INPEC", "CO", "Colombia"),
    SampleMember("PE-INPE", "INPE", "PE", "Perú"),
    SampleMember("GT-DGSP", "DGSP", "GT", "Guatemala"),
    SampleMember("EC-SNAI", "SNAI", "EC", "Ecuador"),
    SampleMember("UY-INR", "INR", "UY", "Uruguay"),
    SampleMember("DO-DGSPC", "DGSPC", "DO", "República Dominicana"),
    SampleMember("MX-OADPRS", "OADPRS", "MX", "México"),
)
#: Their ids, in that order.
MEMBER_IDS: tuple[str, ...] = tuple(m.member_id for m in SAMPLE_MEMBERS)

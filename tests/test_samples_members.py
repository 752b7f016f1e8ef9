"""The sample content covers exactly the development federation's members (both are data)."""

from __future__ import annotations

from adapters.samples.members import SAMPLE_MEMBERS
from hub.dev.federation import default_members


def test_sample_members_are_the_default_federation() -> None:
    assert [(m.member_id, m.acronym, m.country_iso2, m.country_name) for m in default_members()] == [
        tuple(m) for m in SAMPLE_MEMBERS
    ]

"""What the adapters know about each member country: its code lists, facilities and scales.

``CountrySpec`` and its parts; each country module of :mod:`adapters.countries` fills one in
(``SPEC``), and the sample generator (:mod:`adapters.samples.synthetic`) draws from the same
tables, so synthetic data and the adapters never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from adapters import ids
from pxhub.v1 import common_pb2
from pxhub.v1 import inmate_profile_pb2 as pb

# ICCS v1.0 labels for the codes used below. Brief-supplied codes that ICCS files elsewhere:
# kidnapping is 020221 (under 0202 acts against liberty), extortion sits in 0205 coercion,
# corruption is 0703, offences against the justice system 0806, weapons 0901.
ICCS_LABELS: Final[dict[str, str]] = {
    "0101": "Intentional homicide",
    "0102": "Attempted intentional homicide",
    "0201": "Assaults and threats",
    "0204": "Trafficking in persons",
    "0205": "Coercion (incl. extortion)",
    "020221": "Kidnapping",
    "0301": "Sexual violence",
    "0401": "Robbery",
    "0501": "Burglary",
    "0502": "Theft",
    "0601": "Unlawful acts involving controlled drugs or precursors",
    "0703": "Corruption",
    "0704": "Acts involving proceeds of crime",
    "0805": "Acts related to migration",
    "0806": "Acts against the justice system",
    "0901": "Acts involving weapons, explosives and other destructive materials",
    "0905": "Acts related to an organized criminal group",
    "0906": "Terrorism",
}


@dataclass(frozen=True, slots=True)
class NamePool:
    """Name parts of one nationality; Hispanic naming uses two surnames."""

    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[str, ...]
    two_surnames: bool = True
    languages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Region:
    """Place of birth/arrest: ISO 3166-2 code, a locality and what ids encode about it.

    ``id_component`` is the EC province ("09"), GT department-municipality ("01-08"),
    MX CURP state ("SL") or CO DANE municipality code ("11001"), depending on the member.
    """

    iso: str
    locality: str
    weight: float
    id_component: str = ""


@dataclass(frozen=True, slots=True)
class Facility:
    """A custody facility; ``levels`` are the hub security levels it holds."""

    code: str
    name: str
    region_iso: str
    weight: float
    women: bool = False
    men: bool = True
    levels: tuple[int, ...] = (1, 2, 3)


@dataclass(frozen=True, slots=True)
class Offence:
    """A national offence with its ICCS code, typical sentence and seriousness (1–4)."""

    iccs: str
    code: str
    label: str
    weight: float
    severity: int
    years: tuple[int, int]
    organised: float = 0.0


@dataclass(frozen=True, slots=True)
class NationalLevel:
    """A national security level kept verbatim beside the hub's ordinal level."""

    level: pb.SecurityLevel.ValueType
    code: str
    label: str


@dataclass(frozen=True, slots=True)
class CountrySpec:
    """Everything country-specific the adapters and the sample generator share about one member.

    Each country module of ``adapters.countries`` owns its member's ``SPEC``. The national
    identity document and its issuer come from ``adapters.ids`` (``id_type``, ``id_authority``).
    """

    member_id: str
    iso2: str
    language: str
    names: NamePool
    regions: tuple[Region, ...]
    facilities: tuple[Facility, ...]
    offence_scheme: str
    offences: tuple[Offence, ...]
    level_scheme: str
    levels: tuple[NationalLevel, ...]
    classification_instrument: str
    classification_unit: str
    risk_instrument: str
    intelligence_unit: str
    courts: tuple[str, ...]
    case_ref: str
    subject_prefix: str
    biometric_repository: str
    phone: tuple[tuple[str, ...], int]  # (prefixes, digits after the prefix)
    female_share: float
    pretrial_share: float
    appeal_share: float
    pretrial_months: tuple[int, ...]
    foreign_share: float
    foreign_nationalities: tuple[tuple[str, float], ...]
    affiliation_share: float
    organisations: tuple[tuple[str, float], ...]
    minority_languages: tuple[tuple[str, float], ...] = ()
    level_shift: float = 0.0
    life_sentence_share: float = 0.0
    nicknames: tuple[str, ...] = ()
    foreigner_document: common_pb2.IdDocumentType.ValueType = common_pb2.ID_DOCUMENT_TYPE_UNSPECIFIED

    @property
    def id_type(self) -> common_pb2.IdDocumentType.ValueType:
        """The national identity document of the member's country."""
        return ids.NATIONAL_ID_DOCUMENTS[self.iso2][0]

    @property
    def id_authority(self) -> str:
        """The authority that issues that document."""
        return ids.NATIONAL_ID_DOCUMENTS[self.iso2][1]


L_MIN: Final = pb.SECURITY_LEVEL_MINIMUM
L_MED: Final = pb.SECURITY_LEVEL_MEDIUM
L_HIGH: Final = pb.SECURITY_LEVEL_HIGH
L_MAX: Final = pb.SECURITY_LEVEL_MAXIMUM
# Hub level by ordinal 1..4 (index 0 unused), typed as the proto enum.

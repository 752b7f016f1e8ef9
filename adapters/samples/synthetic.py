"""Synthetic inmate security profiles per member, for demos, load tests and adapter tests.

Rows are deterministic per (member, seed, row index): ``ProfileGenerator.profile(i)`` reseeds
one private ``random.Random`` from those three numbers, so any row can be regenerated on
its own and a stream can resume from any index. ``generate_profiles`` is a generator that
holds one profile at a time, so memory does not grow with the row count.

What is realistic and what is not:

* Ages follow the shape programmes target (18–34-year-olds ≈ 52 %, as in Peru's prison
  population; oldest 75); about 93 % men; pretrial shares per country.
* National ids pass their scheme's public algorithm and carry the status the validator in
  ``adapters.ids`` assigns; a MX CURP is built from the person's names, birth date, sex and
  state of birth; a GT CUI and an EC cédula encode the place of registration.
* Offences carry UNODC ICCS v1.0 codes (level 2, or deeper where the code was checked:
  020221 kidnapping) beside the national statute reference kept verbatim.
* National statute references, facility lists and national security-level scales are
  plausible placeholders written from public descriptions; the member adapters replace
  them with each institution's own code lists (domain model §10, open point 8).

Names, numbers and people are invented; any match with a real person is chance.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final, Generic, TypeVar

from adapters import ids
from adapters.countries import COUNTRY_SPECS
from adapters.spec import (
    L_HIGH,
    L_MAX,
    L_MED,
    L_MIN,
    CountrySpec,
    Facility,
    NamePool,
    Offence,
    Region,
)
from pxhub.v1 import common_pb2
from pxhub.v1 import inmate_profile_pb2 as pb

__all__ = [
    "AGE_BANDS",
    "DEFAULT_AS_OF",
    "ORGANISATIONS",
    "Organisation",
    "ProfileGenerator",
    "generate_profiles",
]

T = TypeVar("T")


TABLE_SIZE: Final = 2048


class Weighted(Generic[T]):
    """Items with weights, picked by one uniform draw (cheaper than ``random.choices``).

    ``table`` has TABLE_SIZE slots shared out by weight (largest remainder, every item at
    least one slot), so a hot loop picks with ``w.table[int(u * TABLE_SIZE)]``: one index,
    no search. Shares are exact to 1/TABLE_SIZE, plenty for synthetic populations.
    """

    __slots__ = ("items", "table")

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        items = [item for item, w in pairs if w > 0]
        weights = [w for _, w in pairs if w > 0]
        if not items:
            raise ValueError("Weighted needs at least one item with a positive weight")
        total = sum(weights)
        raw = [w / total * TABLE_SIZE for w in weights]
        counts = [max(1, int(x)) for x in raw]
        by_remainder = sorted(range(len(raw)), key=lambda k: int(raw[k]) - raw[k])
        k = 0
        while sum(counts) < TABLE_SIZE:
            counts[by_remainder[k % len(raw)]] += 1
            k += 1
        while sum(counts) > TABLE_SIZE:
            counts[counts.index(max(counts))] -= 1
        self.items: tuple[T, ...] = tuple(items)
        self.table: tuple[T, ...] = tuple(item for item, c in zip(items, counts, strict=True)
                                          for _ in range(c))

    def pick(self, u: float) -> T:
        """The item for a uniform draw ``u`` in [0, 1)."""
        return self.table[int(u * TABLE_SIZE)]


# --------------------------------------------------------------------------- shared reference data

DEFAULT_AS_OF: Final = date(2025, 6, 30)

# (youngest, oldest, share). 18–34 is 52 %, the share INPE reports for its population.
AGE_BANDS: Final[tuple[tuple[int, int, float], ...]] = (
    (18, 24, 0.17), (25, 29, 0.18), (30, 34, 0.17), (35, 39, 0.14), (40, 44, 0.11),
    (45, 49, 0.08), (50, 59, 0.09), (60, 69, 0.045), (70, 75, 0.015),
)

@dataclass(frozen=True, slots=True)
class Organisation:
    """Entry of the shared organisation registry: one id per group across members.

    ``origin_iso2`` is where the group was founded (several Central American and Caribbean
    gangs began in US cities or prisons), not where it operates.
    """

    ref: str
    name: str
    origin_iso2: str
    extremist: bool = False


ORGANISATIONS: Final[dict[str, Organisation]] = {
    o.ref: o
    for o in (
        Organisation("org:tren-de-aragua", "Tren de Aragua", "VE"),
        Organisation("org:los-choneros", "Los Choneros", "EC"),
        Organisation("org:los-lobos", "Los Lobos", "EC"),
        Organisation("org:los-tiguerones", "Los Tiguerones", "EC"),
        Organisation("org:latin-kings", "Latin Kings", "US"),
        Organisation("org:cjng", "Cártel de Jalisco Nueva Generación", "MX"),
        Organisation("org:cartel-de-sinaloa", "Cártel de Sinaloa", "MX"),
        Organisation("org:cartel-del-golfo", "Cártel del Golfo", "MX"),
        Organisation("org:familia-michoacana", "La Familia Michoacana", "MX"),
        Organisation("org:barrio-18", "Barrio 18", "US"),
        Organisation("org:ms-13", "Mara Salvatrucha (MS-13)", "US"),
        Organisation("org:clan-del-golfo", "Clan del Golfo", "CO"),
        Organisation("org:eln", "Ejército de Liberación Nacional (ELN)", "CO", extremist=True),
        Organisation("org:disidencias-farc", "Disidencias de las FARC-EP", "CO", extremist=True),
        Organisation("org:la-oficina", "La Oficina de Envigado", "CO"),
        Organisation("org:los-pulpos", "Los Pulpos", "PE"),
        Organisation("org:sendero-luminoso", "Sendero Luminoso", "PE", extremist=True),
        Organisation("org:pcc", "Primeiro Comando da Capital (PCC)", "BR"),
        Organisation("org:trinitarios", "Trinitarios", "US"),
    )
}


_NICKNAMES: Final = (
    "el Flaco", "el Gordo", "el Negro", "el Chino", "el Mono", "el Zurdo", "el Loco", "el Gato",
    "el Tigre", "el Pelón", "el Cabezón", "el Chato", "el Viejo", "el Pollo", "el Tuerto",
    "el Diablo", "el Pitbull", "el Menor", "el Cuervo", "el Mudo", "el Compa", "el Primo",
)

_FOREIGN_POOLS: Final[dict[str, NamePool]] = {
    "VE": NamePool(
        ("José", "Luis", "Carlos", "Jesús", "Yorman", "Yonaiker", "Kleiber", "Jhoan", "Wuilmer",
         "Deivis", "Yorbis", "Anthony", "Jean Carlos", "Yeferson"),
        ("María", "Yusmary", "Yorgelis", "Andreína", "Génesis", "Daniela", "Mariángel"),
        ("González", "Rodríguez", "Pérez", "Hernández", "García", "Martínez", "López", "Díaz",
         "Rivas", "Mendoza", "Contreras", "Blanco", "Colmenares", "Medina", "Rondón", "Silva"),
    ),
    "HN": NamePool(
        ("José", "Juan", "Carlos", "Marvin", "Óscar", "Denis", "Elvin", "Wilmer", "Kevin", "Santos"),
        ("María", "Dilcia", "Suyapa", "Karla"),
        ("López", "Hernández", "Martínez", "Rodríguez", "Mejía", "Flores", "Zelaya", "Cruz", "Reyes",
         "Padilla", "Ramos", "Bonilla"),
    ),
    "SV": NamePool(
        ("José", "Juan", "Carlos", "Ever", "Nelson", "Wilfredo", "Douglas", "Mauricio", "Jonathan"),
        ("María", "Roxana", "Yesenia", "Marisol"),
        ("Hernández", "López", "Martínez", "García", "Rivas", "Flores", "Portillo", "Ramírez",
         "Alvarenga", "Mejía"),
    ),
    "HT": NamePool(
        ("Jean", "Pierre", "Wilner", "Jean-Robert", "Fritznel", "Wisly", "Peterson", "Jameson",
         "Frantz", "Jean-Claude", "Jacques", "Lovens"),
        ("Marie", "Rose", "Guerline", "Nadège", "Fabienne"),
        ("Joseph", "Pierre", "Jean", "Louis", "Charles", "Jean-Baptiste", "Saint-Louis", "Dorvil",
         "Exantus", "Fils-Aimé", "Michel", "Jean-Louis"),
        two_surnames=False,
        languages=("ht", "fr"),
    ),
    "AR": NamePool(
        ("Lucas", "Matías", "Nicolás", "Gonzalo", "Maximiliano", "Damián", "Ezequiel", "Leandro"),
        ("Florencia", "Micaela", "Romina"),
        ("González", "Rodríguez", "Gómez", "Fernández", "López", "Díaz", "Martínez", "Pérez",
         "Romero", "Sosa"),
        two_surnames=False,
    ),
    "BR": NamePool(
        ("João", "Lucas", "Gabriel", "Rafael", "Bruno", "Thiago", "Wellington", "Anderson"),
        ("Ana", "Juliana", "Fernanda"),
        ("Silva", "Santos", "Oliveira", "Souza", "Lima", "Pereira", "Ferreira", "Costa",
         "Rodrigues", "Almeida"),
        languages=("pt-BR",),
    ),
}

_LEVEL_ENUM: Final = (L_MIN, L_MIN, L_MED, L_HIGH, L_MAX)

_SPEC_BY_ISO2: Final = {s.iso2: s for s in COUNTRY_SPECS.values()}

# --------------------------------------------------------------------------- per-row vocabulary

_EYES: Final = Weighted([("café oscuro", 60), ("café claro", 22), ("negro", 10), ("miel", 4),
                         ("verde", 2.5), ("azul", 1.5)])
_HAIR: Final = Weighted([("negro", 62), ("castaño oscuro", 20), ("castaño claro", 8), ("canoso", 6),
                         ("rubio", 2), ("rapado", 2)])
_MARKS: Final = ("cicatriz en el antebrazo izquierdo", "cicatriz en la ceja derecha",
                 "cicatriz abdominal", "lunar en la mejilla izquierda", "amputación de falange",
                 "cicatriz por arma blanca en el tórax", "quemadura en el dorso de la mano")
_TATTOO_PLACES: Final = ("nuca", "antebrazo derecho", "antebrazo izquierdo", "pecho", "espalda",
                         "cuello", "mano derecha", "pantorrilla")
_TATTOO_PLAIN: Final = ("nombre femenino", "rosario", "virgen de Guadalupe", "calavera", "fecha",
                        "reloj sin manecillas", "telaraña", "lágrima")
_TRANSFER_REASONS: Final = Weighted([("SEGURIDAD", 30), ("HACINAMIENTO", 25),
                                     ("ACERCAMIENTO_FAMILIAR", 15), ("DISCIPLINARIO", 12),
                                     ("TRATAMIENTO", 10), ("ORDEN_JUDICIAL", 8)])
_RELATIONSHIPS: Final = Weighted([("madre", 35), ("esposa", 15), ("conviviente", 15), ("hermana", 10),
                                  ("hermano", 8), ("padre", 7), ("hija", 5), ("hijo", 5)])
_GROUNDS: Final[dict[int, tuple[str, ...]]] = {
    1: ("Conducta adecuada y avance en el plan de tratamiento", "Primario; delito sin violencia"),
    2: ("Valoración ordinaria al ingreso", "Pena media; sin incidentes disciplinarios graves"),
    3: ("Delito violento; antecedentes de incidentes disciplinarios", "Reincidencia y vínculos con "
        "estructuras criminales", "Riesgo de evasión valorado como alto"),
    4: ("Dirección de estructura criminal desde prisión", "Alto perfil; riesgo para la seguridad del "
        "establecimiento", "Intentos de evasión y amenazas al personal"),
}
_BASES: Final = Weighted([
    (pb.AFFILIATION_BASIS_TATTOOS_OR_SYMBOLS, 18), (pb.AFFILIATION_BASIS_STAFF_OBSERVATION, 18),
    (pb.AFFILIATION_BASIS_SELF_ADMISSION, 12), (pb.AFFILIATION_BASIS_ASSOCIATION_WITH_VALIDATED_MEMBERS, 14),
    (pb.AFFILIATION_BASIS_OFFENCE_CIRCUMSTANCES, 12), (pb.AFFILIATION_BASIS_CONFIDENTIAL_SOURCE, 8),
    (pb.AFFILIATION_BASIS_WRITTEN_OR_ELECTRONIC_MATERIAL, 7),
    (pb.AFFILIATION_BASIS_PHOTOGRAPHS_OR_PARAPHERNALIA, 5), (pb.AFFILIATION_BASIS_JUDICIAL_FINDING, 4),
    (pb.AFFILIATION_BASIS_OTHER_AGENCY, 2),
])
_ROLES: Final = Weighted([(pb.AFFILIATION_ROLE_MEMBER, 55), (pb.AFFILIATION_ROLE_ASSOCIATE, 20),
                          (pb.AFFILIATION_ROLE_TARGETED_BY, 14), (pb.AFFILIATION_ROLE_FORMER_MEMBER, 8),
                          (pb.AFFILIATION_ROLE_LEADER, 3)])
_RELIABILITY: Final = Weighted([(pb.SOURCE_RELIABILITY_A, 15), (pb.SOURCE_RELIABILITY_B, 45),
                                (pb.SOURCE_RELIABILITY_C, 25), (pb.SOURCE_RELIABILITY_X, 15)])
_ASSESSMENT: Final = Weighted([(pb.INFORMATION_ASSESSMENT_1, 15), (pb.INFORMATION_ASSESSMENT_2, 35),
                               (pb.INFORMATION_ASSESSMENT_3, 35), (pb.INFORMATION_ASSESSMENT_4, 15)])
_ASSERTION_STATUS: Final = Weighted([(pb.ASSERTION_STATUS_VALIDATED, 45), (pb.ASSERTION_STATUS_SUSPECTED, 40),
                                     (pb.ASSERTION_STATUS_DISPUTED, 10), (pb.ASSERTION_STATUS_WITHDRAWN, 5)])
_CARE: Final = Weighted([
    ((pb.CARE_ALERT_TYPE_MEDICATION_CONTINUITY,
      "Mantener el tratamiento prescrito sin interrupción; coordinar con sanidad del centro receptor"), 40),
    ((pb.CARE_ALERT_TYPE_SUICIDE_OR_SELF_HARM_RISK,
      "Observación cercana durante traslados; no ubicar en celda individual"), 20),
    ((pb.CARE_ALERT_TYPE_MOBILITY_OR_DISABILITY_ADJUSTMENT,
      "Requiere ubicación en planta baja y apoyo para desplazamientos"), 15),
    ((pb.CARE_ALERT_TYPE_INFECTION_CONTROL,
      "Aplicar precauciones respiratorias durante traslados y en áreas comunes"), 15),
])
_PREGNANCY_NOTE: Final = "Gestante o con hijo menor en custodia: control prenatal y pediátrico, " \
                         "transporte adaptado"
_PRIORS: Final = Weighted([(0, 75), (1, 15), (2, 6), (3, 2.5), (4, 1), (5, 0.5)])

_AGE: Final = Weighted([((lo, hi), share) for lo, hi, share in AGE_BANDS])
_EPOCH_ORD: Final = date(1970, 1, 1).toordinal()
_DATE_CACHE_LIMIT: Final = 16_384
_ESCAPE_OFFENCES: Final = frozenset({"0806"})
_VIOLENT_PREFIXES: Final = ("01", "02", "03", "04")


@dataclass(frozen=True, slots=True)
class _Prepared:
    """Per-country lookup tables and message templates built once, so rows only draw and copy.

    Templates hold the fields that are constant for a country (schemes, labels, units,
    instruments); a row copies one in a single C call and sets only what varies.
    """

    spec: CountrySpec
    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[str, ...]
    regions: Weighted[Region]
    offences: Weighted[Offence]
    organisations: Weighted[Organisation]
    foreign: Weighted[str]
    facilities: dict[tuple[bool, int], Weighted[Facility]]
    levels: dict[int, tuple[pb.SecurityClassification, ...]]
    courts: dict[str, tuple[str, ...]]
    nicknames: tuple[str, ...]
    languages: Weighted[str]
    charges: dict[tuple[str, bool, bool], pb.Charge]
    national_id: common_pb2.PersonIdentifier
    risk_flags: dict[tuple[int, int], pb.RiskFlag]
    affiliations: dict[str, pb.AffiliationAssertion]
    tenprint: pb.BiometricReference
    face: pb.BiometricReference


def _prepare(spec: CountrySpec) -> _Prepared:
    facilities: dict[tuple[bool, int], Weighted[Facility]] = {}
    for female in (False, True):
        fit_sex = [f for f in spec.facilities if (f.women if female else f.men)]
        for level in (1, 2, 3, 4):
            fit = [f for f in fit_sex if level in f.levels] or fit_sex
            facilities[(female, level)] = Weighted([(f, f.weight) for f in fit])
    levels: dict[int, tuple[pb.SecurityClassification, ...]] = {}
    for lv in spec.levels:
        tmpl = pb.SecurityClassification(
            level=lv.level,
            national_level=common_pb2.CodeValue(scheme=spec.level_scheme, code=lv.code, label=lv.label),
            instrument=spec.classification_instrument,
            decided_by_unit=spec.classification_unit,
        )
        levels[int(lv.level)] = (*levels.get(int(lv.level), ()), tmpl)
    charges: dict[tuple[str, bool, bool], pb.Charge] = {}
    for off in spec.offences:
        for convicted in (False, True):
            for organised in (False, True):
                charges[(off.code, convicted, organised)] = pb.Charge(
                    national_offence=common_pb2.CodeValue(scheme=spec.offence_scheme, code=off.code,
                                                          label=off.label),
                    iccs_code=off.iccs,
                    description=off.label,
                    organised_crime_aggravation=organised,
                    status=(pb.Charge.CHARGE_STATUS_CONVICTED if convicted
                            else pb.Charge.CHARGE_STATUS_PENDING),
                )
    courts = {
        r.locality: tuple(t.format(n=n, city=r.locality) for t in spec.courts for n in range(1, 13))
        for r in spec.regions
    }
    risk_flags = {
        (int(kind), int(level)): pb.RiskFlag(type=kind, level=level, instrument=spec.risk_instrument)
        for kind in pb.RiskType.values() if kind
        for level in pb.RiskLevel.values() if level
    }
    affiliations = {
        o.ref: pb.AffiliationAssertion(organisation_ref=o.ref, organisation_name=o.name,
                                       validated_by_unit=spec.intelligence_unit)
        for o in ORGANISATIONS.values()
    }
    minority = sum(w for _, w in spec.minority_languages)
    return _Prepared(
        spec=spec,
        male=spec.names.male,
        female=spec.names.female,
        surnames=spec.names.surnames,
        regions=Weighted([(r, r.weight) for r in spec.regions]),
        offences=Weighted([(o, o.weight) for o in spec.offences]),
        organisations=Weighted([(ORGANISATIONS[ref], w) for ref, w in spec.organisations]),
        foreign=Weighted(list(spec.foreign_nationalities)),
        facilities=facilities,
        levels=levels,
        courts=courts,
        nicknames=_NICKNAMES + spec.nicknames,
        languages=Weighted([("", 1.0 - minority), *spec.minority_languages]),
        charges=charges,
        national_id=common_pb2.PersonIdentifier(type=spec.id_type, issuing_country_iso2=spec.iso2,
                                                issuing_authority=spec.id_authority),
        risk_flags=risk_flags,
        affiliations=affiliations,
        tenprint=pb.BiometricReference(modality=pb.BIOMETRIC_MODALITY_TENPRINT,
                                       repository=spec.biometric_repository, encoding="type-14"),
        face=pb.BiometricReference(modality=pb.BIOMETRIC_MODALITY_FACE,
                                   repository=spec.biometric_repository, encoding="type-10"),
    )


_UUID_VARIANT: Final = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def _uuid4(bits: int) -> str:
    """Random-UUID text (version 4, RFC 9562 variant) from 128 random bits."""
    h = "%032x" % bits  # noqa: UP031 - fastest fixed-width hex here
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_UUID_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


# Enum values used per row, bound once (saves an attribute lookup each time).
_AFFILIATION_BASIS_CONFIDENTIAL_SOURCE: Final = pb.AFFILIATION_BASIS_CONFIDENTIAL_SOURCE
_AFFILIATION_BASIS_JUDICIAL_FINDING: Final = pb.AFFILIATION_BASIS_JUDICIAL_FINDING
_AFFILIATION_BASIS_TATTOOS_OR_SYMBOLS: Final = pb.AFFILIATION_BASIS_TATTOOS_OR_SYMBOLS
_AFFILIATION_ROLE_FORMER_MEMBER: Final = pb.AFFILIATION_ROLE_FORMER_MEMBER
_AFFILIATION_ROLE_LEADER: Final = pb.AFFILIATION_ROLE_LEADER
_AFFILIATION_ROLE_MEMBER: Final = pb.AFFILIATION_ROLE_MEMBER
_AFFILIATION_ROLE_TARGETED_BY: Final = pb.AFFILIATION_ROLE_TARGETED_BY
_ASSERTION_STATUS_VALIDATED: Final = pb.ASSERTION_STATUS_VALIDATED
_CARE_ALERT_TYPE_PREGNANCY_OR_CHILD_IN_CUSTODY: Final = pb.CARE_ALERT_TYPE_PREGNANCY_OR_CHILD_IN_CUSTODY
_INTERPOL_NOTICE_TYPE_RED: Final = pb.INTERPOL_NOTICE_TYPE_RED
_LEGAL_STATUS_CONVICTED_FINAL: Final = pb.LEGAL_STATUS_CONVICTED_FINAL
_LEGAL_STATUS_CONVICTED_FIRST_INSTANCE: Final = pb.LEGAL_STATUS_CONVICTED_FIRST_INSTANCE
_LEGAL_STATUS_PRETRIAL: Final = pb.LEGAL_STATUS_PRETRIAL
_NAME_KIND_ALIAS: Final = pb.NameVariant.NAME_KIND_ALIAS
_NAME_KIND_NICKNAME: Final = pb.NameVariant.NAME_KIND_NICKNAME
_PERSON_STATUS_PRETRIAL_DETAINEE: Final = pb.PERSON_STATUS_PRETRIAL_DETAINEE
_PERSON_STATUS_SENTENCED: Final = pb.PERSON_STATUS_SENTENCED
_PERSON_STATUS_SENTENCED_APPEAL_PENDING: Final = pb.PERSON_STATUS_SENTENCED_APPEAL_PENDING
_RISK_LEVEL_HIGH: Final = pb.RISK_LEVEL_HIGH
_RISK_LEVEL_MODERATE: Final = pb.RISK_LEVEL_MODERATE
_RISK_LEVEL_VERY_HIGH: Final = pb.RISK_LEVEL_VERY_HIGH
_RISK_TYPE_DIRECTING_CRIME_FROM_PRISON: Final = pb.RISK_TYPE_DIRECTING_CRIME_FROM_PRISON
_RISK_TYPE_ESCAPE: Final = pb.RISK_TYPE_ESCAPE
_RISK_TYPE_HIGH_PROFILE: Final = pb.RISK_TYPE_HIGH_PROFILE
_RISK_TYPE_STAFF_CORRUPTION_OR_INTIMIDATION: Final = pb.RISK_TYPE_STAFF_CORRUPTION_OR_INTIMIDATION
_RISK_TYPE_VIOLENCE_TO_OTHERS: Final = pb.RISK_TYPE_VIOLENCE_TO_OTHERS
_RISK_TYPE_VIOLENT_EXTREMISM: Final = pb.RISK_TYPE_VIOLENT_EXTREMISM
_RISK_TYPE_VULNERABLE_TO_VICTIMISATION: Final = pb.RISK_TYPE_VULNERABLE_TO_VICTIMISATION
_SEX_FEMALE: Final = pb.SEX_FEMALE
_SEX_MALE: Final = pb.SEX_MALE
_PASSPORT_LETTERS: Final = "ABCDEFGHJKLMNPRSTUVWXYZ"


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a non-leap year
        return day.replace(year=day.year - years, day=28)
_WOMEN_RELATIONS: Final = frozenset({"madre", "esposa", "hermana", "hija"})


class ProfileGenerator:
    """Deterministic synthetic profiles of one member: ``profile(i)`` depends on (seed, i) only.

    ``id_error_rate`` replaces one digit of that share of national ids, so adapters and the
    hub's ACCEPTED_WITH_WARNINGS path can be exercised; the validator still sets the status.
    """

    def __init__(self, member_id: str, seed: int, *, as_of: date = DEFAULT_AS_OF,
                 id_error_rate: float = 0.0) -> None:
        spec = COUNTRY_SPECS.get(member_id)
        if spec is None:
            known = ", ".join(sorted(COUNTRY_SPECS))
            raise ValueError(f"unknown member id {member_id!r}; expected one of {known}")
        if not 0.0 <= id_error_rate <= 1.0:
            raise ValueError(f"id_error_rate must be within [0, 1], got {id_error_rate}")
        self.member_id = member_id
        self.seed = seed
        self.as_of = as_of
        self.id_error_rate = id_error_rate
        self._p = _prepare(spec)
        self._homes: dict[str, _Prepared] = {spec.iso2: self._p}
        country_index = sorted(COUNTRY_SPECS).index(member_id)
        # One integer per (seed, member, row) seeds the Mersenne Twister for that row.
        self._base = ((seed & 0xFFFF_FFFF_FFFF_FFFF) << 72) | (country_index << 64)
        self._rng = random.Random()  # noqa: S311 - synthetic data, reproducibility is the point
        # The C-level seed skips random.Random.seed's Python wrapper (same state, 1 µs less).
        self._reseed = super(random.Random, self._rng).seed
        self._as_of_ord = as_of.toordinal()
        self._as_of_seconds = (self._as_of_ord - _EPOCH_ORD) * 86_400 + 12 * 3600
        self._subject_offset = (seed * 7_919) % 90_000_000
        self._dates: dict[int, common_pb2.PartialDate] = {}
        # Birth days giving exactly each age on as_of: (first ordinal, number of days).
        self._birth_days: dict[int, tuple[int, int]] = {}
        for age in range(AGE_BANDS[0][0], AGE_BANDS[-1][1] + 1):
            last = _years_before(as_of, age).toordinal()
            first = _years_before(as_of, age + 1).toordinal() + 1
            self._birth_days[age] = (first, last - first + 1)

    # ---- helpers

    def _pd(self, ordinal: int) -> common_pb2.PartialDate:
        """A shared, never-mutated PartialDate for a day (bounded cache; copied into rows)."""
        cached = self._dates.get(ordinal)
        if cached is None:
            d = date.fromordinal(ordinal)
            cached = common_pb2.PartialDate(year=d.year, month=d.month, day=d.day)
            if len(self._dates) < _DATE_CACHE_LIMIT:
                self._dates[ordinal] = cached
        return cached

    def _home(self, iso2: str) -> _Prepared | None:
        prepared = self._homes.get(iso2)
        if prepared is None:
            spec = _SPEC_BY_ISO2.get(iso2)
            if spec is None:
                return None
            prepared = self._homes[iso2] = _prepare(spec)
        return prepared

    # ---- the row

    def profile(self, i: int) -> pb.InmateSecurityProfile:  # noqa: PLR0912, PLR0915 - one pass per row
        """Row ``i`` of this member's synthetic population (independent of every other row)."""
        if i < 0:
            raise ValueError(f"row index must be non-negative, got {i}")
        rng = self._rng
        self._reseed(self._base + i)
        r = rng.random
        P = self._p
        spec = P.spec
        as_of = self._as_of_ord
        pd = self._pd

        p = pb.InmateSecurityProfile()
        p.profile_id = _uuid4(rng.getrandbits(128))
        p.custodian = spec.member_id
        p.custodian_subject_id = f"{spec.subject_prefix}{(self._subject_offset + i) % 100_000_000:08d}"
        p.as_of.seconds = self._as_of_seconds

        # --- who
        female = r() < spec.female_share
        foreign = r() < spec.foreign_share
        nationality = P.foreign.table[int(r() * TABLE_SIZE)] if foreign else spec.iso2
        home = self._home(nationality) if foreign else P
        if home is not None:
            given_pool = home.female if female else home.male
            surnames = home.surnames
            two_surnames = True
        else:
            pool = _FOREIGN_POOLS[nationality]
            given_pool = pool.female if female else pool.male
            surnames = pool.surnames
            two_surnames = pool.two_surnames
        ng = len(given_pool)
        given = g1 = given_pool[int(r() * ng)]
        if r() < 0.45:
            g2 = given_pool[int(r() * ng)]
            if g2 != g1:
                given = f"{g1} {g2}"
        ns = len(surnames)
        first_surname = surnames[int(r() * ns)]
        second_surname = surnames[int(r() * ns)] if two_surnames else ""

        lo, hi = _AGE.table[int(r() * TABLE_SIZE)]
        age = lo + int(r() * (hi - lo + 1))
        first_day, span = self._birth_days[age]
        birth = first_day + int(r() * span)  # exactly `age` years old on as_of
        birth_region = home.regions.table[int(r() * TABLE_SIZE)] if home is not None else None

        ident = p.identity
        ident.given_names = given
        ident.first_surname = first_surname
        if second_surname:
            ident.second_surname = second_surname
        # Birth dates spread over 58 years: set directly, keeping the date cache for the
        # custody dates that recur across rows.
        born = date.fromordinal(birth)
        bd = ident.birth_date
        bd.year = born.year
        bd.month = born.month
        bd.day = 0 if r() < 0.01 else born.day  # 0: only month and year known
        bp = ident.birth_place
        bp.country_iso2 = nationality
        if birth_region is not None:
            bp.subdivision_code = birth_region.iso
            bp.locality = birth_region.locality
        ident.nationalities_iso2.append(nationality)
        ident.sex = _SEX_FEMALE if female else _SEX_MALE
        if home is not None:
            ident.languages_bcp47.append(home.spec.language)
            extra = "" if foreign else P.languages.table[int(r() * TABLE_SIZE)]
            if extra:
                ident.languages_bcp47.append(extra)
        else:
            ident.languages_bcp47.extend(_FOREIGN_POOLS[nationality].languages or ("es",))
        phys = ident.physical
        height = int((154 if female else 167) + (r() + r() + r() - 1.5) * 11)
        phys.height_cm = height
        phys.weight_kg = int(height * height * (20.5 + r() * 9.5) / 10_000)
        phys.eye_colour = _EYES.table[int(r() * TABLE_SIZE)]
        phys.hair_colour = _HAIR.table[int(r() * TABLE_SIZE)]
        if r() < 0.3:
            phys.distinguishing_marks.append(_MARKS[int(r() * len(_MARKS))])
        face_ref = f"{spec.biometric_repository}:face:{rng.getrandbits(48):012x}"
        phys.facial_image_ref = face_ref
        u = r()
        if u < 0.22:
            nick = ident.other_names.add()
            nick.given_names = P.nicknames[int(r() * len(P.nicknames))]
            nick.kind = _NAME_KIND_NICKNAME
        elif u > 0.97:
            alias = ident.other_names.add()
            alias.given_names = given_pool[int(r() * ng)]
            alias.first_surname = surnames[int(r() * ns)]
            alias.kind = _NAME_KIND_ALIAS
        if r() < 0.3:
            men = home.male if home is not None else _FOREIGN_POOLS[nationality].male
            women = home.female if home is not None else _FOREIGN_POOLS[nationality].female
            ident.parent_names.append(f"{men[int(r() * len(men))]} {first_surname}")
            if second_surname:
                ident.parent_names.append(f"{women[int(r() * len(women))]} {second_surname}")
        if r() < 0.003:
            p.self_perceived_gender = "mujer trans" if not female else "hombre trans"

        # --- identifiers (status always from the validator)
        if home is not None:
            self._national_id(p, rng, home, female, birth, given, first_surname, second_surname,
                              birth_region)
        if foreign:
            self._foreign_documents(p, rng, home, nationality)

        # --- custody and offences
        status_u = r()
        if status_u < spec.pretrial_share:
            person_status, legal_status = _PERSON_STATUS_PRETRIAL_DETAINEE, _LEGAL_STATUS_PRETRIAL
        elif status_u < spec.pretrial_share + spec.appeal_share:
            person_status = _PERSON_STATUS_SENTENCED_APPEAL_PENDING
            legal_status = _LEGAL_STATUS_CONVICTED_FIRST_INSTANCE
        else:
            person_status, legal_status = _PERSON_STATUS_SENTENCED, _LEGAL_STATUS_CONVICTED_FINAL
        p.person_status = person_status
        convicted = person_status != _PERSON_STATUS_PRETRIAL_DETAINEE

        main = P.offences.table[int(r() * TABLE_SIZE)]
        offences = [main]
        extra_u = r()
        if extra_u < 0.3:
            second = P.offences.table[int(r() * TABLE_SIZE)]
            if second.code != main.code:
                offences.append(second)
            if extra_u < 0.07:
                third = P.offences.table[int(r() * TABLE_SIZE)]
                if all(third.code != o.code for o in offences):
                    offences.append(third)
        organised = r() < main.organised

        lo_y, hi_y = main.years
        life = convicted and main.severity == 4 and r() < spec.life_sentence_share
        term_years = lo_y + int(r() * (hi_y - lo_y + 1)) + (len(offences) - 1) * int(r() * 4)
        term_months = int(r() * 12) if r() < 0.4 else 0
        term_days = int((term_years + term_months / 12) * 365.2425)
        # Time already served: sentenced rows spread over the term, pretrial rows skew recent.
        served = (int(r() * min(term_days, 12 * 365) * 0.9) + 45) if convicted else int(r() * r() * 700) + 2
        admitted = max(as_of - served, birth + 6575)  # never before the 18th birthday
        arrested = admitted - int(r() * 3)

        cust = p.custody
        cust.admitted_on.CopyFrom(pd(admitted))
        arrested_pd = pd(arrested)
        cust.arrested_on.CopyFrom(arrested_pd)
        cust.legal_status = legal_status
        if birth_region is not None and not foreign and r() < 0.7:
            arrest_region = birth_region
        else:
            arrest_region = P.regions.table[int(r() * TABLE_SIZE)]
        ap = cust.arrest_place
        ap.country_iso2 = spec.iso2
        ap.subdivision_code = arrest_region.iso
        ap.locality = arrest_region.locality
        courts = P.courts[arrest_region.locality]
        court = courts[int(r() * len(courts))]
        cust.commitment_authority = court
        case_ref = spec.case_ref.format(component=arrest_region.id_component or "1",
                                        n=1 + int(r() * 40), a=int(r() * 99_999) + 1,
                                        b=int(r() * 99_999), year=arrested_pd.year)
        cust.commitment_order_ref = case_ref
        charges = P.charges
        add_charge = cust.charges.add
        for off in offences:
            add_charge().CopyFrom(charges[(off.code, convicted, organised and off is main)])
        if convicted:
            sen = cust.sentences.add()
            sen.court = court
            sen.case_ref = case_ref
            sen.imposed_on.CopyFrom(pd(min(admitted + 60 + int(r() * max(served - 60, 1)), as_of)))
            if life:
                sen.life = True
            else:
                sen.term_years = term_years
                sen.term_months = term_months
                release = pd(admitted + term_days)
                sen.expires_on.CopyFrom(release)
                cust.projected_release.CopyFrom(release)
            sen.charge_iccs_codes.extend([o.iccs for o in offences])
        else:
            months = spec.pretrial_months[int(r() * len(spec.pretrial_months))]
            cust.projected_release.CopyFrom(pd(admitted + int(months * 30.44)))
        prior = _PRIORS.table[int(r() * TABLE_SIZE)]
        cust.prior_incarcerations = prior

        # --- affiliation (drives level and risk)
        role: pb.AffiliationRole.ValueType | None = None
        aff_status: pb.AssertionStatus.ValueType | None = None
        org: Organisation | None = None
        if r() < (spec.affiliation_share * 2.5 if organised else spec.affiliation_share):
            org = P.organisations.table[int(r() * TABLE_SIZE)]
            role = _ROLES.table[int(r() * TABLE_SIZE)]
            aff_status = _ASSERTION_STATUS.table[int(r() * TABLE_SIZE)]

        # --- security classification
        sev = main.severity
        level = (1, 1, 2, 2, 3)[sev]
        if sev >= 3 and r() < 0.35:
            level += 1
        elif sev <= 2 and convicted and r() < 0.3:
            level -= 1
        if prior >= 2 and r() < 0.5:
            level += 1
        if role == _AFFILIATION_ROLE_LEADER:
            level = 4
        elif role == _AFFILIATION_ROLE_MEMBER and aff_status == _ASSERTION_STATUS_VALIDATED:
            level = max(level, 3)
        if r() < spec.level_shift:
            level += 1
        level = 1 if level < 1 else min(level, 4)

        facility = P.facilities[(female, level)].table[int(r() * TABLE_SIZE)]
        cust.facility_code = facility.code
        cust.facility_name = facility.name
        if r() < 0.25:
            tr = cust.transfers.add()
            tr.on.CopyFrom(pd(admitted + int(r() * (as_of - admitted))))
            other = P.facilities[(female, 2)].table[int(r() * TABLE_SIZE)]
            tr.from_facility_code = other.code if other.code != facility.code else "INGRESO"
            tr.to_facility_code = facility.code
            tr.reason_code = _TRANSFER_REASONS.table[int(r() * TABLE_SIZE)]

        sc = p.security_classification
        options = P.levels[level]
        sc.CopyFrom(options[int(r() * len(options))])
        assessed = min(max(admitted + 20, as_of - int(r() * 180)), as_of)
        assessed_pd = pd(assessed)
        review_pd = pd(assessed + 182)
        sc.assessed_on.CopyFrom(assessed_pd)
        sc.review_due.CopyFrom(review_pd)
        grounds = _GROUNDS[level]
        sc.grounds = grounds[int(r() * len(grounds))]

        # --- risk flags
        self._risks(p, main, level, role, org, age, assessed_pd, review_pd)

        # --- affiliation assertion
        if org is not None and role is not None and aff_status is not None:
            self._affiliation(p, rng, org, role, aff_status, organised, arrested)

        # --- international alert, care alerts, contacts, biometrics
        if r() < (0.05 if foreign else 0.004):
            alert = p.international_alerts.add()
            alert.type = _INTERPOL_NOTICE_TYPE_RED
            issued = pd(arrested - int(r() * 1500) - 30)
            alert.reference = f"A-{1 + int(r() * 9999)}/{1 + int(r() * 12)}-{issued.year}"
            alert.requesting_country_iso2 = nationality if foreign else \
                ("US" if r() < 0.5 else P.foreign.table[int(r() * TABLE_SIZE)])
            alert.issued_on.CopyFrom(issued)
            if r() < 0.7:
                alert.confirmed_with_ncb = True
                alert.confirmed_on.CopyFrom(pd(min(arrested + 2 + int(r() * 20), as_of)))
        if r() < 0.1:
            kind, note = _CARE.table[int(r() * TABLE_SIZE)]
            care = p.care_alerts.add()
            care.type = kind
            care.handling_instruction = note
            if r() < 0.5:
                care.valid_until.CopyFrom(pd(as_of + 30 + int(r() * 335)))
        if female and r() < 0.05:
            care = p.care_alerts.add()
            care.type = _CARE_ALERT_TYPE_PREGNANCY_OR_CHILD_IN_CUSTODY
            care.handling_instruction = _PREGNANCY_NOTE
            care.valid_until.CopyFrom(pd(as_of + 60 + int(r() * 240)))
        if r() < 0.35:
            contact = p.contacts.add()
            relation = _RELATIONSHIPS.table[int(r() * TABLE_SIZE)]
            if home is not None:
                names = home.female if relation in _WOMEN_RELATIONS else home.male
            else:
                fp = _FOREIGN_POOLS[nationality]
                names = fp.female if relation in _WOMEN_RELATIONS else fp.male
            contact.name = f"{names[int(r() * len(names))]} {surnames[int(r() * ns)]}"
            contact.relationship = relation
            contact.emergency_contact = True
            contact.dependent_child = relation in ("hija", "hijo") and age < 45 and r() < 0.6
            prefixes, digits = spec.phone
            number = str(int(r() * 10**digits)).zfill(digits)
            contact.contact_channel = f"tel:{prefixes[int(r() * len(prefixes))]}{number}"
        captured = (admitted - _EPOCH_ORD) * 86_400 + 28_800 + int(r() * 30_000)
        biometrics = p.biometrics
        if r() < 0.95:
            bio = biometrics.add()
            bio.CopyFrom(P.tenprint)
            bio.record_ref = f"{spec.biometric_repository}:tp:{rng.getrandbits(48):012x}"
            bio.captured_at.seconds = captured
        bio = biometrics.add()
        bio.CopyFrom(P.face)
        bio.record_ref = face_ref
        bio.captured_at.seconds = captured
        return p

    def _national_id(self, p: pb.InmateSecurityProfile, rng: random.Random, home: _Prepared,
                     female: bool, birth: int, given: str, first_surname: str, second_surname: str,
                     birth_region: Region | None) -> None:
        """The person's own national id, consistent with them, validated by ``adapters.ids``."""
        id_type = home.spec.id_type
        hints: ids.IdHints = {"female": female, "birth_date": date.fromordinal(birth)}  # day exact
        comp = birth_region.id_component if birth_region is not None else ""
        if id_type == ids.MX_CURP:
            hints["given_names"] = given
            hints["first_surname"] = first_surname
            hints["second_surname"] = second_surname
            hints["mx_state"] = comp or "NE"
        elif id_type == ids.EC_CI and comp:
            hints["ec_province"] = int(comp)
        elif id_type == ids.PE_DNI:
            u = rng.random()  # most forms carry only the 8 digits
            hints["pe_check"] = "none" if u < 0.7 else "digit" if u < 0.95 else "letter"
        elif id_type == ids.GT_CUI and comp:
            hints["gt_department"] = int(comp[:2])
            hints["gt_municipality"] = int(comp[3:])
        value = ids.GENERATORS[id_type](rng, hints)
        if self.id_error_rate and rng.random() < self.id_error_rate:
            digits = [k for k, ch in enumerate(value) if "0" <= ch <= "9"]
            pos = digits[int(rng.random() * len(digits))]
            wrong = (ord(value[pos]) - 48 + 1 + int(rng.random() * 9)) % 10
            value = f"{value[:pos]}{wrong}{value[pos + 1:]}"
        check = ids.VALIDATORS[id_type](value)
        pid = p.identifiers.add()
        pid.CopyFrom(home.national_id)
        pid.value = check.normalized
        pid.validation = check.status
        pid.validation_algorithm = check.algorithm

    def _foreign_documents(self, p: pb.InmateSecurityProfile, rng: random.Random,
                           home: _Prepared | None, nationality: str) -> None:
        """Passport (not validated: only its MRZ has check digits) and the local foreigner card."""
        r = rng.random
        if home is None or r() < 0.6:
            pp = p.identifiers.add()
            pp.type = common_pb2.ID_DOCUMENT_TYPE_PASSPORT
            pp.issuing_country_iso2 = nationality
            letters = _PASSPORT_LETTERS
            pp.value = (f"{letters[int(r() * 23)]}{letters[int(r() * 23)]}"
                        f"{str(int(r() * 10**7)).zfill(7)}")
            pp.validation = common_pb2.ID_VALIDATION_STATUS_NOT_VALIDATED
            expiry = self._pd(self._as_of_ord + int((r() - 0.3) * 3650))
            pp.expiry.year = expiry.year
            pp.expiry.month = expiry.month
        spec = self._p.spec
        if spec.foreigner_document and r() < 0.5:
            fd = p.identifiers.add()
            fd.type = spec.foreigner_document
            fd.issuing_country_iso2 = spec.iso2
            fd.value = str(100_000 + int(r() * 9_900_000))
            fd.validation = common_pb2.ID_VALIDATION_STATUS_NOT_VALIDATED

    def _risks(self, p: pb.InmateSecurityProfile, main: Offence, level: int,
               role: pb.AffiliationRole.ValueType | None, org: Organisation | None, age: int,
               assessed: common_pb2.PartialDate, review: common_pb2.PartialDate) -> None:
        """Risk flags that follow from offence, level and affiliation (self-harm is a care alert)."""
        rnd = self._rng.random
        iccs = main.iccs
        flags: list[tuple[int, int]] = []
        if iccs in _ESCAPE_OFFENCES or (level >= 3 and rnd() < 0.15):
            flags.append((_RISK_TYPE_ESCAPE, _RISK_LEVEL_HIGH if level == 4 else _RISK_LEVEL_MODERATE))
        if main.severity >= 3 and iccs.startswith(_VIOLENT_PREFIXES) and rnd() < 0.35:
            flags.append((_RISK_TYPE_VIOLENCE_TO_OTHERS,
                          _RISK_LEVEL_VERY_HIGH if level == 4 else _RISK_LEVEL_HIGH))
        if (iccs == "0301" and rnd() < 0.4) or (age >= 65 and rnd() < 0.3) \
                or role in (_AFFILIATION_ROLE_TARGETED_BY, _AFFILIATION_ROLE_FORMER_MEMBER):
            flags.append((_RISK_TYPE_VULNERABLE_TO_VICTIMISATION, _RISK_LEVEL_HIGH))
        if iccs == "0703" or (role in (_AFFILIATION_ROLE_LEADER, _AFFILIATION_ROLE_MEMBER)
                              and rnd() < 0.3):
            flags.append((_RISK_TYPE_STAFF_CORRUPTION_OR_INTIMIDATION, _RISK_LEVEL_MODERATE))
        if role == _AFFILIATION_ROLE_LEADER:
            flags.append((_RISK_TYPE_DIRECTING_CRIME_FROM_PRISON, _RISK_LEVEL_VERY_HIGH))
        elif iccs == "0205" and rnd() < 0.4:
            flags.append((_RISK_TYPE_DIRECTING_CRIME_FROM_PRISON, _RISK_LEVEL_HIGH))
        if iccs == "0906" or (org is not None and org.extremist
                              and role != _AFFILIATION_ROLE_TARGETED_BY):
            flags.append((_RISK_TYPE_VIOLENT_EXTREMISM, _RISK_LEVEL_HIGH))
        if rnd() < 0.008:
            flags.append((_RISK_TYPE_HIGH_PROFILE, _RISK_LEVEL_MODERATE))
        if not flags:
            return
        templates = self._p.risk_flags
        add = p.risk_flags.add
        for kind, lvl in flags:
            flag = add()
            flag.CopyFrom(templates[(kind, lvl)])
            flag.assessed_on.CopyFrom(assessed)
            flag.review_due.CopyFrom(review)
            flag.score = round(40 + lvl * 12 + rnd() * 10, 1)

    def _affiliation(self, p: pb.InmateSecurityProfile, rng: random.Random, org: Organisation,
                     role: pb.AffiliationRole.ValueType, status: pb.AssertionStatus.ValueType,
                     organised: bool, arrested: int) -> None:
        """One graded assertion; a tattoo basis also adds the linked scar/mark/tattoo entry."""
        r = rng.random
        as_of = self._as_of_ord
        a = p.affiliations.add()
        a.CopyFrom(self._p.affiliations[org.ref])
        a.assertion_id = _uuid4(rng.getrandbits(128))
        a.role = role
        bases: list[pb.AffiliationBasis.ValueType] = []
        for _ in range(1 + int(r() * 3)):
            b = _BASES.table[int(r() * TABLE_SIZE)]
            if b not in bases:
                bases.append(b)
        if (organised and role != _AFFILIATION_ROLE_TARGETED_BY
                and _AFFILIATION_BASIS_JUDICIAL_FINDING not in bases and r() < 0.5):
            bases.append(_AFFILIATION_BASIS_JUDICIAL_FINDING)
        a.bases.extend(bases)
        a.source_reliability = _RELIABILITY.table[int(r() * TABLE_SIZE)]
        a.information_assessment = _ASSESSMENT.table[int(r() * TABLE_SIZE)]
        a.status = status
        first = min(arrested + int(r() * max(as_of - arrested, 1)), as_of)
        a.first_recorded_on.CopyFrom(self._pd(first))
        anchor = first
        if status == _ASSERTION_STATUS_VALIDATED:
            anchor = min(first + 15 + int(r() * 120), as_of)
            a.validated_on.CopyFrom(self._pd(anchor))
            a.subject_informed = r() < 0.7
        a.review_due.CopyFrom(self._pd(anchor + 365))
        if _AFFILIATION_BASIS_CONFIDENTIAL_SOURCE in bases:
            a.source_handle = f"src:{rng.getrandbits(64):016x}"
        if _AFFILIATION_BASIS_TATTOOS_OR_SYMBOLS in bases:
            smt = p.identity.physical.smt.add()
            smt.body_location = _TATTOO_PLACES[int(r() * len(_TATTOO_PLACES))]
            smt.description = f"Tatuaje con símbolos asociados a {org.name}"
            smt.linked_affiliation_id = a.assertion_id
        elif r() < 0.2:
            smt = p.identity.physical.smt.add()
            smt.body_location = _TATTOO_PLACES[int(r() * len(_TATTOO_PLACES))]
            smt.description = f"Tatuaje: {_TATTOO_PLAIN[int(r() * len(_TATTOO_PLAIN))]}"


def generate_profiles(member_id: str, count: int, seed: int, *, start: int = 0,
                      as_of: date = DEFAULT_AS_OF,
                      id_error_rate: float = 0.0) -> Iterator[pb.InmateSecurityProfile]:
    """Stream ``count`` profiles (rows ``start`` … ``start + count − 1``) in constant memory.

    Passing the index of the next undelivered row as ``start`` resumes an interrupted stream
    with exactly the rows it would have produced.
    """
    if count < 0:
        raise ValueError(f"count must be non-negative, got {count}")
    if start < 0:
        raise ValueError(f"start must be non-negative, got {start}")
    gen = ProfileGenerator(member_id, seed, as_of=as_of, id_error_rate=id_error_rate)
    for i in range(start, start + count):
        yield gen.profile(i)

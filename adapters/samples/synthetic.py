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
from pxhub.v1 import common_pb2
from pxhub.v1 import inmate_profile_pb2 as pb

__all__ = [
    "AGE_BANDS",
    "COUNTRY_PROFILES",
    "DEFAULT_AS_OF",
    "ICCS_LABELS",
    "ORGANISATIONS",
    "CountrySpec",
    "Facility",
    "NamePool",
    "NationalLevel",
    "Offence",
    "Organisation",
    "ProfileGenerator",
    "Region",
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
    """Everything country-specific the generator (and later the member adapters) reuse."""

    member_id: str
    iso2: str
    language: str
    id_type: common_pb2.IdDocumentType.ValueType
    id_authority: str
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

L_MIN: Final = pb.SECURITY_LEVEL_MINIMUM
L_MED: Final = pb.SECURITY_LEVEL_MEDIUM
L_HIGH: Final = pb.SECURITY_LEVEL_HIGH
L_MAX: Final = pb.SECURITY_LEVEL_MAXIMUM
# Hub level by ordinal 1..4 (index 0 unused), typed as the proto enum.
_LEVEL_ENUM: Final = (L_MIN, L_MIN, L_MED, L_HIGH, L_MAX)

# --------------------------------------------------------------------------- Colombia

_CO = CountrySpec(
    member_id="CO-INPEC",
    iso2="CO",
    language="es-CO",
    id_type=common_pb2.ID_DOCUMENT_TYPE_CO_CEDULA_CIUDADANIA,
    id_authority="Registraduría Nacional del Estado Civil",
    names=NamePool(
        ("José", "Luis", "Carlos", "Jorge", "Andrés", "Juan", "Diego", "Jhon", "Brayan", "Yeison",
         "Jhonatan", "Cristian", "Wilmer", "Édgar", "Fabián", "Julián", "Camilo", "Sebastián",
         "Alexander", "Duván", "Óscar", "Jairo", "Hernán", "Edwin", "Nelson", "Stiven", "Harold"),
        ("María", "Luz", "Ana", "Diana", "Sandra", "Paola", "Yuliana", "Leidy", "Marcela",
         "Claudia", "Angie", "Daniela", "Yesenia", "Luisa"),
        ("Rodríguez", "Gómez", "González", "Martínez", "García", "López", "Hernández", "Sánchez",
         "Ramírez", "Pérez", "Díaz", "Muñoz", "Rojas", "Moreno", "Jiménez", "Vargas", "Castro",
         "Gutiérrez", "Ospina", "Restrepo", "Castaño", "Zapata", "Arango", "Valencia", "Mosquera",
         "Palacios", "Córdoba", "Quintero", "Cárdenas", "Mejía", "Londoño", "Orozco"),
    ),
    regions=(
        Region("CO-DC", "Bogotá", 22, "11001"), Region("CO-ANT", "Medellín", 14, "05001"),
        Region("CO-VAC", "Cali", 12, "76001"), Region("CO-ATL", "Barranquilla", 7, "08001"),
        Region("CO-SAN", "Bucaramanga", 5, "68001"), Region("CO-BOL", "Cartagena", 5, "13001"),
        Region("CO-NSA", "Cúcuta", 5, "54001"), Region("CO-CUN", "Soacha", 4, "25754"),
        Region("CO-TOL", "Ibagué", 4, "73001"), Region("CO-NAR", "Pasto", 3, "52001"),
        Region("CO-CES", "Valledupar", 3, "20001"), Region("CO-MAG", "Santa Marta", 3, "47001"),
        Region("CO-COR", "Montería", 3, "23001"), Region("CO-RIS", "Pereira", 3, "66001"),
        Region("CO-CAL", "Manizales", 2, "17001"), Region("CO-HUI", "Neiva", 2, "41001"),
        Region("CO-MET", "Villavicencio", 3, "50001"), Region("CO-CAU", "Popayán", 2, "19001"),
    ),
    facilities=(
        Facility("COMEB", "Complejo Carcelario y Penitenciario Metropolitano de Bogotá (La Picota)",
                 "CO-DC", 8, levels=(2, 3, 4)),
        Facility("EPMSC-BOG", "Establecimiento Penitenciario de Mediana Seguridad y Carcelario de "
                 "Bogotá (La Modelo)", "CO-DC", 7),
        Facility("RM-BOG", "Reclusión de Mujeres de Bogotá (El Buen Pastor)", "CO-DC", 4,
                 women=True, men=False, levels=(1, 2, 3, 4)),
        Facility("EPAMSCAS-VAL", "Establecimiento Penitenciario de Alta y Mediana Seguridad y "
                 "Carcelario con Alta Seguridad de Valledupar (La Tramacúa)", "CO-CES", 2,
                 levels=(3, 4)),
        Facility("EPAMSCAS-COM", "Establecimiento Penitenciario de Alta y Mediana Seguridad y "
                 "Carcelario con Alta Seguridad de Cómbita", "CO-BOY", 2, levels=(3, 4)),
        Facility("COPED", "Complejo Carcelario y Penitenciario de Medellín (Pedregal)", "CO-ANT", 6,
                 women=True),
        Facility("EPMSC-MED", "Establecimiento Penitenciario de Mediana Seguridad y Carcelario de "
                 "Medellín (Bellavista)", "CO-ANT", 6),
        Facility("COJAM", "Complejo Carcelario y Penitenciario de Jamundí", "CO-VAC", 6, women=True),
        Facility("EPMSC-CAL", "Establecimiento Penitenciario de Mediana Seguridad y Carcelario de "
                 "Cali (Villahermosa)", "CO-VAC", 5),
        Facility("EPMSC-BAQ", "Establecimiento Penitenciario de Mediana Seguridad y Carcelario de "
                 "Barranquilla", "CO-ATL", 3),
        Facility("EPAMS-GIR", "Establecimiento Penitenciario de Alta y Mediana Seguridad de Girón "
                 "(Palogordo)", "CO-SAN", 3, levels=(2, 3, 4)),
        Facility("COCUC", "Complejo Carcelario y Penitenciario Metropolitano de Cúcuta", "CO-NSA", 4,
                 women=True),
        Facility("COIBA", "Complejo Carcelario y Penitenciario de Ibagué (Picaleña)", "CO-TOL", 4,
                 women=True),
        Facility("EPMSC-CTG", "Establecimiento Penitenciario de Mediana Seguridad y Carcelario de "
                 "Cartagena (Ternera)", "CO-BOL", 3),
    ),
    offence_scheme="co-inpec-delitos",
    offences=(
        Offence("0101", "CP-103", "Homicidio", 9, 4, (17, 37)),
        Offence("0101", "CP-104", "Homicidio agravado", 5, 4, (33, 50)),
        Offence("0102", "CP-103/27", "Homicidio en grado de tentativa", 3, 3, (8, 20)),
        Offence("0401", "CP-240", "Hurto calificado (violencia sobre las personas)", 16, 2, (6, 14)),
        Offence("0502", "CP-239", "Hurto", 6, 1, (2, 6)),
        Offence("0601", "CP-376", "Tráfico, fabricación o porte de estupefacientes", 18, 2, (5, 12),
                0.15),
        Offence("0901", "CP-365", "Fabricación, tráfico, porte o tenencia de armas de fuego, "
                "accesorios, partes o municiones", 10, 2, (9, 12)),
        Offence("0905", "CP-340", "Concierto para delinquir", 7, 3, (4, 18), 1.0),
        Offence("0205", "CP-244", "Extorsión", 4, 3, (16, 24), 0.4),
        Offence("020221", "CP-169", "Secuestro extorsivo", 2, 4, (26, 40), 0.5),
        Offence("0301", "CP-205", "Acceso carnal violento", 4, 3, (12, 20)),
        Offence("0301", "CP-208", "Acceso carnal abusivo con menor de catorce años", 6, 3, (12, 20)),
        Offence("0201", "CP-229", "Violencia intrafamiliar", 5, 1, (4, 8)),
        Offence("0703", "CP-405", "Cohecho propio", 0.5, 2, (5, 10)),
        Offence("0806", "CP-448", "Fuga de presos", 0.5, 2, (4, 8)),
        Offence("0704", "CP-323", "Lavado de activos", 0.7, 2, (10, 22), 0.5),
    ),
    level_scheme="co-inpec-fases",
    levels=(
        NationalLevel(L_MIN, "FASE-MINIMA", "Fase de mínima seguridad (periodo abierto)"),
        NationalLevel(L_MED, "FASE-MEDIANA", "Fase de mediana seguridad (periodo semiabierto)"),
        NationalLevel(L_MED, "OBSERVACION", "Fase de observación, diagnóstico y clasificación"),
        NationalLevel(L_HIGH, "FASE-ALTA", "Fase de alta seguridad (periodo cerrado)"),
        NationalLevel(L_MAX, "FASE-ALTA-MAXIMA", "Fase de alta seguridad – pabellón de máxima seguridad"),
    ),
    classification_instrument="Resolución 7302 de 2005 – clasificación en fase de tratamiento",
    classification_unit="Consejo de Evaluación y Tratamiento (CET)",
    risk_instrument="Valoración integral de riesgo INPEC v1",
    intelligence_unit="Grupo de Inteligencia Penitenciaria (INPEC)",
    courts=(
        "Juzgado {n} Penal del Circuito con Función de Conocimiento de {city}",
        "Juzgado {n} Penal Municipal con Función de Control de Garantías de {city}",
        "Juzgado {n} Penal del Circuito Especializado de {city}",
    ),
    case_ref="{component}60{a:05d}{year}{b:05d}",
    subject_prefix="NUI-",
    biometric_repository="co-inpec-afis",
    phone=(("+57 3",), 9),
    female_share=0.066,
    pretrial_share=0.25,
    appeal_share=0.05,
    pretrial_months=(12, 24),
    foreign_share=0.025,
    foreign_nationalities=(("VE", 0.8), ("EC", 0.08), ("MX", 0.05), ("PE", 0.07)),
    affiliation_share=0.04,
    organisations=(("org:clan-del-golfo", 0.35), ("org:eln", 0.15), ("org:disidencias-farc", 0.15),
                   ("org:la-oficina", 0.15), ("org:tren-de-aragua", 0.2)),
    nicknames=("el Paisa", "el Costeño", "el Caleño", "el Rolo", "el Calvo"),
    foreigner_document=common_pb2.ID_DOCUMENT_TYPE_CO_CEDULA_EXTRANJERIA,
)

# --------------------------------------------------------------------------- Peru

_PE = CountrySpec(
    member_id="PE-INPE",
    iso2="PE",
    language="es-PE",
    id_type=common_pb2.ID_DOCUMENT_TYPE_PE_DNI,
    id_authority="Registro Nacional de Identificación y Estado Civil (RENIEC)",
    names=NamePool(
        ("José", "Luis", "Juan", "Jorge", "Carlos", "Miguel", "César", "Víctor", "Percy", "Edwin",
         "Wilber", "Elmer", "Jhonatan", "Kevin", "Christian", "Richard", "Walter", "Fredy", "Julio",
         "Raúl", "Henry", "Roger", "Alex", "Frank", "Marco"),
        ("María", "Rosa", "Carmen", "Juana", "Milagros", "Flor", "Yessenia", "Karina", "Lucía",
         "Liz", "Gladys", "Nelly"),
        ("Quispe", "Flores", "Sánchez", "Rodríguez", "García", "Mamani", "Huamán", "Rojas", "Chávez",
         "Vásquez", "Ramos", "Torres", "Díaz", "Mendoza", "Condori", "Castillo", "Huanca", "Cruz",
         "Gutiérrez", "Ramírez", "Espinoza", "Vargas", "Salazar", "Paredes", "Ticona", "Apaza",
         "Cárdenas", "Luna", "Ríos", "Palomino"),
        languages=("qu",),
    ),
    regions=(
        Region("PE-LMA", "Lima", 36, "1801"), Region("PE-CAL", "Callao", 6, "0701"),
        Region("PE-LAL", "Trujillo", 7, "1601"), Region("PE-LAM", "Chiclayo", 5, "1706"),
        Region("PE-PIU", "Piura", 6, "2001"), Region("PE-ARE", "Arequipa", 5, "0401"),
        Region("PE-JUN", "Huancayo", 4, "1501"), Region("PE-CUS", "Cusco", 3, "1001"),
        Region("PE-ICA", "Ica", 4, "1401"), Region("PE-ANC", "Chimbote", 3, "0201"),
        Region("PE-LOR", "Iquitos", 3, "1201"), Region("PE-UCA", "Pucallpa", 3, "2401"),
        Region("PE-PUN", "Juliaca", 3, "2101"), Region("PE-SAM", "Tarapoto", 3, "2201"),
        Region("PE-HUC", "Huánuco", 2, "0901"), Region("PE-CAJ", "Cajamarca", 2, "0601"),
        Region("PE-AYA", "Ayacucho", 2, "0501"), Region("PE-TUM", "Tumbes", 2, "2301"),
    ),
    facilities=(
        Facility("EP-LURIGANCHO", "Establecimiento Penitenciario de Lurigancho", "PE-LMA", 12),
        Facility("EP-CASTRO-CASTRO", "Establecimiento Penitenciario Miguel Castro Castro", "PE-LMA", 5,
                 levels=(2, 3, 4)),
        Facility("EP-ANCON-I", "Establecimiento Penitenciario Ancón I (Piedras Gordas)", "PE-LIM", 3,
                 levels=(3, 4)),
        Facility("EP-ANCON-II", "Establecimiento Penitenciario Ancón II", "PE-LIM", 3),
        Facility("EP-CALLAO", "Establecimiento Penitenciario del Callao", "PE-CAL", 4),
        Facility("EP-MUJERES-CHORRILLOS", "Establecimiento Penitenciario de Mujeres de Chorrillos",
                 "PE-LMA", 3, women=True, men=False, levels=(1, 2, 3, 4)),
        Facility("EP-TRUJILLO", "Establecimiento Penitenciario de Trujillo (El Milagro)", "PE-LAL", 5,
                 women=True),
        Facility("EP-CHICLAYO", "Establecimiento Penitenciario de Chiclayo (Picsi)", "PE-LAM", 4,
                 women=True),
        Facility("EP-PIURA", "Establecimiento Penitenciario de Piura", "PE-PIU", 4, women=True),
        Facility("EP-AREQUIPA", "Establecimiento Penitenciario de Arequipa (Socabaya)", "PE-ARE", 3),
        Facility("EP-HUANCAYO", "Establecimiento Penitenciario de Huancayo", "PE-JUN", 3, women=True),
        Facility("EP-CUSCO-VARONES", "Establecimiento Penitenciario de Cusco Varones", "PE-CUS", 2),
        Facility("EP-ICA", "Establecimiento Penitenciario de Ica", "PE-ICA", 3, women=True),
        Facility("EP-CHALLAPALCA", "Establecimiento Penitenciario de Challapalca", "PE-TAC", 0.5,
                 levels=(4,)),
    ),
    offence_scheme="pe-inpe-delitos",
    offences=(
        Offence("0401", "CP-189", "Robo agravado", 26, 2, (12, 20), 0.1),
        Offence("0301", "CP-173", "Violación sexual de menor de edad", 11, 3, (20, 35)),
        Offence("0301", "CP-170", "Violación sexual", 7, 3, (14, 20)),
        Offence("0601", "CP-296", "Promoción o favorecimiento al tráfico ilícito de drogas", 14, 2,
                (8, 15), 0.2),
        Offence("0601", "CP-298", "Microcomercialización o microproducción de drogas", 4, 1, (3, 7)),
        Offence("0502", "CP-186", "Hurto agravado", 6, 1, (3, 8)),
        Offence("0101", "CP-108", "Homicidio calificado (asesinato)", 5, 4, (15, 35)),
        Offence("0101", "CP-106", "Homicidio simple", 2, 3, (6, 20)),
        Offence("0101", "CP-108-B", "Feminicidio", 1.5, 4, (20, 30)),
        Offence("0901", "CP-279", "Fabricación, suministro o tenencia ilegal de armas o materiales "
                "peligrosos", 4, 2, (6, 15)),
        Offence("0205", "CP-200", "Extorsión", 3, 3, (10, 15), 0.4),
        Offence("0905", "CP-317", "Organización criminal", 2, 3, (8, 15), 1.0),
        Offence("020221", "CP-152", "Secuestro", 1, 4, (20, 30), 0.4),
        Offence("0201", "CP-121", "Lesiones graves", 2, 2, (4, 8)),
        Offence("0703", "CP-393", "Cohecho pasivo propio", 0.5, 2, (5, 8)),
        Offence("0906", "DL-25475-2", "Terrorismo", 0.3, 4, (20, 35), 1.0),
        Offence("0704", "DL-1106-1", "Lavado de activos – actos de conversión y transferencia", 0.5,
                2, (8, 15), 0.5),
    ),
    level_scheme="pe-inpe-regimen",
    levels=(
        NationalLevel(L_MIN, "RCO-MIN", "Régimen cerrado ordinario – etapa de mínima seguridad"),
        NationalLevel(L_MIN, "RSA", "Régimen semiabierto"),
        NationalLevel(L_MED, "RCO-MED", "Régimen cerrado ordinario – etapa de mediana seguridad"),
        NationalLevel(L_HIGH, "RCO-MAX", "Régimen cerrado ordinario – etapa de máxima seguridad"),
        NationalLevel(L_HIGH, "RCE-C", "Régimen cerrado especial – etapa C"),
        NationalLevel(L_MAX, "RCE-B", "Régimen cerrado especial – etapa B"),
        NationalLevel(L_MAX, "RCE-A", "Régimen cerrado especial – etapa A"),
    ),
    classification_instrument="Reglamento del Código de Ejecución Penal – ficha de clasificación",
    classification_unit="Órgano Técnico de Tratamiento (OTT)",
    risk_instrument="Ficha de valoración de riesgo INPE v1",
    intelligence_unit="Oficina de Seguridad Penitenciaria – Unidad de Inteligencia (INPE)",
    courts=(
        "{n}° Juzgado de Investigación Preparatoria de {city}",
        "{n}° Juzgado Penal Colegiado de {city}",
        "{n}° Juzgado Penal Unipersonal de {city}",
    ),
    case_ref="{a:05d}-{year}-0-{component}-JR-PE-{n:02d}",
    subject_prefix="INPE-",
    biometric_repository="pe-inpe-registro-penitenciario",
    phone=(("+51 9",), 8),
    female_share=0.055,
    pretrial_share=0.36,
    appeal_share=0.04,
    pretrial_months=(9, 18, 36),
    foreign_share=0.045,
    foreign_nationalities=(("VE", 0.7), ("CO", 0.2), ("EC", 0.06), ("MX", 0.04)),
    affiliation_share=0.025,
    organisations=(("org:tren-de-aragua", 0.45), ("org:los-pulpos", 0.4), ("org:sendero-luminoso", 0.15)),
    minority_languages=(("qu", 0.08), ("ay", 0.01)),
    life_sentence_share=0.04,
    nicknames=("el Cholo", "el Causa", "el Chalaco", "el Chato"),
    foreigner_document=common_pb2.ID_DOCUMENT_TYPE_PE_CARNE_EXTRANJERIA,
)

# --------------------------------------------------------------------------- Ecuador

_EC = CountrySpec(
    member_id="EC-SNAI",
    iso2="EC",
    language="es-EC",
    id_type=common_pb2.ID_DOCUMENT_TYPE_EC_CEDULA,
    id_authority="Dirección General de Registro Civil, Identificación y Cedulación",
    names=NamePool(
        ("Luis", "José", "Carlos", "Jorge", "Byron", "Wilson", "Jefferson", "Jonathan", "Kléber",
         "Darwin", "Bryan", "Cristhian", "Segundo", "Washington", "Jhon", "Édison", "Ángel",
         "Fernando", "Diego", "Patricio", "Geovanny", "Holger", "Kevin", "Anthony"),
        ("María", "Jessica", "Gabriela", "Mónica", "Mercedes", "Rosa", "Verónica", "Lorena",
         "Johanna", "Katherine"),
        ("Zambrano", "Vera", "Cedeño", "Mendoza", "Bravo", "Macías", "Moreira", "Loor", "Chávez",
         "Andrade", "Guamán", "Quishpe", "Villacís", "Sánchez", "Torres", "Castro", "Morales", "Ortiz",
         "Espinoza", "Suárez", "Intriago", "Mero", "Alcívar", "Pincay", "Quiñónez", "Caicedo",
         "Valencia", "Solórzano", "Briones", "Arias"),
        languages=("qu",),
    ),
    regions=(
        Region("EC-G", "Guayaquil", 30, "09"), Region("EC-P", "Quito", 16, "17"),
        Region("EC-M", "Portoviejo", 6, "13"), Region("EC-M", "Manta", 5, "13"),
        Region("EC-O", "Machala", 6, "07"), Region("EC-E", "Esmeraldas", 6, "08"),
        Region("EC-R", "Quevedo", 5, "12"), Region("EC-A", "Cuenca", 4, "01"),
        Region("EC-SD", "Santo Domingo", 5, "23"), Region("EC-SE", "Santa Elena", 3, "24"),
        Region("EC-X", "Latacunga", 2, "05"), Region("EC-T", "Ambato", 3, "18"),
        Region("EC-L", "Loja", 2, "11"), Region("EC-I", "Ibarra", 2, "10"),
        Region("EC-H", "Riobamba", 2, "06"), Region("EC-U", "Nueva Loja", 2, "21"),
    ),
    facilities=(
        Facility("CPL-GUAYAS-1", "Centro de Privación de Libertad Guayas N.º 1 (Penitenciaría del "
                 "Litoral)", "EC-G", 12, levels=(1, 2, 3, 4)),
        Facility("CPL-GUAYAS-REG", "Centro de Privación de Libertad Regional Guayas", "EC-G", 5,
                 levels=(2, 3, 4)),
        Facility("CPL-GUAYAS-FEM", "Centro de Privación de Libertad Femenino Guayas", "EC-G", 3,
                 women=True, men=False, levels=(1, 2, 3, 4)),
        Facility("CPL-LA-ROCA", "Centro de Privación de Libertad de Máxima Seguridad La Roca", "EC-G",
                 0.5, levels=(4,)),
        Facility("CPL-COTOPAXI-1", "Centro de Privación de Libertad Cotopaxi N.º 1 (Latacunga)", "EC-X",
                 6, women=True, levels=(1, 2, 3, 4)),
        Facility("CPL-AZUAY-1", "Centro de Privación de Libertad Azuay N.º 1 (Turi)", "EC-A", 4,
                 women=True, levels=(1, 2, 3, 4)),
        Facility("CPL-PICHINCHA-1", "Centro de Privación de Libertad Pichincha N.º 1", "EC-P", 4),
        Facility("CPL-MANABI-PORTOVIEJO", "Centro de Privación de Libertad Manabí (Portoviejo)",
                 "EC-M", 3, women=True),
        Facility("CPL-ESMERALDAS-1", "Centro de Privación de Libertad Esmeraldas N.º 1", "EC-E", 3,
                 women=True),
        Facility("CPL-ELORO-1", "Centro de Privación de Libertad El Oro N.º 1 (Machala)", "EC-O", 3,
                 women=True),
        Facility("CPL-SANTO-DOMINGO", "Centro de Privación de Libertad Santo Domingo de los Tsáchilas",
                 "EC-SD", 2, women=True),
    ),
    offence_scheme="ec-snai-delitos",
    offences=(
        Offence("0601", "COIP-220", "Tráfico ilícito de sustancias catalogadas sujetas a fiscalización",
                28, 2, (1, 13), 0.25),
        Offence("0401", "COIP-189", "Robo", 20, 2, (3, 7), 0.1),
        Offence("0301", "COIP-171", "Violación", 12, 3, (19, 22)),
        Offence("0101", "COIP-140", "Asesinato", 6, 4, (22, 26), 0.3),
        Offence("0101", "COIP-143", "Sicariato", 2, 4, (22, 26), 0.8),
        Offence("0101", "COIP-144", "Homicidio", 2, 3, (10, 13)),
        Offence("0901", "COIP-360", "Tenencia y porte de armas", 5, 2, (1, 5)),
        Offence("0205", "COIP-185", "Extorsión", 4, 3, (3, 10), 0.5),
        Offence("020221", "COIP-162", "Secuestro extorsivo", 2, 4, (10, 13), 0.5),
        Offence("0905", "COIP-369", "Delincuencia organizada", 3, 3, (7, 10), 1.0),
        Offence("0905", "COIP-370", "Asociación ilícita", 1.5, 2, (3, 5), 1.0),
        Offence("0502", "COIP-196", "Hurto", 4, 1, (1, 3)),
        Offence("0201", "COIP-152", "Lesiones", 1.5, 1, (1, 3)),
        Offence("0703", "COIP-280", "Cohecho", 0.5, 2, (1, 5)),
        Offence("0906", "COIP-366", "Terrorismo", 0.5, 4, (10, 13), 1.0),
        Offence("0806", "COIP-274", "Evasión", 0.5, 2, (1, 3)),
    ),
    level_scheme="ec-snai-niveles-seguridad",
    levels=(
        NationalLevel(L_MIN, "MINIMA", "Nivel de mínima seguridad"),
        NationalLevel(L_MED, "MEDIA", "Nivel de mediana seguridad"),
        NationalLevel(L_HIGH, "MAXIMA", "Nivel de máxima seguridad"),
        # One national code per hub level, so the adapters' crosswalk is a function.
        NationalLevel(L_MAX, "MAXIMA-ESPECIAL", "Nivel de máxima seguridad – régimen especial"),
    ),
    classification_instrument="Reglamento del Sistema Nacional de Rehabilitación Social – ficha de "
                              "ubicación poblacional",
    classification_unit="Equipo técnico de diagnóstico y evaluación (SNAI)",
    risk_instrument="Instrumento de valoración de riesgo SNAI v1",
    intelligence_unit="Unidad de Inteligencia Penitenciaria (SNAI)",
    courts=(
        "Unidad Judicial Penal con sede en el cantón {city}",
        "Tribunal de Garantías Penales con sede en el cantón {city}",
        "Unidad Judicial Especializada de Garantías Penitenciarias de {city}",
    ),
    case_ref="{component}{n:03d}-{year}-{a:05d}",
    subject_prefix="SNAI-",
    biometric_repository="ec-snai-biometria",
    phone=(("+593 9",), 8),
    female_share=0.06,
    pretrial_share=0.36,
    appeal_share=0.05,
    pretrial_months=(6, 12),
    foreign_share=0.07,
    foreign_nationalities=(("CO", 0.6), ("VE", 0.3), ("PE", 0.1)),
    affiliation_share=0.08,
    organisations=(("org:los-choneros", 0.35), ("org:los-lobos", 0.35), ("org:los-tiguerones", 0.12),
                   ("org:latin-kings", 0.08), ("org:cjng", 0.05), ("org:cartel-de-sinaloa", 0.05)),
    minority_languages=(("qu", 0.03),),
    level_shift=0.1,
    nicknames=("el Mono", "el Chamo", "el Manaba"),
)

# --------------------------------------------------------------------------- Guatemala

_GT = CountrySpec(
    member_id="GT-DGSP",
    iso2="GT",
    language="es-GT",
    id_type=common_pb2.ID_DOCUMENT_TYPE_GT_DPI_CUI,
    id_authority="Registro Nacional de las Personas (RENAP)",
    names=NamePool(
        ("José", "Juan", "Carlos", "Luis", "Byron", "Erick", "Kevin", "Edgar", "Marvin", "Selvin",
         "Otto", "Mynor", "Hugo", "Wilson", "Cristian", "Brayan", "Elmer", "Rony", "Walter", "Julio",
         "Francisco", "Pedro", "Mario", "Estuardo", "Henry"),
        ("María", "Ana", "Glenda", "Heidy", "Ingrid", "Lesbia", "Rosa", "Karla", "Sonia", "Wendy"),
        ("López", "García", "Pérez", "Hernández", "González", "Rodríguez", "Morales", "Martínez",
         "Ramírez", "Castillo", "Chávez", "Juárez", "Xol", "Cac", "Choc", "Tzoc", "Coc", "Chun",
         "Ixcot", "Tum", "Ajanel", "Batz", "Sic", "Velásquez", "Orellana", "Méndez", "Barrios",
         "Pineda", "Monterroso", "Alvarado"),
    ),
    regions=(
        Region("GT-01", "Ciudad de Guatemala", 26, "01-01"), Region("GT-01", "Mixco", 8, "01-08"),
        Region("GT-01", "Villa Nueva", 8, "01-15"), Region("GT-05", "Escuintla", 7, "05-01"),
        Region("GT-09", "Quetzaltenango", 6, "09-01"), Region("GT-16", "Cobán", 4, "16-01"),
        Region("GT-13", "Huehuetenango", 4, "13-01"), Region("GT-20", "Chiquimula", 3, "20-01"),
        Region("GT-18", "Puerto Barrios", 3, "18-01"), Region("GT-17", "Flores", 3, "17-01"),
        Region("GT-22", "Jutiapa", 3, "22-01"), Region("GT-10", "Mazatenango", 3, "10-01"),
        Region("GT-12", "San Marcos", 3, "12-01"), Region("GT-03", "Antigua Guatemala", 2, "03-01"),
        Region("GT-04", "Chimaltenango", 3, "04-01"), Region("GT-19", "Zacapa", 2, "19-01"),
        Region("GT-14", "Santa Cruz del Quiché", 3, "14-01"), Region("GT-06", "Cuilapa", 2, "06-01"),
    ),
    facilities=(
        Facility("CDP-Z18", "Centro de Detención Preventiva para Hombres Reinserción Constructiva "
                 "(zona 18)", "GT-01", 10),
        Facility("GMR-PAVON", "Granja Modelo de Rehabilitación Pavón", "GT-01", 5),
        Facility("CCC-FRAIJANES-I", "Centro de Cumplimiento de Condena Fraijanes I", "GT-01", 3,
                 levels=(2, 3, 4)),
        Facility("GPC-CANADA", "Granja Penal de Rehabilitación Canadá (Escuintla)", "GT-05", 5),
        Facility("CMS-ESCUINTLA", "Centro de Detención de Máxima Seguridad de Escuintla", "GT-05", 0.5,
                 levels=(4,)),
        Facility("CAS-RENOVACION-1", "Centro de Alta Seguridad Renovación 1 (Escuintla)", "GT-05", 0.7,
                 levels=(3, 4)),
        Facility("CDP-MARISCAL-ZAVALA", "Centro de Detención Preventiva Mariscal Zavala", "GT-01", 1,
                 levels=(2, 3)),
        Facility("COF", "Centro de Orientación Femenino (COF)", "GT-01", 3, women=True, men=False,
                 levels=(1, 2, 3, 4)),
        Facility("CDP-SANTA-TERESA", "Centro de Detención Preventiva para Mujeres Santa Teresa", "GT-01",
                 2, women=True, men=False, levels=(1, 2, 3, 4)),
        Facility("GPR-CANTEL", "Granja Penal de Rehabilitación Cantel (Quetzaltenango)", "GT-09", 4,
                 women=True),
        Facility("CDP-COBAN", "Centro de Detención Preventiva de Cobán", "GT-16", 2, women=True),
        Facility("CDP-PUERTO-BARRIOS", "Centro de Detención Preventiva de Puerto Barrios", "GT-18", 2,
                 women=True),
    ),
    offence_scheme="gt-dgsp-delitos",
    offences=(
        Offence("0205", "D21-2006-ART-10", "Exacciones intimidatorias", 8, 3, (6, 12), 0.7),
        Offence("0205", "CP-261", "Extorsión", 8, 3, (6, 12), 0.5),
        Offence("0401", "CP-252", "Robo agravado", 12, 2, (6, 15)),
        Offence("0502", "CP-247", "Hurto agravado", 4, 1, (2, 10)),
        Offence("0101", "CP-132", "Asesinato", 10, 4, (25, 50), 0.3),
        Offence("0101", "CP-123", "Homicidio", 5, 3, (15, 40)),
        Offence("0102", "CP-123/14", "Homicidio en grado de tentativa", 3, 3, (5, 12)),
        Offence("0101", "D22-2008-ART-6", "Femicidio", 2, 4, (25, 50)),
        Offence("0301", "CP-173", "Violación", 8, 3, (8, 12)),
        Offence("0601", "D48-92-ART-39", "Comercio, tráfico y almacenamiento ilícito", 6, 2, (12, 20),
                0.3),
        Offence("0901", "D15-2009-ART-123", "Portación ilegal de armas de fuego de uso civil y/o "
                "deportivas", 8, 2, (8, 10)),
        Offence("0905", "D21-2006-ART-4", "Asociación ilícita", 6, 3, (6, 8), 1.0),
        Offence("020221", "CP-201", "Plagio o secuestro", 1.5, 4, (25, 50), 0.5),
        Offence("0204", "CP-202-TER", "Trata de personas", 1, 3, (8, 18), 0.5),
        Offence("0703", "CP-439", "Cohecho pasivo", 0.5, 2, (4, 10)),
    ),
    level_scheme="gt-dgsp-niveles",
    levels=(
        NationalLevel(L_MIN, "MINIMA", "Mínima seguridad"),
        NationalLevel(L_MED, "MEDIANA", "Mediana seguridad"),
        NationalLevel(L_HIGH, "ALTA", "Alta seguridad"),
        NationalLevel(L_MAX, "MAXIMA", "Máxima seguridad"),
    ),
    classification_instrument="Ley del Régimen Penitenciario (Decreto 33-2006) – diagnóstico y "
                              "ubicación",
    classification_unit="Equipo Multidisciplinario de Diagnóstico (DGSP)",
    risk_instrument="Instrumento de valoración de riesgo DGSP v1",
    intelligence_unit="Subdirección de Análisis de Información Penitenciaria (DGSP)",
    courts=(
        "Juzgado {n}° de Primera Instancia Penal, Narcoactividad y Delitos contra el Ambiente de {city}",
        "Tribunal {n}° de Sentencia Penal, Narcoactividad y Delitos contra el Ambiente de {city}",
        "Juzgado de Primera Instancia Penal de Delitos de Femicidio de {city}",
    ),
    case_ref="{component}{n:03d}-{year}-{a:05d}",
    subject_prefix="DGSP-",
    biometric_repository="gt-dgsp-afis",
    phone=(("+502 3", "+502 4", "+502 5"), 7),
    female_share=0.075,
    pretrial_share=0.48,
    appeal_share=0.04,
    pretrial_months=(3, 12),
    foreign_share=0.03,
    foreign_nationalities=(("HN", 0.4), ("SV", 0.35), ("MX", 0.15), ("CO", 0.1)),
    affiliation_share=0.07,
    organisations=(("org:barrio-18", 0.55), ("org:ms-13", 0.4), ("org:cjng", 0.05)),
    minority_languages=(("quc", 0.08), ("mam", 0.05), ("kek", 0.05), ("cak", 0.03)),
    nicknames=("el Chapín", "el Chele", "el Patojo", "el Shute"),
)

# --------------------------------------------------------------------------- Uruguay

_UY = CountrySpec(
    member_id="UY-INR",
    iso2="UY",
    language="es-UY",
    id_type=common_pb2.ID_DOCUMENT_TYPE_UY_CEDULA_IDENTIDAD,
    id_authority="Dirección Nacional de Identificación Civil (DNIC)",
    names=NamePool(
        ("Matías", "Nicolás", "Diego", "Gonzalo", "Martín", "Sebastián", "Maximiliano", "Agustín",
         "Federico", "Pablo", "Juan", "Carlos", "Jorge", "Richard", "Walter", "Gastón", "Brian",
         "Bruno", "Facundo", "Emiliano", "Santiago", "Rodrigo", "Leonardo", "Alejandro", "Marcelo"),
        ("María", "Ana", "Valentina", "Lucía", "Florencia", "Camila", "Natalia", "Carolina", "Sofía",
         "Verónica"),
        ("Rodríguez", "González", "Fernández", "Pereira", "Silva", "Sosa", "Martínez", "Díaz", "Núñez",
         "Méndez", "Cabrera", "Álvarez", "Suárez", "Acosta", "Ramírez", "Olivera", "De León", "Techera",
         "Píriz", "Correa", "Castro", "Da Silva", "Ferreira", "Bentancor", "Larrosa", "Cardozo",
         "Santos", "Medina", "Rocha", "Viera"),
    ),
    regions=(
        Region("UY-MO", "Montevideo", 45, "2"), Region("UY-CA", "Canelones", 15, "10"),
        Region("UY-MA", "Maldonado", 6, "14"), Region("UY-SA", "Salto", 4, "22"),
        Region("UY-PA", "Paysandú", 4, "18"), Region("UY-RV", "Rivera", 4, "20"),
        Region("UY-CL", "Melo", 3, "12"), Region("UY-SO", "Mercedes", 3, "24"),
        Region("UY-TA", "Tacuarembó", 3, "25"), Region("UY-AR", "Artigas", 3, "11"),
        Region("UY-CO", "Colonia del Sacramento", 3, "15"), Region("UY-SJ", "San José de Mayo", 3, "23"),
        Region("UY-FD", "Florida", 2, "16"), Region("UY-RO", "Rocha", 2, "21"),
    ),
    facilities=(
        Facility("UI-04", "Unidad N.º 4 Santiago Vázquez", "UY-MO", 12, levels=(1, 2, 3, 4)),
        Facility("UI-03", "Unidad N.º 3 Libertad", "UY-SJ", 5, levels=(2, 3, 4)),
        Facility("UI-01", "Unidad N.º 1 Punta de Rieles", "UY-MO", 3),
        Facility("UI-06", "Unidad N.º 6 Punta de Rieles", "UY-MO", 2, levels=(1, 2)),
        Facility("UI-05", "Unidad N.º 5 Femenino", "UY-MO", 3, women=True, men=False,
                 levels=(1, 2, 3, 4)),
        Facility("UI-07", "Unidad N.º 7 Canelones", "UY-CA", 4),
        Facility("UI-13", "Unidad N.º 13 Las Rosas (Maldonado)", "UY-MA", 3, women=True),
        Facility("UI-12", "Unidad N.º 12 Rivera", "UY-RV", 2, women=True),
        Facility("UI-20", "Unidad N.º 20 Salto", "UY-SA", 2, women=True),
    ),
    offence_scheme="uy-inr-delitos",
    offences=(
        Offence("0401", "CP-344", "Rapiña", 30, 2, (4, 16), 0.05),
        Offence("0502", "CP-340", "Hurto", 14, 1, (1, 6)),
        Offence("0501", "CP-341", "Hurto especialmente agravado", 5, 1, (2, 8)),
        Offence("0601", "L14294-ART-31", "Estupefacientes – producción y tráfico", 16, 2, (2, 10), 0.2),
        Offence("0101", "CP-310", "Homicidio", 8, 4, (2, 12)),
        Offence("0101", "CP-312", "Homicidio muy especialmente agravado", 3, 4, (15, 30), 0.2),
        Offence("0102", "CP-310/5", "Homicidio en grado de tentativa", 3, 3, (2, 8)),
        Offence("0301", "CP-272", "Violación", 6, 3, (2, 12)),
        Offence("0201", "CP-316", "Lesiones personales", 3, 1, (1, 2)),
        Offence("0201", "CP-321-BIS", "Violencia doméstica", 4, 1, (1, 2)),
        Offence("0205", "CP-345", "Extorsión", 1.5, 3, (4, 10), 0.3),
        Offence("020221", "CP-346", "Secuestro", 1, 4, (6, 12), 0.3),
        Offence("0901", "L19247-ART-8", "Tenencia no autorizada de armas de fuego", 2, 1, (1, 6)),
        Offence("0704", "L19574-ART-30", "Lavado de activos", 0.5, 2, (2, 15), 0.5),
        Offence("0703", "CP-157", "Cohecho simple", 0.3, 2, (1, 3)),
    ),
    level_scheme="uy-inr-regimen",
    levels=(
        NationalLevel(L_MIN, "CONFIANZA", "Régimen de confianza (unidades abiertas)"),
        NationalLevel(L_MED, "MEDIA", "Seguridad media"),
        NationalLevel(L_HIGH, "ALTA", "Seguridad alta"),
        NationalLevel(L_MAX, "MAXIMA", "Máxima seguridad (régimen especial)"),
    ),
    classification_instrument="Protocolo de clasificación y evaluación INR",
    classification_unit="Junta de Tratamiento (INR)",
    risk_instrument="Instrumento de valoración de riesgo INR v1",
    intelligence_unit="División de Inteligencia Penitenciaria (INR)",
    courts=(
        "Juzgado Letrado de Primera Instancia en lo Penal de {n}° Turno de {city}",
        "Juzgado Letrado de Primera Instancia de {city} de {n}° Turno",
        "Juzgado Letrado de Primera Instancia en lo Penal Especializado en Crimen Organizado de "
        "{n}° Turno",
    ),
    case_ref="IUE {component}-{a}/{year}",
    subject_prefix="INR-",
    biometric_repository="uy-inr-biometria",
    phone=(("+598 9",), 7),
    female_share=0.065,
    pretrial_share=0.2,
    appeal_share=0.03,
    pretrial_months=(6, 12),
    foreign_share=0.03,
    foreign_nationalities=(("AR", 0.3), ("BR", 0.3), ("DO", 0.15), ("PE", 0.1), ("VE", 0.15)),
    affiliation_share=0.015,
    organisations=(("org:pcc", 0.7), ("org:tren-de-aragua", 0.3)),
    nicknames=("el Bocha", "el Pelado", "el Tano", "el Ruso"),
)

# --------------------------------------------------------------------------- Dominican Republic

_DO = CountrySpec(
    member_id="DO-DGSPC",
    iso2="DO",
    language="es-DO",
    id_type=common_pb2.ID_DOCUMENT_TYPE_DO_CEDULA,
    id_authority="Junta Central Electoral (JCE)",
    names=NamePool(
        ("Ramón", "Rafael", "Manuel", "José", "Juan", "Luis", "Pedro", "Franklin", "Wilson", "Yunior",
         "Wander", "Starlin", "Eddy", "Ángel", "Félix", "Anderson", "Yeudy", "Wascar", "Carlos",
         "Miguel", "Héctor", "Domingo", "Santo", "Julio", "Víctor"),
        ("María", "Ana", "Yokasta", "Yudelka", "Rosanna", "Carmen", "Altagracia", "Yesenia",
         "Francisca", "Mercedes"),
        ("Pérez", "Rodríguez", "Martínez", "Reyes", "De la Cruz", "Peña", "Santana", "Féliz", "Mejía",
         "Jiménez", "Díaz", "Batista", "Rosario", "Almonte", "Guzmán", "Tavárez", "Castillo",
         "Encarnación", "Polanco", "Ureña", "Núñez", "Familia", "Vásquez", "De los Santos",
         "Paulino", "Mateo", "Hernández", "Ramírez", "Cuevas", "Sánchez"),
    ),
    regions=(
        Region("DO-01", "Santo Domingo de Guzmán", 22), Region("DO-32", "Santo Domingo Este", 18),
        Region("DO-25", "Santiago de los Caballeros", 12), Region("DO-18", "Puerto Plata", 4),
        Region("DO-13", "La Vega", 5), Region("DO-23", "San Pedro de Macorís", 5),
        Region("DO-12", "La Romana", 4), Region("DO-11", "Higüey", 4),
        Region("DO-21", "San Cristóbal", 6), Region("DO-06", "San Francisco de Macorís", 4),
        Region("DO-02", "Azua", 3), Region("DO-04", "Barahona", 3), Region("DO-17", "Baní", 3),
        Region("DO-22", "San Juan de la Maguana", 2), Region("DO-15", "Montecristi", 1),
    ),
    facilities=(
        Facility("CCR-LAS-PARRAS", "Centro de Corrección y Rehabilitación Las Parras", "DO-32", 8,
                 levels=(1, 2, 3, 4)),
        Facility("PN-LA-VICTORIA", "Penitenciaría Nacional de La Victoria", "DO-32", 6),
        Facility("CCR-NAJAYO-H", "Centro de Corrección y Rehabilitación Najayo Hombres", "DO-21", 4,
                 levels=(2, 3, 4)),
        Facility("CCR-NAJAYO-M", "Centro de Corrección y Rehabilitación Najayo Mujeres", "DO-21", 3,
                 women=True, men=False, levels=(1, 2, 3, 4)),
        Facility("CCR-RAFEY-H", "Centro de Corrección y Rehabilitación Rafey Hombres", "DO-25", 5),
        Facility("CCR-EL-PINITO", "Centro de Corrección y Rehabilitación El Pinito (La Vega)", "DO-13",
                 3, women=True),
        Facility("CCR-VISTA-AL-VALLE", "Centro de Corrección y Rehabilitación Vista al Valle (San "
                 "Francisco de Macorís)", "DO-06", 3),
        Facility("CP-SPM", "Cárcel Pública de San Pedro de Macorís", "DO-23", 3),
        Facility("CCR-BANI-H", "Centro de Corrección y Rehabilitación Baní Hombres", "DO-17", 2),
        Facility("CP-AZUA", "Cárcel Pública de Azua", "DO-02", 2),
    ),
    offence_scheme="do-dgspc-delitos",
    offences=(
        Offence("0401", "CP-379-382", "Robo con violencia", 18, 2, (5, 20)),
        Offence("0502", "CP-379-401", "Robo simple", 6, 1, (1, 5)),
        Offence("0101", "CP-295-304", "Homicidio voluntario", 12, 4, (10, 20)),
        Offence("0101", "CP-296-302", "Asesinato", 5, 4, (20, 30), 0.2),
        Offence("0601", "L50-88-ART-5A-75", "Tráfico de sustancias controladas", 20, 2, (5, 20), 0.2),
        Offence("0301", "CP-330-331", "Violación sexual", 8, 3, (10, 15)),
        Offence("0901", "L631-16-ART-66", "Porte y tenencia ilegal de armas", 6, 1, (1, 3)),
        Offence("0905", "CP-265-266", "Asociación de malhechores", 5, 2, (5, 20), 1.0),
        Offence("020221", "L583-ART-1", "Secuestro", 1, 4, (30, 40), 0.4),
        Offence("0204", "L137-03-ART-3", "Trata de personas", 1, 3, (15, 20), 0.5),
        Offence("0805", "L137-03-ART-2", "Tráfico ilícito de migrantes", 1.5, 2, (10, 15), 0.5),
        Offence("0201", "CP-309", "Golpes y heridas", 4, 1, (1, 3)),
        Offence("0201", "CP-309-1", "Violencia de género e intrafamiliar", 6, 2, (1, 5)),
        Offence("0703", "CP-177", "Soborno (cohecho)", 0.3, 2, (2, 5)),
        Offence("0704", "L155-17-ART-2", "Lavado de activos", 0.7, 2, (10, 20), 0.5),
    ),
    level_scheme="do-dgspc-clasificacion",
    levels=(
        NationalLevel(L_MIN, "MINIMA", "Mínima seguridad"),
        NationalLevel(L_MED, "MEDIANA", "Mediana seguridad"),
        NationalLevel(L_HIGH, "MAXIMA", "Máxima seguridad"),
        NationalLevel(L_MAX, "MAXIMA-ESPECIAL", "Máxima seguridad – régimen especial"),
    ),
    classification_instrument="Modelo de Gestión Penitenciaria – ficha de clasificación",
    classification_unit="Junta de Clasificación (DGSPC)",
    risk_instrument="Instrumento de valoración de riesgo DGSPC v1",
    intelligence_unit="Departamento de Inteligencia Penitenciaria (DGSPC)",
    courts=(
        "Oficina Judicial de Servicios de Atención Permanente de {city}",
        "{n}° Tribunal Colegiado de la Cámara Penal del Juzgado de Primera Instancia de {city}",
        "Juzgado de la Instrucción de {city}",
    ),
    case_ref="{year}-{n:03d}-{a:05d}",
    subject_prefix="DGSPC-",
    biometric_repository="do-dgspc-biometria",
    phone=(("+1 809 ", "+1 829 ", "+1 849 "), 7),
    female_share=0.03,
    pretrial_share=0.5,
    appeal_share=0.05,
    pretrial_months=(3, 12),
    foreign_share=0.05,
    foreign_nationalities=(("HT", 0.75), ("VE", 0.15), ("CO", 0.1)),
    affiliation_share=0.012,
    organisations=(("org:trinitarios", 0.8), ("org:cartel-de-sinaloa", 0.2)),
    minority_languages=(("ht", 0.02),),
    nicknames=("el Tiguere", "el Menor", "el Prieto", "el Cibaeño"),
)

# --------------------------------------------------------------------------- Mexico (federal centres)

_MX = CountrySpec(
    member_id="MX-OADPRS",
    iso2="MX",
    language="es-MX",
    id_type=common_pb2.ID_DOCUMENT_TYPE_MX_CURP,
    id_authority="Registro Nacional de Población (RENAPO)",
    names=NamePool(
        ("José", "Juan", "Luis", "Jesús", "Miguel", "Francisco", "Alejandro", "Eduardo", "Ricardo",
         "Jorge", "Roberto", "Sergio", "Fernando", "Daniel", "Carlos", "Javier", "Raúl", "Martín",
         "Pedro", "Óscar", "Héctor", "Arturo", "Omar", "Iván", "Rubén", "Ángel"),
        ("María", "Guadalupe", "Rosa", "Ana", "Verónica", "Alejandra", "Leticia", "Patricia",
         "Claudia", "Adriana", "Gabriela", "Brenda"),
        ("Hernández", "García", "Martínez", "López", "González", "Pérez", "Rodríguez", "Sánchez",
         "Ramírez", "Cruz", "Flores", "Gómez", "Morales", "Vázquez", "Jiménez", "Reyes", "Díaz",
         "Torres", "Gutiérrez", "Ruiz", "Mendoza", "Aguilar", "Ortiz", "Castillo", "Moreno", "Romero",
         "Álvarez", "Medina", "Chávez", "Ramos", "Salazar", "Valenzuela", "Rivera", "Domínguez"),
        languages=("nah",),
    ),
    regions=(
        Region("MX-CMX", "Ciudad de México", 10, "DF"), Region("MX-MEX", "Ecatepec", 9, "MC"),
        Region("MX-JAL", "Guadalajara", 8, "JC"), Region("MX-SIN", "Culiacán", 7, "SL"),
        Region("MX-BCN", "Tijuana", 7, "BC"), Region("MX-CHH", "Ciudad Juárez", 6, "CH"),
        Region("MX-MIC", "Morelia", 6, "MN"), Region("MX-TAM", "Reynosa", 6, "TS"),
        Region("MX-GUA", "León", 5, "GT"), Region("MX-SON", "Hermosillo", 5, "SR"),
        Region("MX-NLE", "Monterrey", 5, "NL"), Region("MX-GRO", "Acapulco", 5, "GR"),
        Region("MX-VER", "Veracruz", 4, "VZ"), Region("MX-PUE", "Puebla", 3, "PL"),
        Region("MX-OAX", "Oaxaca de Juárez", 2, "OC"), Region("MX-CHP", "Tapachula", 3, "CS"),
        Region("MX-COA", "Torreón", 2, "CL"), Region("MX-DUR", "Durango", 2, "DG"),
        Region("MX-ZAC", "Fresnillo", 3, "ZS"), Region("MX-ROO", "Cancún", 2, "QR"),
        Region("MX-MOR", "Cuernavaca", 2, "MS"), Region("MX-COL", "Manzanillo", 2, "CM"),
    ),
    facilities=(
        Facility("CEFERESO-01", "CEFERESO No. 1 Altiplano (Almoloya de Juárez, Estado de México)",
                 "MX-MEX", 4, levels=(3, 4)),
        Facility("CEFERESO-02", "CEFERESO No. 2 Occidente (Puente Grande, Jalisco)", "MX-JAL", 3,
                 levels=(2, 3, 4)),
        Facility("CEFERESO-04", "CEFERESO No. 4 Noroeste (Tepic, Nayarit)", "MX-NAY", 4,
                 levels=(2, 3, 4)),
        Facility("CEFERESO-05", "CEFERESO No. 5 Oriente (Villa Aldama, Veracruz)", "MX-VER", 4,
                 levels=(2, 3, 4)),
        Facility("CEFERESO-11", "CPS No. 11 Sonora (Hermosillo)", "MX-SON", 6, levels=(2, 3, 4)),
        Facility("CEFERESO-12", "CPS No. 12 Guanajuato (Ocampo)", "MX-GUA", 5, levels=(2, 3, 4)),
        Facility("CEFERESO-13", "CPS No. 13 Oaxaca (Miahuatlán)", "MX-OAX", 5, levels=(1, 2, 3)),
        Facility("CEFERESO-14", "CPS No. 14 Durango (Gómez Palacio)", "MX-DUR", 4, levels=(1, 2, 3)),
        Facility("CEFERESO-15", "CPS No. 15 Chiapas (Villa Comaltitlán)", "MX-CHP", 4, levels=(1, 2, 3)),
        Facility("CEFERESO-16", "CPS No. 16 Femenil Morelos (Coatlán del Río)", "MX-MOR", 5,
                 women=True, men=False, levels=(1, 2, 3, 4)),
        Facility("CEFERESO-17", "CPS No. 17 Michoacán (Buenavista Tomatlán)", "MX-MIC", 4,
                 levels=(1, 2, 3)),
        Facility("CEFERESO-18", "CPS No. 18 Coahuila (Ramos Arizpe)", "MX-COA", 3, levels=(1, 2, 3)),
    ),
    offence_scheme="mx-oadprs-delitos",
    offences=(
        Offence("0601", "CPF-194", "Contra la salud – producción, transporte, tráfico o comercio de "
                "narcóticos", 28, 3, (10, 25), 0.4),
        Offence("0905", "LFDO-2", "Delincuencia organizada", 16, 4, (20, 40), 1.0),
        Offence("0901", "LFAFE-83", "Portación de arma de fuego de uso exclusivo del Ejército, Armada "
                "y Fuerza Aérea", 14, 2, (3, 15), 0.2),
        Offence("0901", "LFAFE-84", "Introducción clandestina de armas de fuego", 3, 3, (5, 30), 0.4),
        Offence("020221", "LGPSDMS-9", "Secuestro", 8, 4, (40, 80), 0.6),
        Offence("0101", "CPF-302", "Homicidio", 5, 4, (12, 24), 0.2),
        Offence("0704", "CPF-400-BIS", "Operaciones con recursos de procedencia ilícita", 5, 3, (5, 15),
                0.6),
        Offence("0204", "LGTP-10", "Trata de personas", 2, 3, (5, 30), 0.5),
        Offence("0805", "LMIG-159", "Tráfico de personas (migrantes)", 2, 3, (8, 16), 0.5),
        Offence("0401", "CPF-367-372", "Robo con violencia", 4, 2, (5, 20)),
        Offence("0205", "CPF-390", "Extorsión", 4, 3, (2, 8), 0.5),
        Offence("0502", "LFPSDMH-8", "Sustracción de hidrocarburos", 3, 2, (10, 20), 0.5),
        Offence("0703", "CPF-222", "Cohecho", 0.5, 2, (2, 14)),
        Offence("0301", "CPF-265", "Violación", 2, 3, (8, 20)),
        Offence("0906", "CPF-139", "Terrorismo", 0.3, 4, (15, 40), 1.0),
        Offence("0806", "CPF-150", "Evasión de presos", 0.3, 3, (6, 9)),
    ),
    level_scheme="mx-oadprs-niveles",
    levels=(
        NationalLevel(L_MIN, "MINIMA", "Seguridad mínima"),
        NationalLevel(L_MED, "MEDIA", "Seguridad media"),
        NationalLevel(L_HIGH, "ALTA", "Seguridad alta"),
        NationalLevel(L_MAX, "MAXIMA", "Seguridad máxima"),
    ),
    classification_instrument="Ley Nacional de Ejecución Penal – clasificación y plan de actividades",
    classification_unit="Comité Técnico del Centro Federal",
    risk_instrument="Instrumento de valoración de riesgo OADPRS v1",
    intelligence_unit="Coordinación de Inteligencia Penitenciaria (OADPRS)",
    courts=(
        "Juzgado de Distrito Especializado en el Sistema Penal Acusatorio del Centro de Justicia Penal "
        "Federal con sede en {city}",
        "Tribunal de Enjuiciamiento del Centro de Justicia Penal Federal con sede en {city}",
        "Juzgado {n}° de Distrito de Procesos Penales Federales con sede en {city}",
    ),
    case_ref="CP {a}/{year}",
    subject_prefix="OADPRS-",
    biometric_repository="mx-oadprs-afis",
    phone=(("+52 ",), 10),
    female_share=0.05,
    pretrial_share=0.4,
    appeal_share=0.08,
    pretrial_months=(12, 24),
    foreign_share=0.03,
    foreign_nationalities=(("HN", 0.3), ("GT", 0.25), ("SV", 0.15), ("CO", 0.2), ("VE", 0.1)),
    affiliation_share=0.1,
    organisations=(("org:cjng", 0.35), ("org:cartel-de-sinaloa", 0.3), ("org:cartel-del-golfo", 0.12),
                   ("org:familia-michoacana", 0.13), ("org:ms-13", 0.05), ("org:barrio-18", 0.05)),
    minority_languages=(("nah", 0.02), ("tzo", 0.005), ("zap", 0.005)),
    level_shift=0.3,
    nicknames=("el Chaparro", "el Güero", "el Comandante", "el Flaco", "el Señor"),
)

COUNTRY_PROFILES: Final[dict[str, CountrySpec]] = {
    s.member_id: s for s in (_CO, _PE, _EC, _GT, _UY, _DO, _MX)
}
_SPEC_BY_ISO2: Final = {s.iso2: s for s in COUNTRY_PROFILES.values()}

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
        spec = COUNTRY_PROFILES.get(member_id)
        if spec is None:
            known = ", ".join(sorted(COUNTRY_PROFILES))
            raise ValueError(f"unknown member id {member_id!r}; expected one of {known}")
        if not 0.0 <= id_error_rate <= 1.0:
            raise ValueError(f"id_error_rate must be within [0, 1], got {id_error_rate}")
        self.member_id = member_id
        self.seed = seed
        self.as_of = as_of
        self.id_error_rate = id_error_rate
        self._p = _prepare(spec)
        self._homes: dict[str, _Prepared] = {spec.iso2: self._p}
        country_index = sorted(COUNTRY_PROFILES).index(member_id)
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

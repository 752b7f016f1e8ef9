"""GT-DGSP (Guatemala): DGSP's register as XML, one ``<recluso>`` element per person.

Child elements in Spanish camelCase; dates ISO 8601 (``1985-03`` when only the month is
known); the DPI/CUI printed as on the card (``1234 56789 0101``); countries as ISO alpha-3;
sexes ``HOMBRE``/``MUJER``; offences as Código Penal and special-law articles (Decreto
21-2006 on organised crime, Decreto 48-92 on drugs); security level as DGSP's four levels.
"""

from __future__ import annotations

from adapters import codes
from adapters import mapping as m
from adapters.formats import ListField, TreeLayout, XmlFormat
from adapters.mapping import Dialect
from adapters.national import NationalAdapter
from adapters.spec import (
    L_HIGH,
    L_MAX,
    L_MED,
    L_MIN,
    CountrySpec,
    Facility,
    NamePool,
    NationalLevel,
    Offence,
    Region,
)
from pxhub.v1 import common_pb2
from pxhub.v1 import inmate_profile_pb2 as pb

MEMBER_ID = "GT-DGSP"

#: What the adapter (and the sample generator) know of this member: code lists, facilities, scales.
SPEC = CountrySpec(
    member_id="GT-DGSP",
    iso2="GT",
    language="es-GT",
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

SITUATIONS = codes.LegalSituations("gt-dgsp-situacion-juridica", [
    ("PREVENTIVO", pb.PERSON_STATUS_PRETRIAL_DETAINEE, pb.LEGAL_STATUS_PRETRIAL, "Prisión preventiva"),
    ("CONDENADO", pb.PERSON_STATUS_SENTENCED, pb.LEGAL_STATUS_CONVICTED_FINAL, "Condenado (sentencia firme)"),
    ("CONDENADO-NO-FIRME", pb.PERSON_STATUS_SENTENCED_APPEAL_PENDING,
     pb.LEGAL_STATUS_CONVICTED_FIRST_INSTANCE,
     "Condenado, sentencia impugnada"),
    ("EXTRADICION", pb.PERSON_STATUS_ADMINISTRATIVE_DETENTION, pb.LEGAL_STATUS_OTHER,
     "Detenido con fines de extradición"),
    ("LIBERTAD-CONDICIONAL", pb.PERSON_STATUS_RELEASED_SUPERVISED, pb.LEGAL_STATUS_CONVICTED_FINAL,
     "Libertad condicional"),
])

SEXES = codes.CodeTable("gt-dgsp-sexo", [
    ("HOMBRE", pb.SEX_MALE, "Hombre"), ("MUJER", pb.SEX_FEMALE, "Mujer"),
])

DOCUMENTS = codes.DocumentTypes("gt-dgsp-tipo-documento", [
    ("DPI", common_pb2.ID_DOCUMENT_TYPE_GT_DPI_CUI, "GT", "Documento Personal de Identificación (CUI)"),
    ("PAS", common_pb2.ID_DOCUMENT_TYPE_PASSPORT, "", "Pasaporte"),
    ("DIE", codes.FOREIGN_NATIONAL_ID, "", "Documento de identificación extranjero"),
    ("OTRO", common_pb2.ID_DOCUMENT_TYPE_OTHER, "", "Otro documento"),
])

DIALECT = Dialect(
    spec=SPEC,
    dates=codes.DateCodec("iso", "short"),
    timestamps=codes.TimestampCodec("iso", -6),
    sexes=SEXES,
    situations=SITUATIONS,
    documents=DOCUMENTS,
    countries=codes.CountryCodes("alpha3"),
    booleans=codes.BoolCodec("true", "false"),
    list_separator=" ",
    styled_ids=frozenset({int(common_pb2.ID_DOCUMENT_TYPE_GT_DPI_CUI)}),
)

LAYOUT = TreeLayout([
    (m.SUBJECT_ID, "registro"),
    (m.CUSTODIAN, "institucion"),
    (m.AS_OF, "fechaCorte"),
    ListField(m.DOCUMENTS, "documentos/documento", {"type": "@tipo", "country": "@pais", "number": "."}),
    (m.GIVEN_NAMES, "nombres"),
    (m.FIRST_SURNAME, "primerApellido"),
    (m.SECOND_SURNAME, "segundoApellido"),
    (m.NICKNAME, "apodo"),
    (m.BIRTH_DATE, "fechaNacimiento"),
    (m.SEX, "sexo"),
    (m.NATIONALITY, "nacionalidad"),
    (m.LEGAL_SITUATION, "situacionJuridica"),
    (m.ARRESTED_ON, "fechaCaptura"),
    (m.ADMITTED_ON, "fechaIngreso"),
    (m.FACILITY_CODE, "centro@codigo"),
    (m.FACILITY_NAME, "centro"),
    (m.AUTHORITY, "juzgado"),
    (m.CASE_REF, "causa"),
    ListField(m.OFFENCES, "delitos/delito", {"code": "@codigo", "organised": "@crimenOrganizado"}),
    (m.SENTENCED_ON, "condena/fechaSentencia"),
    (m.TERM_YEARS, "condena/anios"),
    (m.TERM_MONTHS, "condena/meses"),
    (m.RELEASE_ON, "fechaLibertad"),
    (m.PRIORS, "ingresosAnteriores"),
    (m.LEVEL, "nivelSeguridad"),
    (m.CLASSIFIED_ON, "nivelSeguridad@fechaDiagnostico"),
    (m.REVIEW_ON, "nivelSeguridad@fechaRevision"),
])


class GuatemalaDgspAdapter(NationalAdapter):
    """DGSP register XML."""

    def __init__(self) -> None:
        super().__init__(
            MEMBER_ID,
            dialect=DIALECT,
            file_format=XmlFormat(LAYOUT, root="reclusos", record="recluso",
                                  root_attributes=(("sistema", "DGSP"), ("version", "1.0"))),
            format_name="DGSP register XML (<reclusos>/<recluso>, UTF-8, ISO 8601 dates)",
            media_type="application/xml",
            file_extension=".xml",
        )

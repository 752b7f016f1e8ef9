"""EC-SNAI (Ecuador): SNAI's register feed as JSON Lines, one object per person.

camelCase keys with nested objects for admission, proceedings, sentence and security level;
ISO 8601 dates and times; numbers and booleans as JSON numbers and booleans; nationalities as a
list of ISO alpha-2 codes; offences as COIP articles; security level as SNAI's levels.
"""

from __future__ import annotations

from adapters import codes
from adapters import mapping as m
from adapters.formats import JsonLinesFormat, ListField, TreeLayout
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

MEMBER_ID = "EC-SNAI"

#: What the adapter (and the sample generator) know of this member: code lists, facilities, scales.
SPEC = CountrySpec(
    member_id="EC-SNAI",
    iso2="EC",
    language="es-EC",
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

SITUATIONS = codes.LegalSituations("ec-snai-situacion-juridica", [
    ("PROCESADO", pb.PERSON_STATUS_PRETRIAL_DETAINEE, pb.LEGAL_STATUS_PRETRIAL,
     "Procesado (prisión preventiva)"),
    ("SENTENCIADO", pb.PERSON_STATUS_SENTENCED, pb.LEGAL_STATUS_CONVICTED_FINAL,
     "Sentenciado (sentencia ejecutoriada)"),
    ("SENTENCIA-NO-EJECUTORIADA", pb.PERSON_STATUS_SENTENCED_APPEAL_PENDING,
     pb.LEGAL_STATUS_CONVICTED_FIRST_INSTANCE, "Sentenciado, sentencia no ejecutoriada"),
    ("APREMIO", pb.PERSON_STATUS_ADMINISTRATIVE_DETENTION, pb.LEGAL_STATUS_OTHER,
     "Apremio personal u otra privación no penal"),
    ("REGIMEN-ABIERTO", pb.PERSON_STATUS_RELEASED_SUPERVISED, pb.LEGAL_STATUS_CONVICTED_FINAL,
     "Régimen abierto (fuera del centro, bajo control)"),
])

SEXES = codes.CodeTable("ec-snai-sexo", [
    ("MASCULINO", pb.SEX_MALE, "Masculino"), ("FEMENINO", pb.SEX_FEMALE, "Femenino"),
    ("INTERSEXUAL", pb.SEX_OTHER_LEGAL, "Intersexual"),
])

DOCUMENTS = codes.DocumentTypes("ec-snai-tipo-identificacion", [
    ("CEDULA", common_pb2.ID_DOCUMENT_TYPE_EC_CEDULA, "EC", "Cédula de identidad"),
    ("PASAPORTE", common_pb2.ID_DOCUMENT_TYPE_PASSPORT, "", "Pasaporte"),
    ("DOC_EXTRANJERO", codes.FOREIGN_NATIONAL_ID, "", "Documento de identidad extranjero"),
    ("OTRO", common_pb2.ID_DOCUMENT_TYPE_OTHER, "", "Otro documento"),
])

DIALECT = Dialect(
    spec=SPEC,
    dates=codes.DateCodec("iso", "short"),
    timestamps=codes.TimestampCodec("iso", -5),
    sexes=SEXES,
    situations=SITUATIONS,
    documents=DOCUMENTS,
    countries=codes.CountryCodes("alpha2"),
    booleans=codes.BoolCodec("true", "false"),
    list_separator=",",
)

LAYOUT = TreeLayout(
    [
        (m.SUBJECT_ID, "codigoPpl"),
        (m.CUSTODIAN, "institucion"),
        (m.AS_OF, "fechaCorte"),
        ListField(m.DOCUMENTS, "identificaciones", {"type": "tipo", "number": "numero", "country": "pais"}),
        (m.GIVEN_NAMES, "nombres"),
        (m.FIRST_SURNAME, "primerApellido"),
        (m.SECOND_SURNAME, "segundoApellido"),
        (m.NICKNAME, "alias"),
        (m.BIRTH_DATE, "fechaNacimiento"),
        (m.SEX, "sexo"),
        (m.NATIONALITY, "nacionalidades"),
        (m.LEGAL_SITUATION, "situacionJuridica"),
        (m.ARRESTED_ON, "ingreso/fechaDetencion"),
        (m.ADMITTED_ON, "ingreso/fechaIngreso"),
        (m.FACILITY_CODE, "ingreso/codigoCentro"),
        (m.FACILITY_NAME, "ingreso/centro"),
        (m.PRIORS, "ingreso/ingresosAnteriores"),
        (m.RELEASE_ON, "ingreso/fechaLibertadEstimada"),
        (m.AUTHORITY, "proceso/unidadJudicial"),
        (m.CASE_REF, "proceso/numeroCausa"),
        ListField(m.OFFENCES, "proceso/delitos", {"code": "articulo", "organised": "delincuenciaOrganizada"}),
        (m.SENTENCED_ON, "sentencia/fecha"),
        (m.TERM_YEARS, "sentencia/penaAnios"),
        (m.TERM_MONTHS, "sentencia/penaMeses"),
        (m.LEVEL, "nivelSeguridad/nivel"),
        (m.CLASSIFIED_ON, "nivelSeguridad/fechaEvaluacion"),
        (m.REVIEW_ON, "nivelSeguridad/fechaRevision"),
    ],
    numbers=frozenset({m.PRIORS, m.TERM_YEARS, m.TERM_MONTHS}),
    arrays=frozenset({m.NATIONALITY}),
)


class EcuadorSnaiAdapter(NationalAdapter):
    """SNAI register JSON Lines."""

    def __init__(self) -> None:
        super().__init__(
            MEMBER_ID,
            dialect=DIALECT,
            file_format=JsonLinesFormat(LAYOUT),
            format_name="SNAI register JSON Lines (UTF-8, nested camelCase, ISO 8601)",
            media_type="application/jsonl",
            file_extension=".jsonl",
        )

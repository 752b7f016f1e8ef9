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
from adapters.samples.synthetic import COUNTRY_PROFILES
from pxhub.v1 import common_pb2
from pxhub.v1 import inmate_profile_pb2 as pb

MEMBER_ID = "EC-SNAI"

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
    spec=COUNTRY_PROFILES[MEMBER_ID],
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

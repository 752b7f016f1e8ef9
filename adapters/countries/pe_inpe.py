"""PE-INPE (Peru): INPE's population register extract, CSV with ``,``, UTF-8, ISO 8601 dates.

Lower-case snake_case headers; document types with the numeric codes of Peru's tax-authority
catalogue (1 DNI, 4 carné de extranjería, 7 pasaporte, B foreign identity document, 0 other);
sexes as ``1``/``2``; countries as ISO alpha-3; lists inside a cell joined by ``;``; dates known
only to the month as ``1985-03``; offences as Código Penal / decreto legislativo articles;
security level as the penitentiary regime and stage (Código de Ejecución Penal).
"""

from __future__ import annotations

from adapters import codes
from adapters import mapping as m
from adapters.formats import CsvFormat
from adapters.mapping import Dialect
from adapters.national import NationalAdapter
from adapters.samples.synthetic import COUNTRY_PROFILES
from pxhub.v1 import common_pb2
from pxhub.v1 import inmate_profile_pb2 as pb

MEMBER_ID = "PE-INPE"

SITUATIONS = codes.LegalSituations("pe-inpe-situacion-juridica", [
    ("P", pb.PERSON_STATUS_PRETRIAL_DETAINEE, pb.LEGAL_STATUS_PRETRIAL, "Procesado"),
    ("S", pb.PERSON_STATUS_SENTENCED, pb.LEGAL_STATUS_CONVICTED_FINAL, "Sentenciado"),
    ("SNF", pb.PERSON_STATUS_SENTENCED_APPEAL_PENDING, pb.LEGAL_STATUS_CONVICTED_FIRST_INSTANCE,
     "Sentenciado con sentencia no firme (apelación pendiente)"),
    ("EXT", pb.PERSON_STATUS_ADMINISTRATIVE_DETENTION, pb.LEGAL_STATUS_OTHER,
     "Detenido con fines de extradición"),
    ("LC", pb.PERSON_STATUS_RELEASED_SUPERVISED, pb.LEGAL_STATUS_CONVICTED_FINAL,
     "Liberado con beneficio penitenciario (semilibertad o liberación condicional)"),
])

SEXES = codes.CodeTable("pe-inpe-sexo", [("1", pb.SEX_MALE, "Masculino"), ("2", pb.SEX_FEMALE, "Femenino")])

DOCUMENTS = codes.DocumentTypes("pe-inpe-tipo-documento", [
    ("1", common_pb2.ID_DOCUMENT_TYPE_PE_DNI, "PE", "Documento Nacional de Identidad (DNI)"),
    ("4", common_pb2.ID_DOCUMENT_TYPE_PE_CARNE_EXTRANJERIA, "PE", "Carné de extranjería"),
    ("7", common_pb2.ID_DOCUMENT_TYPE_PASSPORT, "", "Pasaporte"),
    ("B", codes.FOREIGN_NATIONAL_ID, "", "Documento de identidad del país de residencia"),
    ("0", common_pb2.ID_DOCUMENT_TYPE_OTHER, "", "Otro documento"),
])

DIALECT = Dialect(
    spec=COUNTRY_PROFILES[MEMBER_ID],
    dates=codes.DateCodec("iso", "short"),
    timestamps=codes.TimestampCodec("iso", -5),
    sexes=SEXES,
    situations=SITUATIONS,
    documents=DOCUMENTS,
    countries=codes.CountryCodes("alpha3"),
    booleans=codes.BoolCodec("1", "0"),
    list_separator=";",
    styled_ids=frozenset({int(common_pb2.ID_DOCUMENT_TYPE_PE_DNI)}),
)

COLUMNS = (
    (m.SUBJECT_ID, "codigo_interno"),
    (m.CUSTODIAN, "institucion"),
    (m.AS_OF, "fecha_corte"),
    (m.DOC_TYPE, "tipo_doc"),
    (m.DOC_NUMBER, "num_doc"),
    (m.DOC_COUNTRY, "pais_doc"),
    (m.OTHER_DOCS, "otros_docs"),
    (m.GIVEN_NAMES, "nombres"),
    (m.FIRST_SURNAME, "apellido_paterno"),
    (m.SECOND_SURNAME, "apellido_materno"),
    (m.NICKNAME, "alias"),
    (m.BIRTH_DATE, "fecha_nacimiento"),
    (m.SEX, "sexo"),
    (m.NATIONALITY, "nacionalidad"),
    (m.LEGAL_SITUATION, "situacion_juridica"),
    (m.ARRESTED_ON, "fecha_detencion"),
    (m.ADMITTED_ON, "fecha_ingreso"),
    (m.FACILITY_CODE, "cod_establecimiento"),
    (m.FACILITY_NAME, "establecimiento"),
    (m.AUTHORITY, "organo_jurisdiccional"),
    (m.CASE_REF, "expediente"),
    (m.OFFENCE_CODES, "delitos"),
    (m.ORGANISED, "crimen_organizado"),
    (m.SENTENCED_ON, "fecha_sentencia"),
    (m.TERM_YEARS, "pena_anios"),
    (m.TERM_MONTHS, "pena_meses"),
    (m.LIFE, "cadena_perpetua"),
    (m.RELEASE_ON, "fecha_libertad"),
    (m.PRIORS, "ingresos_previos"),
    (m.LEVEL, "regimen"),
    (m.CLASSIFIED_ON, "fecha_clasificacion"),
    (m.REVIEW_ON, "fecha_revision"),
)


class PeruInpeAdapter(NationalAdapter):
    """INPE register CSV."""

    def __init__(self) -> None:
        super().__init__(
            MEMBER_ID,
            dialect=DIALECT,
            file_format=CsvFormat(COLUMNS, delimiter=",", encoding="utf-8", list_separator=";",
                                  line_terminator="\n"),
            format_name="INPE register CSV (',', UTF-8, ISO 8601 dates, LF)",
            media_type="text/csv; charset=utf-8",
            file_extension=".csv",
        )

"""UY-INR (Uruguay): INR's population spreadsheet saved as "CSV UTF-8", ``;``, with BOM.

Titled Spanish headers with accents and spaces as a spreadsheet shows them; cédula printed
``1.234.567-2``; dates dd/mm/yyyy and, when only the month is known, ``mm/yyyy``; yes/no as
``Sí``/``No``; countries by Spanish name; lists inside a cell joined by ``,``; IUE (the judiciary's
unique case identifier) as the case reference; offences as Código Penal / law articles; the
security level as INR's regime.
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

MEMBER_ID = "UY-INR"

SITUATIONS = codes.LegalSituations("uy-inr-situacion-procesal", [
    ("PROCESADO", pb.PERSON_STATUS_PRETRIAL_DETAINEE, pb.LEGAL_STATUS_PRETRIAL,
     "Imputado / procesado sin condena"),
    ("PENADO", pb.PERSON_STATUS_SENTENCED, pb.LEGAL_STATUS_CONVICTED_FINAL, "Penado (condena firme)"),
    ("PENADO-SIN-FIRMEZA", pb.PERSON_STATUS_SENTENCED_APPEAL_PENDING,
     pb.LEGAL_STATUS_CONVICTED_FIRST_INSTANCE, "Condenado, sentencia recurrida"),
    ("EXTRADICION", pb.PERSON_STATUS_ADMINISTRATIVE_DETENTION, pb.LEGAL_STATUS_OTHER,
     "Detenido a los efectos de la extradición"),
    ("LIBERTAD-VIGILADA", pb.PERSON_STATUS_RELEASED_SUPERVISED, pb.LEGAL_STATUS_CONVICTED_FINAL,
     "Libertad vigilada / anticipada"),
])

SEXES = codes.CodeTable("uy-inr-sexo", [
    ("M", pb.SEX_MALE, "Masculino"), ("F", pb.SEX_FEMALE, "Femenino"), ("X", pb.SEX_OTHER_LEGAL, "Otro"),
])

DOCUMENTS = codes.DocumentTypes("uy-inr-tipo-documento", [
    ("CI", common_pb2.ID_DOCUMENT_TYPE_UY_CEDULA_IDENTIDAD, "UY", "Cédula de identidad"),
    ("PAS", common_pb2.ID_DOCUMENT_TYPE_PASSPORT, "", "Pasaporte"),
    ("DIE", codes.FOREIGN_NATIONAL_ID, "", "Documento de identidad extranjero"),
    ("OTRO", common_pb2.ID_DOCUMENT_TYPE_OTHER, "", "Otro documento"),
])

DIALECT = Dialect(
    spec=COUNTRY_PROFILES[MEMBER_ID],
    dates=codes.DateCodec("dmy", "short"),
    timestamps=codes.TimestampCodec("dmy", -3),
    sexes=SEXES,
    situations=SITUATIONS,
    documents=DOCUMENTS,
    countries=codes.CountryCodes("name"),
    booleans=codes.BoolCodec("Sí", "No"),
    list_separator=",",
    styled_ids=frozenset({int(common_pb2.ID_DOCUMENT_TYPE_UY_CEDULA_IDENTIDAD)}),
)

COLUMNS = (
    (m.SUBJECT_ID, "Registro INR"),
    (m.CUSTODIAN, "Institución"),
    (m.AS_OF, "Fecha de corte"),
    (m.DOC_TYPE, "Tipo de documento"),
    (m.DOC_NUMBER, "Documento"),
    (m.DOC_COUNTRY, "País del documento"),
    (m.OTHER_DOCS, "Otros documentos"),
    (m.GIVEN_NAMES, "Nombres"),
    (m.FIRST_SURNAME, "Primer apellido"),
    (m.SECOND_SURNAME, "Segundo apellido"),
    (m.NICKNAME, "Alias"),
    (m.BIRTH_DATE, "Fecha de nacimiento"),
    (m.SEX, "Sexo"),
    (m.NATIONALITY, "Nacionalidad"),
    (m.LEGAL_SITUATION, "Situación procesal"),
    (m.ARRESTED_ON, "Fecha de detención"),
    (m.ADMITTED_ON, "Fecha de ingreso"),
    (m.FACILITY_CODE, "Código de unidad"),
    (m.FACILITY_NAME, "Unidad"),
    (m.AUTHORITY, "Juzgado"),
    (m.CASE_REF, "IUE"),
    (m.OFFENCE_CODES, "Delitos"),
    (m.ORGANISED, "Crimen organizado"),
    (m.SENTENCED_ON, "Fecha de condena"),
    (m.TERM_YEARS, "Pena años"),
    (m.TERM_MONTHS, "Pena meses"),
    (m.RELEASE_ON, "Fecha prevista de egreso"),
    (m.PRIORS, "Ingresos anteriores"),
    (m.LEVEL, "Nivel de seguridad"),
    (m.CLASSIFIED_ON, "Fecha de clasificación"),
    (m.REVIEW_ON, "Fecha de revisión"),
)


class UruguayInrAdapter(NationalAdapter):
    """INR spreadsheet CSV."""

    def __init__(self) -> None:
        super().__init__(
            MEMBER_ID,
            dialect=DIALECT,
            file_format=CsvFormat(COLUMNS, delimiter=";", encoding="utf-8", list_separator=",",
                                  line_terminator="\r\n", bom=True),
            format_name="INR spreadsheet CSV (';', UTF-8 with BOM, dd/mm/yyyy, CRLF)",
            media_type="text/csv; charset=utf-8",
            file_extension=".csv",
        )

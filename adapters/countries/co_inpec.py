"""CO-INPEC (Colombia): INPEC's roster export, CSV with ``;``, windows-1252, dd/mm/yyyy.

Upper-case Spanish headers as in INPEC's published datasets; given names split into
``PRIMER_NOMBRE`` / ``SEGUNDO_NOMBRE`` as Colombian civil records do; cut-off time in
Colombian time (UTC−5); offences as Código Penal (Ley 599 de 2000) articles; security level as
the treatment phase (Resolución 7302 de 2005). The file is windows-1252 as spreadsheets on
Spanish-language Windows write it; UTF-8 files are read too.
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

MEMBER_ID = "CO-INPEC"

SITUATIONS = codes.LegalSituations("co-inpec-situacion-juridica", [
    ("SINDICADO", pb.PERSON_STATUS_PRETRIAL_DETAINEE, pb.LEGAL_STATUS_PRETRIAL,
     "Sindicado (medida de aseguramiento en establecimiento)"),
    ("CONDENADO", pb.PERSON_STATUS_SENTENCED, pb.LEGAL_STATUS_CONVICTED_FINAL,
     "Condenado (sentencia ejecutoriada)"),
    ("CONDENADO-NO-EJECUTORIADO", pb.PERSON_STATUS_SENTENCED_APPEAL_PENDING,
     pb.LEGAL_STATUS_CONVICTED_FIRST_INSTANCE, "Condenado en primera instancia, recurso pendiente"),
    ("EXTRADICION", pb.PERSON_STATUS_ADMINISTRATIVE_DETENTION, pb.LEGAL_STATUS_OTHER,
     "Privado de la libertad con fines de extradición"),
    ("LIBERTAD-CONDICIONAL", pb.PERSON_STATUS_RELEASED_SUPERVISED, pb.LEGAL_STATUS_CONVICTED_FINAL,
     "Libertad condicional"),
])

SEXES = codes.CodeTable("co-inpec-sexo", [
    ("M", pb.SEX_MALE, "Masculino"), ("F", pb.SEX_FEMALE, "Femenino"),
    ("NB", pb.SEX_OTHER_LEGAL, "No binario"),
])

DOCUMENTS = codes.DocumentTypes("co-inpec-tipo-documento", [
    ("CC", common_pb2.ID_DOCUMENT_TYPE_CO_CEDULA_CIUDADANIA, "CO", "Cédula de ciudadanía"),
    ("CE", common_pb2.ID_DOCUMENT_TYPE_CO_CEDULA_EXTRANJERIA, "CO", "Cédula de extranjería"),
    ("PA", common_pb2.ID_DOCUMENT_TYPE_PASSPORT, "", "Pasaporte"),
    ("DE", codes.FOREIGN_NATIONAL_ID, "", "Documento de identidad extranjero"),
    ("OT", common_pb2.ID_DOCUMENT_TYPE_OTHER, "", "Otro documento"),
])

DIALECT = Dialect(
    spec=COUNTRY_PROFILES[MEMBER_ID],
    dates=codes.DateCodec("dmy", "zero-day"),
    timestamps=codes.TimestampCodec("dmy", -5),
    sexes=SEXES,
    situations=SITUATIONS,
    documents=DOCUMENTS,
    countries=codes.CountryCodes("NAME"),
    booleans=codes.BoolCodec("S", "N"),
    list_separator="|",
)

COLUMNS = (
    (m.SUBJECT_ID, "NUI"),
    (m.CUSTODIAN, "ENTIDAD"),
    (m.AS_OF, "FECHA_CORTE"),
    (m.DOC_TYPE, "TIPO_DOCUMENTO"),
    (m.DOC_NUMBER, "NUMERO_DOCUMENTO"),
    (m.DOC_COUNTRY, "PAIS_DOCUMENTO"),
    (m.OTHER_DOCS, "OTROS_DOCUMENTOS"),
    (m.GIVEN_NAME_1, "PRIMER_NOMBRE"),
    (m.GIVEN_NAME_2, "SEGUNDO_NOMBRE"),
    (m.FIRST_SURNAME, "PRIMER_APELLIDO"),
    (m.SECOND_SURNAME, "SEGUNDO_APELLIDO"),
    (m.NICKNAME, "ALIAS"),
    (m.BIRTH_DATE, "FECHA_NACIMIENTO"),
    (m.SEX, "SEXO"),
    (m.NATIONALITY, "NACIONALIDAD"),
    (m.LEGAL_SITUATION, "SITUACION_JURIDICA"),
    (m.ARRESTED_ON, "FECHA_CAPTURA"),
    (m.ADMITTED_ON, "FECHA_INGRESO"),
    (m.FACILITY_CODE, "CODIGO_ESTABLECIMIENTO"),
    (m.FACILITY_NAME, "ESTABLECIMIENTO"),
    (m.AUTHORITY, "AUTORIDAD_JUDICIAL"),
    (m.CASE_REF, "RADICADO"),
    (m.OFFENCE_CODES, "DELITOS"),
    (m.ORGANISED, "AGRAVANTE_CRIMEN_ORGANIZADO"),
    (m.SENTENCED_ON, "FECHA_SENTENCIA"),
    (m.TERM_YEARS, "PENA_ANOS"),
    (m.TERM_MONTHS, "PENA_MESES"),
    (m.RELEASE_ON, "FECHA_PROBABLE_LIBERTAD"),
    (m.PRIORS, "INGRESOS_ANTERIORES"),
    (m.LEVEL, "FASE_TRATAMIENTO"),
    (m.CLASSIFIED_ON, "FECHA_CLASIFICACION"),
    (m.REVIEW_ON, "FECHA_REVISION"),
)


class ColombiaInpecAdapter(NationalAdapter):
    """INPEC roster CSV."""

    def __init__(self) -> None:
        super().__init__(
            MEMBER_ID,
            dialect=DIALECT,
            file_format=CsvFormat(COLUMNS, delimiter=";", encoding="cp1252", list_separator="|",
                                  line_terminator="\r\n"),
            format_name="INPEC roster CSV (';', windows-1252, dd/mm/yyyy, CRLF)",
            media_type="text/csv; charset=windows-1252",
            file_extension=".csv",
        )

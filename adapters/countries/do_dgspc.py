"""DO-DGSPC (Dominican Republic): DGSPC's export as one JSON array of objects.

snake_case keys; dates as text ``dd/mm/yyyy`` (``00/03/1985`` when only the month is known);
numbers written as text, as the export tool does; the cédula printed ``001-1391820-5``;
countries by Spanish name in capitals without accents; offences as Código Penal and special-law
articles (Ley 50-88 on drugs, Ley 631-16 on arms, Ley 137-03 on trafficking); security level as
the classification of the Modelo de Gestión Penitenciaria.
"""

from __future__ import annotations

from adapters import codes
from adapters import mapping as m
from adapters.formats import JsonArrayFormat, ListField, TreeLayout
from adapters.mapping import Dialect
from adapters.national import NationalAdapter
from adapters.samples.synthetic import COUNTRY_PROFILES
from pxhub.v1 import common_pb2
from pxhub.v1 import inmate_profile_pb2 as pb

MEMBER_ID = "DO-DGSPC"

SITUATIONS = codes.LegalSituations("do-dgspc-estatus-juridico", [
    ("PREVENTIVO", pb.PERSON_STATUS_PRETRIAL_DETAINEE, pb.LEGAL_STATUS_PRETRIAL,
     "Preventivo (prisión preventiva)"),
    ("CONDENADO", pb.PERSON_STATUS_SENTENCED, pb.LEGAL_STATUS_CONVICTED_FINAL,
     "Condenado (sentencia irrevocable)"),
    ("CONDENADO-RECURSO", pb.PERSON_STATUS_SENTENCED_APPEAL_PENDING, pb.LEGAL_STATUS_CONVICTED_FIRST_INSTANCE,
     "Condenado con recurso pendiente"),
    ("EXTRADICION", pb.PERSON_STATUS_ADMINISTRATIVE_DETENTION, pb.LEGAL_STATUS_OTHER,
     "Detenido en proceso de extradición"),
    ("LIBERTAD-CONDICIONAL", pb.PERSON_STATUS_RELEASED_SUPERVISED, pb.LEGAL_STATUS_CONVICTED_FINAL,
     "Libertad condicional"),
])

SEXES = codes.CodeTable("do-dgspc-sexo", [("M", pb.SEX_MALE, "Masculino"), ("F", pb.SEX_FEMALE, "Femenino")])

DOCUMENTS = codes.DocumentTypes("do-dgspc-tipo-documento", [
    ("CEDULA", common_pb2.ID_DOCUMENT_TYPE_DO_CEDULA, "DO", "Cédula de identidad y electoral"),
    ("PASAPORTE", common_pb2.ID_DOCUMENT_TYPE_PASSPORT, "", "Pasaporte"),
    ("ID_EXTRANJERO", codes.FOREIGN_NATIONAL_ID, "", "Documento de identidad extranjero"),
    ("OTRO", common_pb2.ID_DOCUMENT_TYPE_OTHER, "", "Otro documento"),
])

DIALECT = Dialect(
    spec=COUNTRY_PROFILES[MEMBER_ID],
    dates=codes.DateCodec("dmy", "zero-day"),
    timestamps=codes.TimestampCodec("dmy", -4),
    sexes=SEXES,
    situations=SITUATIONS,
    documents=DOCUMENTS,
    countries=codes.CountryCodes("NAME"),
    booleans=codes.BoolCodec("true", "false"),
    list_separator=",",
    styled_ids=frozenset({int(common_pb2.ID_DOCUMENT_TYPE_DO_CEDULA)}),
)

LAYOUT = TreeLayout(
    [
        (m.SUBJECT_ID, "numero_interno"),
        (m.CUSTODIAN, "institucion"),
        (m.AS_OF, "fecha_corte"),
        ListField(m.DOCUMENTS, "documentos", {"type": "tipo", "number": "numero", "country": "pais"}),
        (m.GIVEN_NAMES, "nombres"),
        (m.FIRST_SURNAME, "primer_apellido"),
        (m.SECOND_SURNAME, "segundo_apellido"),
        (m.NICKNAME, "apodo"),
        (m.BIRTH_DATE, "fecha_nacimiento"),
        (m.SEX, "sexo"),
        (m.NATIONALITY, "nacionalidad"),
        (m.LEGAL_SITUATION, "estatus_juridico"),
        (m.ARRESTED_ON, "fecha_arresto"),
        (m.ADMITTED_ON, "fecha_ingreso"),
        (m.FACILITY_CODE, "centro/codigo"),
        (m.FACILITY_NAME, "centro/nombre"),
        (m.AUTHORITY, "tribunal"),
        (m.CASE_REF, "numero_expediente"),
        ListField(m.OFFENCES, "delitos", {"code": "codigo", "organised": "crimen_organizado"}),
        (m.SENTENCED_ON, "fecha_sentencia"),
        (m.TERM_YEARS, "pena/anios"),
        (m.TERM_MONTHS, "pena/meses"),
        (m.RELEASE_ON, "fecha_libertad"),
        (m.PRIORS, "reincidencias"),
        (m.LEVEL, "clasificacion/nivel"),
        (m.CLASSIFIED_ON, "clasificacion/fecha"),
        (m.REVIEW_ON, "clasificacion/revision"),
    ],
    numbers=frozenset({m.PRIORS, m.TERM_YEARS, m.TERM_MONTHS}),
)


class DominicanDgspcAdapter(NationalAdapter):
    """DGSPC export JSON array."""

    def __init__(self) -> None:
        super().__init__(
            MEMBER_ID,
            dialect=DIALECT,
            file_format=JsonArrayFormat(LAYOUT, numbers_as_text=True),
            format_name="DGSPC export JSON array (UTF-8, snake_case, dd/mm/yyyy, numbers as text)",
            media_type="application/json",
            file_extension=".json",
        )

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
from adapters.samples.synthetic import COUNTRY_PROFILES
from pxhub.v1 import common_pb2
from pxhub.v1 import inmate_profile_pb2 as pb

MEMBER_ID = "GT-DGSP"

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
    spec=COUNTRY_PROFILES[MEMBER_ID],
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

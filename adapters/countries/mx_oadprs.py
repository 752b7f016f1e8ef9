"""MX-OADPRS (Mexico, federal centres): OADPRS's population register as attribute-heavy XML.

One ``<PPL>`` element per person deprived of liberty, PascalCase names, most values in
attributes; the CURP as an ``<Identificacion Tipo="CURP">``; dates ``dd/mm/yyyy``; sexes ``H``
(hombre) / ``M`` (mujer), so ``M`` means the opposite of what it means in the Colombian file;
countries by Spanish name in capitals; offences as federal-law articles (CPF, LFDO, LFAFE, …)
under ``<Causa>``; "FechaCompurgamiento" (the day the sentence is served) as the release date.
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

MEMBER_ID = "MX-OADPRS"

SITUATIONS = codes.LegalSituations("mx-oadprs-situacion-juridica", [
    ("PROCESADO", pb.PERSON_STATUS_PRETRIAL_DETAINEE, pb.LEGAL_STATUS_PRETRIAL,
     "Procesado (prisión preventiva)"),
    ("SENTENCIADO", pb.PERSON_STATUS_SENTENCED, pb.LEGAL_STATUS_CONVICTED_FINAL,
     "Sentenciado (sentencia ejecutoriada)"),
    ("SENTENCIADO-NO-EJECUTORIADO", pb.PERSON_STATUS_SENTENCED_APPEAL_PENDING,
     pb.LEGAL_STATUS_CONVICTED_FIRST_INSTANCE, "Sentenciado, sentencia no ejecutoriada"),
    ("EXTRADICION", pb.PERSON_STATUS_ADMINISTRATIVE_DETENTION, pb.LEGAL_STATUS_OTHER,
     "Detención provisional con fines de extradición"),
    ("LIBERTAD-CONDICIONADA", pb.PERSON_STATUS_RELEASED_SUPERVISED, pb.LEGAL_STATUS_CONVICTED_FINAL,
     "Libertad condicionada (Ley Nacional de Ejecución Penal)"),
])

SEXES = codes.CodeTable("mx-oadprs-sexo", [
    ("H", pb.SEX_MALE, "Hombre"), ("M", pb.SEX_FEMALE, "Mujer"), ("X", pb.SEX_OTHER_LEGAL, "No binario"),
])

DOCUMENTS = codes.DocumentTypes("mx-oadprs-tipo-identificacion", [
    ("CURP", common_pb2.ID_DOCUMENT_TYPE_MX_CURP, "MX", "Clave Única de Registro de Población"),
    ("PASAPORTE", common_pb2.ID_DOCUMENT_TYPE_PASSPORT, "", "Pasaporte"),
    ("IDE", codes.FOREIGN_NATIONAL_ID, "", "Identificación extranjera"),
    ("OTRO", common_pb2.ID_DOCUMENT_TYPE_OTHER, "", "Otro documento"),
])

DIALECT = Dialect(
    spec=COUNTRY_PROFILES[MEMBER_ID],
    dates=codes.DateCodec("dmy", "zero-day"),
    timestamps=codes.TimestampCodec("dmy", -6),
    sexes=SEXES,
    situations=SITUATIONS,
    documents=DOCUMENTS,
    countries=codes.CountryCodes("NAME"),
    booleans=codes.BoolCodec("S", "N"),
    list_separator=",",
)

LAYOUT = TreeLayout([
    (m.SUBJECT_ID, "@Expediente"),
    (m.CUSTODIAN, "@Institucion"),
    (m.AS_OF, "@FechaCorte"),
    (m.LEGAL_SITUATION, "@SituacionJuridica"),
    ListField(m.DOCUMENTS, "Identificacion", {"type": "@Tipo", "country": "@Pais", "number": "."}),
    (m.GIVEN_NAMES, "Nombre@Nombres"),
    (m.FIRST_SURNAME, "Nombre@ApellidoPaterno"),
    (m.SECOND_SURNAME, "Nombre@ApellidoMaterno"),
    (m.NICKNAME, "Nombre@Alias"),
    (m.BIRTH_DATE, "Nacimiento@Fecha"),
    (m.SEX, "Nacimiento@Sexo"),
    (m.NATIONALITY, "Nacimiento@Nacionalidad"),
    (m.ARRESTED_ON, "Ingreso@FechaDetencion"),
    (m.ADMITTED_ON, "Ingreso@FechaIngreso"),
    (m.FACILITY_CODE, "Ingreso@Centro"),
    (m.FACILITY_NAME, "Ingreso@NombreCentro"),
    (m.PRIORS, "Ingreso@IngresosAnteriores"),
    (m.AUTHORITY, "Causa@Juzgado"),
    (m.CASE_REF, "Causa@Numero"),
    ListField(m.OFFENCES, "Causa/Delito", {"code": "@Clave", "organised": "@DelincuenciaOrganizada"}),
    (m.SENTENCED_ON, "Sentencia@Fecha"),
    (m.TERM_YEARS, "Sentencia@Anios"),
    (m.TERM_MONTHS, "Sentencia@Meses"),
    (m.RELEASE_ON, "Sentencia@FechaCompurgamiento"),
    (m.LEVEL, "Clasificacion@NivelSeguridad"),
    (m.CLASSIFIED_ON, "Clasificacion@Fecha"),
    (m.REVIEW_ON, "Clasificacion@Revision"),
])


class MexicoOadprsAdapter(NationalAdapter):
    """OADPRS population register XML."""

    def __init__(self) -> None:
        super().__init__(
            MEMBER_ID,
            dialect=DIALECT,
            file_format=XmlFormat(LAYOUT, root="PadronPPL", record="PPL",
                                  root_attributes=(("Organo", "OADPRS"), ("Version", "2.1"))),
            format_name="OADPRS population register XML (<PadronPPL>/<PPL>, attributes, dd/mm/yyyy)",
            media_type="application/xml",
            file_extension=".xml",
        )

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

MEMBER_ID = "MX-OADPRS"

#: What the adapter (and the sample generator) know of this member: code lists, facilities, scales.
SPEC = CountrySpec(
    member_id="MX-OADPRS",
    iso2="MX",
    language="es-MX",
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
    spec=SPEC,
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

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

MEMBER_ID = "CO-INPEC"

#: What the adapter (and the sample generator) know of this member: code lists, facilities, scales.
SPEC = CountrySpec(
    member_id="CO-INPEC",
    iso2="CO",
    language="es-CO",
    names=NamePool(
        ("José", "Luis", "Carlos", "Jorge", "Andrés", "Juan", "Diego", "Jhon", "Brayan", "Yeison",
         "Jhonatan", "Cristian", "Wilmer", "Édgar", "Fabián", "Julián", "Camilo", "Sebastián",
         "Alexander", "Duván", "Óscar", "Jairo", "Hernán", "Edwin", "Nelson", "Stiven", "Harold"),
        ("María", "Luz", "Ana", "Diana", "Sandra", "Paola", "Yuliana", "Leidy", "Marcela",
         "Claudia", "Angie", "Daniela", "Yesenia", "Luisa"),
        ("Rodríguez", "Gómez", "González", "Martínez", "García", "López", "Hernández", "Sánchez",
         "Ramírez", "Pérez", "Díaz", "Muñoz", "Rojas", "Moreno", "Jiménez", "Vargas", "Castro",
         "Gutiérrez", "Ospina", "Restrepo", "Castaño", "Zapata", "Arango", "Valencia", "Mosquera",
         "Palacios", "Córdoba", "Quintero", "Cárdenas", "Mejía", "Londoño", "Orozco"),
    ),
    regions=(
        Region("CO-DC", "Bogotá", 22, "11001"), Region("CO-ANT", "Medellín", 14, "05001"),
        Region("CO-VAC", "Cali", 12, "76001"), Region("CO-ATL", "Barranquilla", 7, "08001"),
        Region("CO-SAN", "Bucaramanga", 5, "68001"), Region("CO-BOL", "Cartagena", 5, "13001"),
        Region("CO-NSA", "Cúcuta", 5, "54001"), Region("CO-CUN", "Soacha", 4, "25754"),
        Region("CO-TOL", "Ibagué", 4, "73001"), Region("CO-NAR", "Pasto", 3, "52001"),
        Region("CO-CES", "Valledupar", 3, "20001"), Region("CO-MAG", "Santa Marta", 3, "47001"),
        Region("CO-COR", "Montería", 3, "23001"), Region("CO-RIS", "Pereira", 3, "66001"),
        Region("CO-CAL", "Manizales", 2, "17001"), Region("CO-HUI", "Neiva", 2, "41001"),
        Region("CO-MET", "Villavicencio", 3, "50001"), Region("CO-CAU", "Popayán", 2, "19001"),
    ),
    facilities=(
        Facility("COMEB", "Complejo Carcelario y Penitenciario Metropolitano de Bogotá (La Picota)",
                 "CO-DC", 8, levels=(2, 3, 4)),
        Facility("EPMSC-BOG", "Establecimiento Penitenciario de Mediana Seguridad y Carcelario de "
                 "Bogotá (La Modelo)", "CO-DC", 7),
        Facility("RM-BOG", "Reclusión de Mujeres de Bogotá (El Buen Pastor)", "CO-DC", 4,
                 women=True, men=False, levels=(1, 2, 3, 4)),
        Facility("EPAMSCAS-VAL", "Establecimiento Penitenciario de Alta y Mediana Seguridad y "
                 "Carcelario con Alta Seguridad de Valledupar (La Tramacúa)", "CO-CES", 2,
                 levels=(3, 4)),
        Facility("EPAMSCAS-COM", "Establecimiento Penitenciario de Alta y Mediana Seguridad y "
                 "Carcelario con Alta Seguridad de Cómbita", "CO-BOY", 2, levels=(3, 4)),
        Facility("COPED", "Complejo Carcelario y Penitenciario de Medellín (Pedregal)", "CO-ANT", 6,
                 women=True),
        Facility("EPMSC-MED", "Establecimiento Penitenciario de Mediana Seguridad y Carcelario de "
                 "Medellín (Bellavista)", "CO-ANT", 6),
        Facility("COJAM", "Complejo Carcelario y Penitenciario de Jamundí", "CO-VAC", 6, women=True),
        Facility("EPMSC-CAL", "Establecimiento Penitenciario de Mediana Seguridad y Carcelario de "
                 "Cali (Villahermosa)", "CO-VAC", 5),
        Facility("EPMSC-BAQ", "Establecimiento Penitenciario de Mediana Seguridad y Carcelario de "
                 "Barranquilla", "CO-ATL", 3),
        Facility("EPAMS-GIR", "Establecimiento Penitenciario de Alta y Mediana Seguridad de Girón "
                 "(Palogordo)", "CO-SAN", 3, levels=(2, 3, 4)),
        Facility("COCUC", "Complejo Carcelario y Penitenciario Metropolitano de Cúcuta", "CO-NSA", 4,
                 women=True),
        Facility("COIBA", "Complejo Carcelario y Penitenciario de Ibagué (Picaleña)", "CO-TOL", 4,
                 women=True),
        Facility("EPMSC-CTG", "Establecimiento Penitenciario de Mediana Seguridad y Carcelario de "
                 "Cartagena (Ternera)", "CO-BOL", 3),
    ),
    offence_scheme="co-inpec-delitos",
    offences=(
        Offence("0101", "CP-103", "Homicidio", 9, 4, (17, 37)),
        Offence("0101", "CP-104", "Homicidio agravado", 5, 4, (33, 50)),
        Offence("0102", "CP-103/27", "Homicidio en grado de tentativa", 3, 3, (8, 20)),
        Offence("0401", "CP-240", "Hurto calificado (violencia sobre las personas)", 16, 2, (6, 14)),
        Offence("0502", "CP-239", "Hurto", 6, 1, (2, 6)),
        Offence("0601", "CP-376", "Tráfico, fabricación o porte de estupefacientes", 18, 2, (5, 12),
                0.15),
        Offence("0901", "CP-365", "Fabricación, tráfico, porte o tenencia de armas de fuego, "
                "accesorios, partes o municiones", 10, 2, (9, 12)),
        Offence("0905", "CP-340", "Concierto para delinquir", 7, 3, (4, 18), 1.0),
        Offence("0205", "CP-244", "Extorsión", 4, 3, (16, 24), 0.4),
        Offence("020221", "CP-169", "Secuestro extorsivo", 2, 4, (26, 40), 0.5),
        Offence("0301", "CP-205", "Acceso carnal violento", 4, 3, (12, 20)),
        Offence("0301", "CP-208", "Acceso carnal abusivo con menor de catorce años", 6, 3, (12, 20)),
        Offence("0201", "CP-229", "Violencia intrafamiliar", 5, 1, (4, 8)),
        Offence("0703", "CP-405", "Cohecho propio", 0.5, 2, (5, 10)),
        Offence("0806", "CP-448", "Fuga de presos", 0.5, 2, (4, 8)),
        Offence("0704", "CP-323", "Lavado de activos", 0.7, 2, (10, 22), 0.5),
    ),
    level_scheme="co-inpec-fases",
    levels=(
        NationalLevel(L_MIN, "FASE-MINIMA", "Fase de mínima seguridad (periodo abierto)"),
        NationalLevel(L_MED, "FASE-MEDIANA", "Fase de mediana seguridad (periodo semiabierto)"),
        NationalLevel(L_MED, "OBSERVACION", "Fase de observación, diagnóstico y clasificación"),
        NationalLevel(L_HIGH, "FASE-ALTA", "Fase de alta seguridad (periodo cerrado)"),
        NationalLevel(L_MAX, "FASE-ALTA-MAXIMA", "Fase de alta seguridad – pabellón de máxima seguridad"),
    ),
    classification_instrument="Resolución 7302 de 2005 – clasificación en fase de tratamiento",
    classification_unit="Consejo de Evaluación y Tratamiento (CET)",
    risk_instrument="Valoración integral de riesgo INPEC v1",
    intelligence_unit="Grupo de Inteligencia Penitenciaria (INPEC)",
    courts=(
        "Juzgado {n} Penal del Circuito con Función de Conocimiento de {city}",
        "Juzgado {n} Penal Municipal con Función de Control de Garantías de {city}",
        "Juzgado {n} Penal del Circuito Especializado de {city}",
    ),
    case_ref="{component}60{a:05d}{year}{b:05d}",
    subject_prefix="NUI-",
    biometric_repository="co-inpec-afis",
    phone=(("+57 3",), 9),
    female_share=0.066,
    pretrial_share=0.25,
    appeal_share=0.05,
    pretrial_months=(12, 24),
    foreign_share=0.025,
    foreign_nationalities=(("VE", 0.8), ("EC", 0.08), ("MX", 0.05), ("PE", 0.07)),
    affiliation_share=0.04,
    organisations=(("org:clan-del-golfo", 0.35), ("org:eln", 0.15), ("org:disidencias-farc", 0.15),
                   ("org:la-oficina", 0.15), ("org:tren-de-aragua", 0.2)),
    nicknames=("el Paisa", "el Costeño", "el Caleño", "el Rolo", "el Calvo"),
    foreigner_document=common_pb2.ID_DOCUMENT_TYPE_CO_CEDULA_EXTRANJERIA,
)

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
    spec=SPEC,
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

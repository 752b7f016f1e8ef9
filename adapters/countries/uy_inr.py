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

MEMBER_ID = "UY-INR"

#: What the adapter (and the sample generator) know of this member: code lists, facilities, scales.
SPEC = CountrySpec(
    member_id="UY-INR",
    iso2="UY",
    language="es-UY",
    names=NamePool(
        ("Matías", "Nicolás", "Diego", "Gonzalo", "Martín", "Sebastián", "Maximiliano", "Agustín",
         "Federico", "Pablo", "Juan", "Carlos", "Jorge", "Richard", "Walter", "Gastón", "Brian",
         "Bruno", "Facundo", "Emiliano", "Santiago", "Rodrigo", "Leonardo", "Alejandro", "Marcelo"),
        ("María", "Ana", "Valentina", "Lucía", "Florencia", "Camila", "Natalia", "Carolina", "Sofía",
         "Verónica"),
        ("Rodríguez", "González", "Fernández", "Pereira", "Silva", "Sosa", "Martínez", "Díaz", "Núñez",
         "Méndez", "Cabrera", "Álvarez", "Suárez", "Acosta", "Ramírez", "Olivera", "De León", "Techera",
         "Píriz", "Correa", "Castro", "Da Silva", "Ferreira", "Bentancor", "Larrosa", "Cardozo",
         "Santos", "Medina", "Rocha", "Viera"),
    ),
    regions=(
        Region("UY-MO", "Montevideo", 45, "2"), Region("UY-CA", "Canelones", 15, "10"),
        Region("UY-MA", "Maldonado", 6, "14"), Region("UY-SA", "Salto", 4, "22"),
        Region("UY-PA", "Paysandú", 4, "18"), Region("UY-RV", "Rivera", 4, "20"),
        Region("UY-CL", "Melo", 3, "12"), Region("UY-SO", "Mercedes", 3, "24"),
        Region("UY-TA", "Tacuarembó", 3, "25"), Region("UY-AR", "Artigas", 3, "11"),
        Region("UY-CO", "Colonia del Sacramento", 3, "15"), Region("UY-SJ", "San José de Mayo", 3, "23"),
        Region("UY-FD", "Florida", 2, "16"), Region("UY-RO", "Rocha", 2, "21"),
    ),
    facilities=(
        Facility("UI-04", "Unidad N.º 4 Santiago Vázquez", "UY-MO", 12, levels=(1, 2, 3, 4)),
        Facility("UI-03", "Unidad N.º 3 Libertad", "UY-SJ", 5, levels=(2, 3, 4)),
        Facility("UI-01", "Unidad N.º 1 Punta de Rieles", "UY-MO", 3),
        Facility("UI-06", "Unidad N.º 6 Punta de Rieles", "UY-MO", 2, levels=(1, 2)),
        Facility("UI-05", "Unidad N.º 5 Femenino", "UY-MO", 3, women=True, men=False,
                 levels=(1, 2, 3, 4)),
        Facility("UI-07", "Unidad N.º 7 Canelones", "UY-CA", 4),
        Facility("UI-13", "Unidad N.º 13 Las Rosas (Maldonado)", "UY-MA", 3, women=True),
        Facility("UI-12", "Unidad N.º 12 Rivera", "UY-RV", 2, women=True),
        Facility("UI-20", "Unidad N.º 20 Salto", "UY-SA", 2, women=True),
    ),
    offence_scheme="uy-inr-delitos",
    offences=(
        Offence("0401", "CP-344", "Rapiña", 30, 2, (4, 16), 0.05),
        Offence("0502", "CP-340", "Hurto", 14, 1, (1, 6)),
        Offence("0501", "CP-341", "Hurto especialmente agravado", 5, 1, (2, 8)),
        Offence("0601", "L14294-ART-31", "Estupefacientes – producción y tráfico", 16, 2, (2, 10), 0.2),
        Offence("0101", "CP-310", "Homicidio", 8, 4, (2, 12)),
        Offence("0101", "CP-312", "Homicidio muy especialmente agravado", 3, 4, (15, 30), 0.2),
        Offence("0102", "CP-310/5", "Homicidio en grado de tentativa", 3, 3, (2, 8)),
        Offence("0301", "CP-272", "Violación", 6, 3, (2, 12)),
        Offence("0201", "CP-316", "Lesiones personales", 3, 1, (1, 2)),
        Offence("0201", "CP-321-BIS", "Violencia doméstica", 4, 1, (1, 2)),
        Offence("0205", "CP-345", "Extorsión", 1.5, 3, (4, 10), 0.3),
        Offence("020221", "CP-346", "Secuestro", 1, 4, (6, 12), 0.3),
        Offence("0901", "L19247-ART-8", "Tenencia no autorizada de armas de fuego", 2, 1, (1, 6)),
        Offence("0704", "L19574-ART-30", "Lavado de activos", 0.5, 2, (2, 15), 0.5),
        Offence("0703", "CP-157", "Cohecho simple", 0.3, 2, (1, 3)),
    ),
    level_scheme="uy-inr-regimen",
    levels=(
        NationalLevel(L_MIN, "CONFIANZA", "Régimen de confianza (unidades abiertas)"),
        NationalLevel(L_MED, "MEDIA", "Seguridad media"),
        NationalLevel(L_HIGH, "ALTA", "Seguridad alta"),
        NationalLevel(L_MAX, "MAXIMA", "Máxima seguridad (régimen especial)"),
    ),
    classification_instrument="Protocolo de clasificación y evaluación INR",
    classification_unit="Junta de Tratamiento (INR)",
    risk_instrument="Instrumento de valoración de riesgo INR v1",
    intelligence_unit="División de Inteligencia Penitenciaria (INR)",
    courts=(
        "Juzgado Letrado de Primera Instancia en lo Penal de {n}° Turno de {city}",
        "Juzgado Letrado de Primera Instancia de {city} de {n}° Turno",
        "Juzgado Letrado de Primera Instancia en lo Penal Especializado en Crimen Organizado de "
        "{n}° Turno",
    ),
    case_ref="IUE {component}-{a}/{year}",
    subject_prefix="INR-",
    biometric_repository="uy-inr-biometria",
    phone=(("+598 9",), 7),
    female_share=0.065,
    pretrial_share=0.2,
    appeal_share=0.03,
    pretrial_months=(6, 12),
    foreign_share=0.03,
    foreign_nationalities=(("AR", 0.3), ("BR", 0.3), ("DO", 0.15), ("PE", 0.1), ("VE", 0.15)),
    affiliation_share=0.015,
    organisations=(("org:pcc", 0.7), ("org:tren-de-aragua", 0.3)),
    nicknames=("el Bocha", "el Pelado", "el Tano", "el Ruso"),
)

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
    spec=SPEC,
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

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

MEMBER_ID = "PE-INPE"

#: What the adapter (and the sample generator) know of this member: code lists, facilities, scales.
SPEC = CountrySpec(
    member_id="PE-INPE",
    iso2="PE",
    language="es-PE",
    names=NamePool(
        ("José", "Luis", "Juan", "Jorge", "Carlos", "Miguel", "César", "Víctor", "Percy", "Edwin",
         "Wilber", "Elmer", "Jhonatan", "Kevin", "Christian", "Richard", "Walter", "Fredy", "Julio",
         "Raúl", "Henry", "Roger", "Alex", "Frank", "Marco"),
        ("María", "Rosa", "Carmen", "Juana", "Milagros", "Flor", "Yessenia", "Karina", "Lucía",
         "Liz", "Gladys", "Nelly"),
        ("Quispe", "Flores", "Sánchez", "Rodríguez", "García", "Mamani", "Huamán", "Rojas", "Chávez",
         "Vásquez", "Ramos", "Torres", "Díaz", "Mendoza", "Condori", "Castillo", "Huanca", "Cruz",
         "Gutiérrez", "Ramírez", "Espinoza", "Vargas", "Salazar", "Paredes", "Ticona", "Apaza",
         "Cárdenas", "Luna", "Ríos", "Palomino"),
        languages=("qu",),
    ),
    regions=(
        Region("PE-LMA", "Lima", 36, "1801"), Region("PE-CAL", "Callao", 6, "0701"),
        Region("PE-LAL", "Trujillo", 7, "1601"), Region("PE-LAM", "Chiclayo", 5, "1706"),
        Region("PE-PIU", "Piura", 6, "2001"), Region("PE-ARE", "Arequipa", 5, "0401"),
        Region("PE-JUN", "Huancayo", 4, "1501"), Region("PE-CUS", "Cusco", 3, "1001"),
        Region("PE-ICA", "Ica", 4, "1401"), Region("PE-ANC", "Chimbote", 3, "0201"),
        Region("PE-LOR", "Iquitos", 3, "1201"), Region("PE-UCA", "Pucallpa", 3, "2401"),
        Region("PE-PUN", "Juliaca", 3, "2101"), Region("PE-SAM", "Tarapoto", 3, "2201"),
        Region("PE-HUC", "Huánuco", 2, "0901"), Region("PE-CAJ", "Cajamarca", 2, "0601"),
        Region("PE-AYA", "Ayacucho", 2, "0501"), Region("PE-TUM", "Tumbes", 2, "2301"),
    ),
    facilities=(
        Facility("EP-LURIGANCHO", "Establecimiento Penitenciario de Lurigancho", "PE-LMA", 12),
        Facility("EP-CASTRO-CASTRO", "Establecimiento Penitenciario Miguel Castro Castro", "PE-LMA", 5,
                 levels=(2, 3, 4)),
        Facility("EP-ANCON-I", "Establecimiento Penitenciario Ancón I (Piedras Gordas)", "PE-LIM", 3,
                 levels=(3, 4)),
        Facility("EP-ANCON-II", "Establecimiento Penitenciario Ancón II", "PE-LIM", 3),
        Facility("EP-CALLAO", "Establecimiento Penitenciario del Callao", "PE-CAL", 4),
        Facility("EP-MUJERES-CHORRILLOS", "Establecimiento Penitenciario de Mujeres de Chorrillos",
                 "PE-LMA", 3, women=True, men=False, levels=(1, 2, 3, 4)),
        Facility("EP-TRUJILLO", "Establecimiento Penitenciario de Trujillo (El Milagro)", "PE-LAL", 5,
                 women=True),
        Facility("EP-CHICLAYO", "Establecimiento Penitenciario de Chiclayo (Picsi)", "PE-LAM", 4,
                 women=True),
        Facility("EP-PIURA", "Establecimiento Penitenciario de Piura", "PE-PIU", 4, women=True),
        Facility("EP-AREQUIPA", "Establecimiento Penitenciario de Arequipa (Socabaya)", "PE-ARE", 3),
        Facility("EP-HUANCAYO", "Establecimiento Penitenciario de Huancayo", "PE-JUN", 3, women=True),
        Facility("EP-CUSCO-VARONES", "Establecimiento Penitenciario de Cusco Varones", "PE-CUS", 2),
        Facility("EP-ICA", "Establecimiento Penitenciario de Ica", "PE-ICA", 3, women=True),
        Facility("EP-CHALLAPALCA", "Establecimiento Penitenciario de Challapalca", "PE-TAC", 0.5,
                 levels=(4,)),
    ),
    offence_scheme="pe-inpe-delitos",
    offences=(
        Offence("0401", "CP-189", "Robo agravado", 26, 2, (12, 20), 0.1),
        Offence("0301", "CP-173", "Violación sexual de menor de edad", 11, 3, (20, 35)),
        Offence("0301", "CP-170", "Violación sexual", 7, 3, (14, 20)),
        Offence("0601", "CP-296", "Promoción o favorecimiento al tráfico ilícito de drogas", 14, 2,
                (8, 15), 0.2),
        Offence("0601", "CP-298", "Microcomercialización o microproducción de drogas", 4, 1, (3, 7)),
        Offence("0502", "CP-186", "Hurto agravado", 6, 1, (3, 8)),
        Offence("0101", "CP-108", "Homicidio calificado (asesinato)", 5, 4, (15, 35)),
        Offence("0101", "CP-106", "Homicidio simple", 2, 3, (6, 20)),
        Offence("0101", "CP-108-B", "Feminicidio", 1.5, 4, (20, 30)),
        Offence("0901", "CP-279", "Fabricación, suministro o tenencia ilegal de armas o materiales "
                "peligrosos", 4, 2, (6, 15)),
        Offence("0205", "CP-200", "Extorsión", 3, 3, (10, 15), 0.4),
        Offence("0905", "CP-317", "Organización criminal", 2, 3, (8, 15), 1.0),
        Offence("020221", "CP-152", "Secuestro", 1, 4, (20, 30), 0.4),
        Offence("0201", "CP-121", "Lesiones graves", 2, 2, (4, 8)),
        Offence("0703", "CP-393", "Cohecho pasivo propio", 0.5, 2, (5, 8)),
        Offence("0906", "DL-25475-2", "Terrorismo", 0.3, 4, (20, 35), 1.0),
        Offence("0704", "DL-1106-1", "Lavado de activos – actos de conversión y transferencia", 0.5,
                2, (8, 15), 0.5),
    ),
    level_scheme="pe-inpe-regimen",
    levels=(
        NationalLevel(L_MIN, "RCO-MIN", "Régimen cerrado ordinario – etapa de mínima seguridad"),
        NationalLevel(L_MIN, "RSA", "Régimen semiabierto"),
        NationalLevel(L_MED, "RCO-MED", "Régimen cerrado ordinario – etapa de mediana seguridad"),
        NationalLevel(L_HIGH, "RCO-MAX", "Régimen cerrado ordinario – etapa de máxima seguridad"),
        NationalLevel(L_HIGH, "RCE-C", "Régimen cerrado especial – etapa C"),
        NationalLevel(L_MAX, "RCE-B", "Régimen cerrado especial – etapa B"),
        NationalLevel(L_MAX, "RCE-A", "Régimen cerrado especial – etapa A"),
    ),
    classification_instrument="Reglamento del Código de Ejecución Penal – ficha de clasificación",
    classification_unit="Órgano Técnico de Tratamiento (OTT)",
    risk_instrument="Ficha de valoración de riesgo INPE v1",
    intelligence_unit="Oficina de Seguridad Penitenciaria – Unidad de Inteligencia (INPE)",
    courts=(
        "{n}° Juzgado de Investigación Preparatoria de {city}",
        "{n}° Juzgado Penal Colegiado de {city}",
        "{n}° Juzgado Penal Unipersonal de {city}",
    ),
    case_ref="{a:05d}-{year}-0-{component}-JR-PE-{n:02d}",
    subject_prefix="INPE-",
    biometric_repository="pe-inpe-registro-penitenciario",
    phone=(("+51 9",), 8),
    female_share=0.055,
    pretrial_share=0.36,
    appeal_share=0.04,
    pretrial_months=(9, 18, 36),
    foreign_share=0.045,
    foreign_nationalities=(("VE", 0.7), ("CO", 0.2), ("EC", 0.06), ("MX", 0.04)),
    affiliation_share=0.025,
    organisations=(("org:tren-de-aragua", 0.45), ("org:los-pulpos", 0.4), ("org:sendero-luminoso", 0.15)),
    minority_languages=(("qu", 0.08), ("ay", 0.01)),
    life_sentence_share=0.04,
    nicknames=("el Cholo", "el Causa", "el Chalaco", "el Chato"),
    foreigner_document=common_pb2.ID_DOCUMENT_TYPE_PE_CARNE_EXTRANJERIA,
)

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
    spec=SPEC,
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

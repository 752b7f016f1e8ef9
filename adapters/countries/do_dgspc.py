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

MEMBER_ID = "DO-DGSPC"

#: What the adapter (and the sample generator) know of this member: code lists, facilities, scales.
SPEC = CountrySpec(
    member_id="DO-DGSPC",
    iso2="DO",
    language="es-DO",
    names=NamePool(
        ("Ramón", "Rafael", "Manuel", "José", "Juan", "Luis", "Pedro", "Franklin", "Wilson", "Yunior",
         "Wander", "Starlin", "Eddy", "Ángel", "Félix", "Anderson", "Yeudy", "Wascar", "Carlos",
         "Miguel", "Héctor", "Domingo", "Santo", "Julio", "Víctor"),
        ("María", "Ana", "Yokasta", "Yudelka", "Rosanna", "Carmen", "Altagracia", "Yesenia",
         "Francisca", "Mercedes"),
        ("Pérez", "Rodríguez", "Martínez", "Reyes", "De la Cruz", "Peña", "Santana", "Féliz", "Mejía",
         "Jiménez", "Díaz", "Batista", "Rosario", "Almonte", "Guzmán", "Tavárez", "Castillo",
         "Encarnación", "Polanco", "Ureña", "Núñez", "Familia", "Vásquez", "De los Santos",
         "Paulino", "Mateo", "Hernández", "Ramírez", "Cuevas", "Sánchez"),
    ),
    regions=(
        Region("DO-01", "Santo Domingo de Guzmán", 22), Region("DO-32", "Santo Domingo Este", 18),
        Region("DO-25", "Santiago de los Caballeros", 12), Region("DO-18", "Puerto Plata", 4),
        Region("DO-13", "La Vega", 5), Region("DO-23", "San Pedro de Macorís", 5),
        Region("DO-12", "La Romana", 4), Region("DO-11", "Higüey", 4),
        Region("DO-21", "San Cristóbal", 6), Region("DO-06", "San Francisco de Macorís", 4),
        Region("DO-02", "Azua", 3), Region("DO-04", "Barahona", 3), Region("DO-17", "Baní", 3),
        Region("DO-22", "San Juan de la Maguana", 2), Region("DO-15", "Montecristi", 1),
    ),
    facilities=(
        Facility("CCR-LAS-PARRAS", "Centro de Corrección y Rehabilitación Las Parras", "DO-32", 8,
                 levels=(1, 2, 3, 4)),
        Facility("PN-LA-VICTORIA", "Penitenciaría Nacional de La Victoria", "DO-32", 6),
        Facility("CCR-NAJAYO-H", "Centro de Corrección y Rehabilitación Najayo Hombres", "DO-21", 4,
                 levels=(2, 3, 4)),
        Facility("CCR-NAJAYO-M", "Centro de Corrección y Rehabilitación Najayo Mujeres", "DO-21", 3,
                 women=True, men=False, levels=(1, 2, 3, 4)),
        Facility("CCR-RAFEY-H", "Centro de Corrección y Rehabilitación Rafey Hombres", "DO-25", 5),
        Facility("CCR-EL-PINITO", "Centro de Corrección y Rehabilitación El Pinito (La Vega)", "DO-13",
                 3, women=True),
        Facility("CCR-VISTA-AL-VALLE", "Centro de Corrección y Rehabilitación Vista al Valle (San "
                 "Francisco de Macorís)", "DO-06", 3),
        Facility("CP-SPM", "Cárcel Pública de San Pedro de Macorís", "DO-23", 3),
        Facility("CCR-BANI-H", "Centro de Corrección y Rehabilitación Baní Hombres", "DO-17", 2),
        Facility("CP-AZUA", "Cárcel Pública de Azua", "DO-02", 2),
    ),
    offence_scheme="do-dgspc-delitos",
    offences=(
        Offence("0401", "CP-379-382", "Robo con violencia", 18, 2, (5, 20)),
        Offence("0502", "CP-379-401", "Robo simple", 6, 1, (1, 5)),
        Offence("0101", "CP-295-304", "Homicidio voluntario", 12, 4, (10, 20)),
        Offence("0101", "CP-296-302", "Asesinato", 5, 4, (20, 30), 0.2),
        Offence("0601", "L50-88-ART-5A-75", "Tráfico de sustancias controladas", 20, 2, (5, 20), 0.2),
        Offence("0301", "CP-330-331", "Violación sexual", 8, 3, (10, 15)),
        Offence("0901", "L631-16-ART-66", "Porte y tenencia ilegal de armas", 6, 1, (1, 3)),
        Offence("0905", "CP-265-266", "Asociación de malhechores", 5, 2, (5, 20), 1.0),
        Offence("020221", "L583-ART-1", "Secuestro", 1, 4, (30, 40), 0.4),
        Offence("0204", "L137-03-ART-3", "Trata de personas", 1, 3, (15, 20), 0.5),
        Offence("0805", "L137-03-ART-2", "Tráfico ilícito de migrantes", 1.5, 2, (10, 15), 0.5),
        Offence("0201", "CP-309", "Golpes y heridas", 4, 1, (1, 3)),
        Offence("0201", "CP-309-1", "Violencia de género e intrafamiliar", 6, 2, (1, 5)),
        Offence("0703", "CP-177", "Soborno (cohecho)", 0.3, 2, (2, 5)),
        Offence("0704", "L155-17-ART-2", "Lavado de activos", 0.7, 2, (10, 20), 0.5),
    ),
    level_scheme="do-dgspc-clasificacion",
    levels=(
        NationalLevel(L_MIN, "MINIMA", "Mínima seguridad"),
        NationalLevel(L_MED, "MEDIANA", "Mediana seguridad"),
        NationalLevel(L_HIGH, "MAXIMA", "Máxima seguridad"),
        NationalLevel(L_MAX, "MAXIMA-ESPECIAL", "Máxima seguridad – régimen especial"),
    ),
    classification_instrument="Modelo de Gestión Penitenciaria – ficha de clasificación",
    classification_unit="Junta de Clasificación (DGSPC)",
    risk_instrument="Instrumento de valoración de riesgo DGSPC v1",
    intelligence_unit="Departamento de Inteligencia Penitenciaria (DGSPC)",
    courts=(
        "Oficina Judicial de Servicios de Atención Permanente de {city}",
        "{n}° Tribunal Colegiado de la Cámara Penal del Juzgado de Primera Instancia de {city}",
        "Juzgado de la Instrucción de {city}",
    ),
    case_ref="{year}-{n:03d}-{a:05d}",
    subject_prefix="DGSPC-",
    biometric_repository="do-dgspc-biometria",
    phone=(("+1 809 ", "+1 829 ", "+1 849 "), 7),
    female_share=0.03,
    pretrial_share=0.5,
    appeal_share=0.05,
    pretrial_months=(3, 12),
    foreign_share=0.05,
    foreign_nationalities=(("HT", 0.75), ("VE", 0.15), ("CO", 0.1)),
    affiliation_share=0.012,
    organisations=(("org:trinitarios", 0.8), ("org:cartel-de-sinaloa", 0.2)),
    minority_languages=(("ht", 0.02),),
    nicknames=("el Tiguere", "el Menor", "el Prieto", "el Cibaeño"),
)

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
    spec=SPEC,
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

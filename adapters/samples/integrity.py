"""Synthetic anti-corruption audits and ethics-training aggregates for the seven members.

The records are realistic in shape and wording (Spanish findings in the criteria / condition /
cause / effect / recommendation form, drawn from the UNODC prison corruption risk areas: contraband
phones, visits, procurement, sentence benefits, records integrity, signal inhibitors, ...), but
they are **synthetic**: every audit id starts with ``SYN-`` and every report says so. They are
deterministic for ``(member_id, seed)``; audit ``i`` does not depend on ``count``.

Rules kept on purpose:

* no finding names an individual: conduct cases carry ``concerns_individual_conduct`` and an
  opaque ``restricted_case_ref`` only;
* evidence is described and hashed (SHA-256 of the working-paper reference), never attached;
* ISO 37001 clauses carry their edition (``"37001:2016/8.10"``);
* COSO components are derived from the COSO principles, so they always agree;
* ethics training is aggregate only; ``completions`` (pull-only) stays empty.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeAlias, TypeVar

from adapters.samples.members import MEMBER_IDS, SAMPLE_MEMBERS
from pxhub.v1 import common_pb2
from pxhub.v1 import integrity_pb2 as ig

__all__ = [
    "ISO37001_7_3_TOPICS",
    "ISO37001_EDITION",
    "MEMBER_IDS",
    "RISK_AREA_LABELS",
    "coso_component",
    "finding_lifecycle",
    "generate_ethics_training",
    "generate_integrity_audits",
    "iso37001_clause",
]

ISO37001_EDITION = "37001:2016"

RiskArea: TypeAlias = ig.CorruptionRiskArea.ValueType
Method: TypeAlias = ig.EvidenceMethod.ValueType
Rating: TypeAlias = ig.RatingLevel.ValueType
FindingStatus: TypeAlias = ig.FindingStatus.ValueType
RecStatus: TypeAlias = ig.RecommendationStatus.ValueType


@dataclass(frozen=True)
class _Member:
    iso2: str
    acronym: str
    country: str
    currency: str
    # Rough units of local currency per US dollar, to keep synthetic amounts plausible.
    per_usd: float


# Currency and rough units of it per US dollar; country and acronym come from the member list.
_MONEY: dict[str, tuple[str, float]] = {
    "CO-INPEC": ("COP", 4000.0),
    "PE-INPE": ("PEN", 3.7),
    "GT-DGSP": ("GTQ", 7.7),
    "EC-SNAI": ("USD", 1.0),
    "UY-INR": ("UYU", 40.0),
    "DO-DGSPC": ("DOP", 60.0),
    "MX-OADPRS": ("MXN", 18.0),
}
_MEMBERS: dict[str, _Member] = {
    m.member_id: _Member(m.country_iso2, m.acronym, m.country_name, *_MONEY[m.member_id])
    for m in SAMPLE_MEMBERS
}


def _member(member_id: str) -> _Member:
    try:
        return _MEMBERS[member_id]
    except KeyError:
        raise ValueError(
            f"unknown member id {member_id!r}; expected one of {', '.join(MEMBER_IDS)}"
        ) from None


def coso_component(principle: int) -> ig.CosoComponent.ValueType:
    """The COSO 2013 component a principle (1-17) belongs to."""
    if 1 <= principle <= 5:
        return ig.COSO_COMPONENT_CONTROL_ENVIRONMENT
    if 6 <= principle <= 9:
        return ig.COSO_COMPONENT_RISK_ASSESSMENT
    if 10 <= principle <= 12:
        return ig.COSO_COMPONENT_CONTROL_ACTIVITIES
    if 13 <= principle <= 15:
        return ig.COSO_COMPONENT_INFORMATION_AND_COMMUNICATION
    if 16 <= principle <= 17:
        return ig.COSO_COMPONENT_MONITORING
    raise ValueError(f"COSO 2013 has principles 1-17, not {principle}")


def iso37001_clause(clause: str) -> str:
    """An ISO 37001 clause reference with its edition, e.g. ``"37001:2016/8.10"``."""
    return f"{ISO37001_EDITION}/{clause}"


# --------------------------------------------------------------------------------------------
# Finding catalogue (Spanish, no individuals named)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Template:
    key: str
    title: str
    criteria: str
    condition: str
    cause: str
    effect: str
    recommendations: tuple[str, ...]
    risk_areas: tuple[RiskArea, ...]
    coso_principles: tuple[int, ...]
    iso_clauses: tuple[str, ...]
    evidence: tuple[tuple[Method, str], ...]
    likelihood: int
    impact: int
    responsible_unit: str
    monetary_usd: tuple[int, int] = (0, 0)
    individual_conduct_rate: float = 0.0


_EXAMINE = ig.EVIDENCE_METHOD_EXAMINE
_INTERVIEW = ig.EVIDENCE_METHOD_INTERVIEW
_TEST = ig.EVIDENCE_METHOD_TEST

_TEMPLATES: tuple[_Template, ...] = (
    _Template(
        key="celulares",
        title="Ingreso y permanencia de teléfonos celulares en pabellones",
        criteria=(
            "El reglamento de régimen interno y el procedimiento de requisas exigen requisas periódicas no "
            "anunciadas, el registro de cada elemento prohibido incautado con cadena de custodia y su "
            "reporte a la dirección del establecimiento dentro de las 24 horas."
        ),
        condition=(
            "En las requisas del período se incautaron {n_devices} teléfonos celulares y {n_sim} tarjetas "
            "SIM en {n_facilities} establecimientos; en {n_cases} de {n_sample} actas revisadas no consta la "
            "cadena de custodia y {n_gap} equipos registrados como incautados no se hallaron en el depósito "
            "de elementos decomisados."
        ),
        cause=(
            "Requisas con fechas previsibles, rotación insuficiente del personal de los filtros de ingreso y "
            "ausencia de un registro electrónico único de elementos incautados."
        ),
        effect=(
            "Persisten canales de comunicación no controlados desde el interior que facilitan la extorsión y "
            "la coordinación delictiva, con riesgo de reingreso de equipos incautados a cambio de pagos "
            "indebidos."
        ),
        recommendations=(
            "Implementar un registro electrónico único de elementos incautados con numeración correlativa y "
            "cadena de custodia verificable.",
            "Programar requisas aleatorias no anunciadas, con rotación del personal asignado y supervisión "
            "de una unidad distinta de la del pabellón.",
        ),
        risk_areas=(ig.CORRUPTION_RISK_AREA_CONTRABAND,),
        coso_principles=(8, 10, 12, 16),
        iso_clauses=("4.5",),
        evidence=(
            (_EXAMINE, "Revisión de actas de requisa y del libro de elementos decomisados."),
            (_TEST, "Conteo físico del depósito de elementos decomisados frente al registro."),
            (
                _INTERVIEW,
                "Entrevistas al personal de los filtros de ingreso, sin identificar a los entrevistados.",
            ),
        ),
        likelihood=3,
        impact=4,
        responsible_unit="Dirección de Custodia y Vigilancia",
        individual_conduct_rate=0.5,
    ),
    _Template(
        key="visitas",
        title="Control de ingreso de visitantes y asignación de turnos de visita",
        criteria=(
            "El procedimiento de visitas exige verificar la identidad de cada visitante contra el listado "
            "autorizado, asignar los turnos por sistema en orden de solicitud y garantizar la gratuidad del "
            "trámite."
        ),
        condition=(
            "De {n_sample} registros de ingreso examinados, {n_cases} visitantes ingresaron sin constar en "
            "el listado autorizado; los turnos se asignan en planillas manuales que admiten cambios sin "
            "trazabilidad, y {n_complaints} quejas del período reportan cobros por agilizar turnos."
        ),
        cause=(
            "Ausencia de un sistema de agendamiento con registro de cambios y falta de cruce automático del "
            "listado de visitantes autorizados en el punto de control."
        ),
        effect=(
            "Riesgo de cobros indebidos a las familias por el acceso a la visita y de ingreso de personas no "
            "autorizadas que facilitan el ingreso de elementos prohibidos."
        ),
        recommendations=(
            "Implementar el agendamiento de visitas en línea, gratuito y con bitácora de cambios.",
            "Publicar en los puntos de ingreso la gratuidad del trámite y los canales de denuncia, y "
            "analizar mensualmente las quejas recibidas.",
        ),
        risk_areas=(ig.CORRUPTION_RISK_AREA_VISITS_AND_FAMILY_CONTACT, ig.CORRUPTION_RISK_AREA_CONTRABAND),
        coso_principles=(8, 10, 11, 14),
        iso_clauses=("4.5", "8.9"),
        evidence=(
            (_EXAMINE, "Revisión de los registros de ingreso de visitantes y de las planillas de turnos."),
            (_TEST, "Cruce de una muestra de ingresos con el listado de visitantes autorizados."),
            (_EXAMINE, "Análisis de las quejas recibidas por el canal de atención al ciudadano."),
        ),
        likelihood=3,
        impact=3,
        responsible_unit="Oficina de Visitas",
        individual_conduct_rate=0.3,
    ),
    _Template(
        key="alimentacion",
        title="Contratación del suministro de alimentación con oferente único",
        criteria=(
            "La normativa de contratación pública exige pluralidad de oferentes y estudios de mercado "
            "documentados; el sistema de gestión antisoborno exige la debida diligencia de los proveedores "
            "(conflictos de interés y beneficiarios finales) antes de adjudicar."
        ),
        condition=(
            "{n_contracts} contratos de suministro de alimentación por {amount_text} se adjudicaron con un "
            "único oferente habilitado; en {n_cases} de ellos no consta la declaración de beneficiarios "
            "finales ni la verificación de conflictos de interés, y las actas de recepción no registran el "
            "gramaje contratado."
        ),
        cause=(
            "Pliegos con requisitos habilitantes restrictivos, estudios de mercado sin cotizaciones "
            "independientes y ausencia de un procedimiento de debida diligencia de terceros."
        ),
        effect=(
            "Riesgo de sobrecostos y de direccionamiento de la contratación; la población privada de la "
            "libertad puede recibir raciones inferiores a las contratadas."
        ),
        recommendations=(
            "Adoptar pliegos tipo con requisitos habilitantes proporcionales y publicar los estudios de "
            "mercado.",
            "Incorporar la debida diligencia de proveedores (beneficiarios finales y conflictos de interés) "
            "antes de toda adjudicación.",
        ),
        risk_areas=(ig.CORRUPTION_RISK_AREA_PROCUREMENT, ig.CORRUPTION_RISK_AREA_BASIC_SERVICES),
        coso_principles=(1, 8, 10, 12),
        iso_clauses=("4.5", "8.2"),
        evidence=(
            (_EXAMINE, "Revisión de los expedientes contractuales y de los estudios de mercado."),
            (_TEST, "Comparación de precios unitarios adjudicados con referencias de mercado."),
            (_EXAMINE, "Revisión de las actas de recepción de raciones."),
        ),
        likelihood=3,
        impact=4,
        responsible_unit="Oficina de Logística y Contratación",
        monetary_usd=(40_000, 900_000),
        individual_conduct_rate=0.15,
    ),
    _Template(
        key="beneficios",
        title="Trámite de beneficios penitenciarios y redención de pena",
        criteria=(
            "Los certificados de cómputo de trabajo y estudio que sustentan la redención de pena y los "
            "beneficios penitenciarios deben basarse en registros diarios de asistencia verificados por el "
            "área de tratamiento y ser aprobados por un órgano colegiado."
        ),
        condition=(
            "En {n_sample} expedientes examinados se hallaron {n_cases} certificados de cómputo sin soporte "
            "en los registros diarios de asistencia; {n_fast} expedientes se tramitaron en menos de {days} "
            "días frente a una mediana de {median_days} días, sin justificación documentada."
        ),
        cause=(
            "Registros de asistencia en papel sin firma de verificación, concentración del trámite en una "
            "sola unidad y falta de segregación de funciones."
        ),
        effect=(
            "Riesgo de otorgar beneficios o redenciones sin cumplir requisitos a cambio de pagos indebidos, "
            "con afectación de la seguridad ciudadana y de la igualdad de trato entre internos."
        ),
        recommendations=(
            "Digitalizar los registros de asistencia a trabajo y estudio con validación diaria por un "
            "servidor distinto del que certifica.",
            "Revisar cada trimestre, desde control interno, una muestra aleatoria de expedientes aprobados.",
        ),
        risk_areas=(ig.CORRUPTION_RISK_AREA_SENTENCE_BENEFITS, ig.CORRUPTION_RISK_AREA_PROGRAMMES_AND_WORK),
        coso_principles=(5, 8, 10, 12),
        iso_clauses=("4.5", "5.3"),
        evidence=(
            (_EXAMINE, "Revisión de expedientes de beneficios penitenciarios y certificados de cómputo."),
            (_TEST, "Reconstrucción de horas certificadas a partir de los registros diarios de asistencia."),
        ),
        likelihood=2,
        impact=4,
        responsible_unit="Área Jurídica y Consejo de Evaluación",
        individual_conduct_rate=0.5,
    ),
    _Template(
        key="registros",
        title="Integridad de los registros del sistema de información penitenciaria",
        criteria=(
            "La política de seguridad de la información exige cuentas nominativas, perfiles de acceso según "
            "funciones, bitácora inalterable de modificaciones y revisión periódica de accesos."
        ),
        condition=(
            "Se identificaron {n_shared} cuentas genéricas compartidas con permisos de modificación; "
            "{n_records} registros de situación jurídica o de conducta se modificaron sin documento soporte "
            "y la bitácora de auditoría estuvo desactivada durante {days} días."
        ),
        cause=(
            "Ausencia de un procedimiento formal de gestión de accesos y de revisión de bitácoras; "
            "dependencia de un solo administrador del sistema."
        ),
        effect=(
            "Los registros que sustentan clasificación, beneficios y traslados pueden alterarse sin "
            "trazabilidad, lo que facilita actos de corrupción y debilita la evidencia de las "
            "investigaciones."
        ),
        recommendations=(
            "Eliminar las cuentas genéricas y revisar cada trimestre los perfiles de acceso.",
            "Mantener activa la bitácora de auditoría con alertas ante modificaciones sin soporte.",
        ),
        risk_areas=(ig.CORRUPTION_RISK_AREA_RECORDS_AND_DATA_INTEGRITY,),
        coso_principles=(11, 13, 16),
        iso_clauses=("4.5", "9.2"),
        evidence=(
            (_TEST, "Extracción y análisis de cuentas de usuario y perfiles del sistema."),
            (_EXAMINE, "Comparación de modificaciones registradas con los documentos soporte."),
        ),
        likelihood=3,
        impact=3,
        responsible_unit="Oficina de Tecnologías de la Información",
        individual_conduct_rate=0.2,
    ),
    _Template(
        key="inhibidores",
        title="Operación y mantenimiento de los sistemas de inhibición de señales",
        criteria=(
            "Los contratos de operación exigen una disponibilidad mínima del {sla} % de los sistemas de "
            "inhibición de señales, mantenimiento preventivo mensual y reporte de fallas con bitácora."
        ),
        condition=(
            "Los reportes de monitoreo muestran una disponibilidad promedio de {pct} % en {n_facilities} "
            "establecimientos; {n_down} equipos estuvieron fuera de servicio más de {days} días sin "
            "penalidad al contratista, y las pruebas de campo detectaron comunicaciones móviles activas "
            "desde pabellones."
        ),
        cause=(
            "Supervisión contractual sin mediciones independientes de cobertura y cláusulas de penalidad que "
            "no se aplican de forma automática."
        ),
        effect=(
            "Se mantienen las extorsiones y actividades delictivas coordinadas desde el interior de los "
            "penales y se pagan servicios no prestados por {amount_text}."
        ),
        recommendations=(
            "Realizar mediciones independientes trimestrales de cobertura y aplicar las penalidades "
            "contractuales por indisponibilidad.",
            "Integrar las alarmas de falla de los inhibidores al centro de monitoreo, con reporte a control "
            "interno.",
        ),
        risk_areas=(ig.CORRUPTION_RISK_AREA_SECURITY_TECHNOLOGY, ig.CORRUPTION_RISK_AREA_PROCUREMENT),
        coso_principles=(10, 11, 16, 17),
        iso_clauses=("4.5", "8.2"),
        evidence=(
            (_TEST, "Pruebas de campo de cobertura de telefonía móvil en pabellones."),
            (
                _EXAMINE,
                "Revisión de reportes de disponibilidad y bitácoras de mantenimiento del contratista.",
            ),
        ),
        likelihood=3,
        impact=4,
        responsible_unit="Dirección de Seguridad Penitenciaria",
        monetary_usd=(20_000, 600_000),
        individual_conduct_rate=0.1,
    ),
    _Template(
        key="traslados",
        title="Traslados de internos sin sustento técnico",
        criteria=(
            "Los traslados deben resolverse por la autoridad competente con base en criterios técnicos "
            "documentados (seguridad, acercamiento familiar, tratamiento) y quedar motivados en el "
            "expediente."
        ),
        condition=(
            "De {n_sample} traslados examinados, {n_cases} carecen de informe técnico o de motivación; "
            "algunas solicitudes se atendieron en {days} días mientras otras siguen pendientes por más de un "
            "año, sin criterio de priorización."
        ),
        cause="Ausencia de criterios de priorización publicados y de una instancia colegiada de decisión.",
        effect=(
            "Riesgo de que los traslados se negocien a cambio de pagos o favorezcan la reubicación de "
            "cabecillas de estructuras criminales."
        ),
        recommendations=(
            "Publicar los criterios de priorización de traslados y exigir informe técnico en cada caso.",
            "Someter los traslados a una instancia colegiada con actas.",
        ),
        risk_areas=(ig.CORRUPTION_RISK_AREA_TRANSFERS,),
        coso_principles=(3, 10, 12),
        iso_clauses=("4.5",),
        evidence=(
            (_EXAMINE, "Revisión de resoluciones y expedientes de traslado."),
            (_TEST, "Análisis de tiempos de atención de solicitudes de traslado."),
        ),
        likelihood=2,
        impact=3,
        responsible_unit="Dirección de Gestión Penitenciaria",
        individual_conduct_rate=0.35,
    ),
    _Template(
        key="fondos",
        title="Manejo de fondos de internos y precios del expendio",
        criteria=(
            "Los fondos depositados a favor de los internos deben registrarse en cuentas individuales "
            "conciliadas mensualmente, y los precios del expendio deben ajustarse a la lista aprobada y "
            "publicada."
        ),
        condition=(
            "Las conciliaciones de {n_months} meses presentan diferencias no explicadas por {amount_text}; "
            "en {n_items} productos del expendio los precios cobrados superan la lista aprobada hasta en "
            "{pct} %."
        ),
        cause=(
            "Conciliaciones hechas por el mismo servidor que administra los fondos y lista de precios no "
            "publicada en los pabellones."
        ),
        effect=(
            "Pérdida de recursos de los internos y de sus familias, y cobros indebidos en el acceso a bienes "
            "básicos."
        ),
        recommendations=(
            "Separar la administración de los fondos de su conciliación mensual.",
            "Publicar la lista de precios aprobada en cada pabellón y verificarla con compras de prueba.",
        ),
        risk_areas=(ig.CORRUPTION_RISK_AREA_INMATE_FUNDS, ig.CORRUPTION_RISK_AREA_BASIC_SERVICES),
        coso_principles=(10, 12, 16),
        iso_clauses=("4.5", "9.2"),
        evidence=(
            (_EXAMINE, "Revisión de conciliaciones bancarias y auxiliares de cuentas individuales."),
            (_TEST, "Compras de prueba en el expendio frente a la lista de precios aprobada."),
        ),
        likelihood=3,
        impact=2,
        responsible_unit="Oficina Financiera",
        monetary_usd=(2_000, 80_000),
        individual_conduct_rate=0.3,
    ),
    _Template(
        key="rotacion",
        title="Rotación y asignación del personal de custodia en puestos sensibles",
        criteria=(
            "La política de talento humano prevé la rotación periódica del personal de puestos sensibles "
            "(filtros de ingreso, depósitos, visitas) y la verificación de antecedentes y conflictos de "
            "interés antes de la asignación."
        ),
        condition=(
            "El {pct} % del personal de puestos sensibles de los establecimientos examinados permanece en el "
            "mismo puesto por más de {years} años; no consta la declaración de conflictos de interés en "
            "{n_cases} de {n_sample} expedientes de personal revisados."
        ),
        cause="Déficit de personal de custodia y ausencia de un plan de rotación aprobado.",
        effect=(
            "Se consolidan relaciones indebidas con internos y visitantes que facilitan el ingreso de "
            "elementos prohibidos y otros actos de corrupción."
        ),
        recommendations=(
            "Aprobar y ejecutar un plan de rotación para los puestos sensibles.",
            "Exigir la declaración anual de conflictos de interés y la verificación de antecedentes antes de "
            "asignar puestos sensibles.",
        ),
        risk_areas=(ig.CORRUPTION_RISK_AREA_STAFF_RECRUITMENT_AND_POSTING,),
        coso_principles=(1, 4, 5, 8),
        iso_clauses=("7.2.2", "4.5"),
        evidence=(
            (_EXAMINE, "Revisión de expedientes de personal y de las órdenes de asignación de puestos."),
            (_INTERVIEW, "Entrevistas a jefaturas de seguridad de los establecimientos."),
        ),
        likelihood=3,
        impact=3,
        responsible_unit="Dirección de Talento Humano",
    ),
    _Template(
        key="clasificacion",
        title="Clasificación de internos y asignación de celdas y pabellones",
        criteria=(
            "La clasificación por nivel de seguridad y la asignación de pabellón deben resultar de una "
            "evaluación técnica registrada y revisarse en los plazos establecidos."
        ),
        condition=(
            "En {n_cases} de {n_sample} casos examinados la celda asignada no corresponde a la clasificación "
            "registrada; {n_overdue} revisiones de clasificación están vencidas hace más de {days} días."
        ),
        cause=(
            "Hacinamiento, ausencia de un sistema que bloquee asignaciones incompatibles y falta de "
            "supervisión."
        ),
        effect=(
            "Riesgo de cobros por celdas o pabellones con mejores condiciones y de ubicación indebida de "
            "internos de alta peligrosidad."
        ),
        recommendations=(
            "Registrar las asignaciones de celda en el sistema con validación automática frente a la "
            "clasificación vigente.",
            "Programar y controlar las revisiones de clasificación vencidas.",
        ),
        risk_areas=(ig.CORRUPTION_RISK_AREA_ADMISSION_CLASSIFICATION_ALLOCATION,),
        coso_principles=(10, 12, 13),
        iso_clauses=("4.5",),
        evidence=(
            (_TEST, "Inspección física de ocupación de celdas frente al registro de clasificación."),
            (_EXAMINE, "Revisión de fichas de clasificación y actas de revisión."),
        ),
        likelihood=3,
        impact=3,
        responsible_unit="Área de Clasificación y Tratamiento",
        individual_conduct_rate=0.3,
    ),
    _Template(
        key="denuncias",
        title="Canal de denuncias y capacitación en ética e integridad",
        criteria=(
            "El sistema de gestión antisoborno exige capacitación en ética y antisoborno a intervalos "
            "planificados y un canal de denuncias que admita el anonimato y proteja contra represalias."
        ),
        condition=(
            "Solo el {pct} % del personal de custodia de los establecimientos examinados completó la "
            "capacitación en ética pública en los últimos {n_months} meses; el canal de denuncias no admite "
            "reportes anónimos y {n_cases} denuncias recibidas no tienen registro de trámite."
        ),
        cause=(
            "Capacitación sin programación anual ni presupuesto y canal de denuncias sin responsable "
            "asignado."
        ),
        effect=(
            "El personal no reconoce ni reporta solicitudes de soborno, y el temor a represalias "
            "desincentiva la denuncia."
        ),
        recommendations=(
            "Aprobar un plan anual de capacitación en ética y antisoborno con metas de cobertura por "
            "establecimiento.",
            "Habilitar un canal de denuncias anónimo con seguimiento de casos y medidas contra represalias.",
        ),
        risk_areas=(
            ig.CORRUPTION_RISK_AREA_STAFF_RECRUITMENT_AND_POSTING,
            ig.CORRUPTION_RISK_AREA_DISCIPLINE,
        ),
        coso_principles=(1, 4, 14),
        iso_clauses=("7.3", "8.9"),
        evidence=(
            (_EXAMINE, "Revisión de listas de asistencia a capacitaciones y del registro de denuncias."),
            (_INTERVIEW, "Encuesta anónima al personal sobre conocimiento del canal de denuncias."),
        ),
        likelihood=3,
        impact=2,
        responsible_unit="Oficina de Control Interno Disciplinario",
    ),
    _Template(
        key="talleres",
        title="Asignación de cupos en talleres y actividades de trabajo y estudio",
        criteria=(
            "El acceso a talleres y actividades con cómputo para redención debe asignarse mediante listas de "
            "espera públicas y según la recomendación del área de tratamiento."
        ),
        condition=(
            "{n_cases} internos ocupan cupos de talleres sin constar en la lista de espera ni en la "
            "recomendación del área de tratamiento, mientras {n_waiting} internos esperan un cupo desde hace "
            "más de {n_months} meses."
        ),
        cause="Listas de espera manuales no publicadas y asignación de cupos a discreción de cada taller.",
        effect=(
            "Riesgo de cobros por el acceso a actividades que redimen pena y de trato desigual entre "
            "internos."
        ),
        recommendations=(
            "Publicar las listas de espera y asignar los cupos por sistema según la recomendación de "
            "tratamiento.",
        ),
        risk_areas=(ig.CORRUPTION_RISK_AREA_PROGRAMMES_AND_WORK, ig.CORRUPTION_RISK_AREA_SENTENCE_BENEFITS),
        coso_principles=(10, 12),
        iso_clauses=("4.5",),
        evidence=(
            (_EXAMINE, "Revisión de listas de asistencia a talleres y listas de espera."),
            (_INTERVIEW, "Entrevistas grupales anónimas con internos en lista de espera."),
        ),
        likelihood=2,
        impact=2,
        responsible_unit="Área de Trabajo y Educación",
        individual_conduct_rate=0.2,
    ),
)

RISK_AREA_LABELS: dict[RiskArea, str] = {
    ig.CORRUPTION_RISK_AREA_ADMISSION_CLASSIFICATION_ALLOCATION: "ingreso, clasificación y asignación",
    ig.CORRUPTION_RISK_AREA_TRANSFERS: "traslados",
    ig.CORRUPTION_RISK_AREA_CONTRABAND: "elementos prohibidos (celulares, drogas, armas)",
    ig.CORRUPTION_RISK_AREA_VISITS_AND_FAMILY_CONTACT: "visitas y contacto familiar",
    ig.CORRUPTION_RISK_AREA_BASIC_SERVICES: "servicios básicos (alimentación, salud)",
    ig.CORRUPTION_RISK_AREA_PROGRAMMES_AND_WORK: "acceso a programas y trabajo",
    ig.CORRUPTION_RISK_AREA_SENTENCE_BENEFITS: "beneficios penitenciarios y redención de pena",
    ig.CORRUPTION_RISK_AREA_DISCIPLINE: "régimen disciplinario",
    ig.CORRUPTION_RISK_AREA_PROCUREMENT: "contratación",
    ig.CORRUPTION_RISK_AREA_INMATE_FUNDS: "fondos de internos y expendio",
    ig.CORRUPTION_RISK_AREA_STAFF_RECRUITMENT_AND_POSTING: "selección y asignación de personal",
    ig.CORRUPTION_RISK_AREA_RECORDS_AND_DATA_INTEGRITY: "integridad de registros y datos",
    ig.CORRUPTION_RISK_AREA_SECURITY_TECHNOLOGY: "tecnología de seguridad (inhibidores de señal, CCTV)",
}

_AUDIT_TYPES: tuple[tuple[ig.AuditType.ValueType, int], ...] = (
    (ig.AUDIT_TYPE_INTERNAL_AUDIT, 35),
    (ig.AUDIT_TYPE_SUPREME_AUDIT_INSTITUTION, 20),
    (ig.AUDIT_TYPE_ISO37001_INTERNAL, 15),
    (ig.AUDIT_TYPE_ISO37001_CERTIFICATION, 5),
    (ig.AUDIT_TYPE_INSPECTION_OR_MONITORING, 15),
    (ig.AUDIT_TYPE_INVESTIGATION_SUMMARY, 10),
)
_STANDARD: dict[ig.AuditType.ValueType, ig.AuditStandard.ValueType] = {
    ig.AUDIT_TYPE_INTERNAL_AUDIT: ig.AUDIT_STANDARD_IIA_IPPF,
    ig.AUDIT_TYPE_SUPREME_AUDIT_INSTITUTION: ig.AUDIT_STANDARD_ISSAI,
    ig.AUDIT_TYPE_ISO37001_INTERNAL: ig.AUDIT_STANDARD_ISO19011,
    ig.AUDIT_TYPE_ISO37001_CERTIFICATION: ig.AUDIT_STANDARD_ISO19011,
    ig.AUDIT_TYPE_INSPECTION_OR_MONITORING: ig.AUDIT_STANDARD_NATIONAL,
    ig.AUDIT_TYPE_INVESTIGATION_SUMMARY: ig.AUDIT_STANDARD_NATIONAL,
}

_FINDING_STATUSES: tuple[tuple[FindingStatus, int], ...] = (
    (ig.FINDING_STATUS_OPEN, 20),
    (ig.FINDING_STATUS_REMEDIATING, 30),
    (ig.FINDING_STATUS_RISK_ACCEPTED, 5),
    (ig.FINDING_STATUS_CLOSED_IMPLEMENTED, 30),
    (ig.FINDING_STATUS_CLOSED_NOT_IMPLEMENTED, 8),
    (ig.FINDING_STATUS_CLOSED_NO_LONGER_APPLICABLE, 7),
)
# Recommendation status, follow-up assessment and whether milestones are done, per finding status.
_REC_FOR_FINDING: dict[FindingStatus, RecStatus] = {
    ig.FINDING_STATUS_OPEN: ig.RECOMMENDATION_STATUS_OPEN,
    ig.FINDING_STATUS_INVESTIGATING: ig.RECOMMENDATION_STATUS_OPEN,
    ig.FINDING_STATUS_REMEDIATING: ig.RECOMMENDATION_STATUS_IN_PROGRESS,
    ig.FINDING_STATUS_RISK_ACCEPTED: ig.RECOMMENDATION_STATUS_NOT_IMPLEMENTED,
    ig.FINDING_STATUS_CLOSED_IMPLEMENTED: ig.RECOMMENDATION_STATUS_IMPLEMENTED,
    ig.FINDING_STATUS_CLOSED_NOT_IMPLEMENTED: ig.RECOMMENDATION_STATUS_NOT_IMPLEMENTED,
    ig.FINDING_STATUS_CLOSED_NO_LONGER_APPLICABLE: ig.RECOMMENDATION_STATUS_NO_LONGER_APPLICABLE,
}
_FOLLOW_UP_TEXT: dict[RecStatus, str] = {
    ig.RECOMMENDATION_STATUS_IN_PROGRESS: "Se verificó avance parcial del plan de acción; hitos pendientes.",
    ig.RECOMMENDATION_STATUS_PARTIALLY_IMPLEMENTED: (
        "Acciones implementadas en parte de los establecimientos."
    ),
    ig.RECOMMENDATION_STATUS_IMPLEMENTED: (
        "Se verificó la implementación con pruebas de recorrido en muestra."
    ),
    ig.RECOMMENDATION_STATUS_NOT_IMPLEMENTED: (
        "No se evidencian acciones; la administración asumió el riesgo."
    ),
    ig.RECOMMENDATION_STATUS_NO_LONGER_APPLICABLE: (
        "La condición dejó de existir (proceso o contrato sustituido); recomendación sin objeto."
    ),
}
_MANAGEMENT_COMMENTS: dict[ig.ManagementResponse.ValueType, str] = {
    ig.MANAGEMENT_RESPONSE_AGREED: (
        "La administración acepta el hallazgo y presenta plan de acción con hitos."
    ),
    ig.MANAGEMENT_RESPONSE_PARTIALLY_AGREED: (
        "La administración acepta parcialmente el hallazgo y señala restricciones presupuestales y de "
        "personal."
    ),
    ig.MANAGEMENT_RESPONSE_DISAGREED: (
        "La administración no comparte la conclusión y considera suficientes los controles existentes."
    ),
}


_T = TypeVar("_T")


def _weighted(rng: random.Random, options: Sequence[tuple[_T, int]]) -> _T:
    values = [v for v, _ in options]
    weights = [w for _, w in options]
    return rng.choices(values, weights=weights, k=1)[0]


def _pd(d: date) -> common_pb2.PartialDate:
    return common_pb2.PartialDate(year=d.year, month=d.month, day=d.day)


def _rating(level: int) -> Rating:
    return (
        ig.RATING_LEVEL_LOW,
        ig.RATING_LEVEL_MODERATE,
        ig.RATING_LEVEL_HIGH,
        ig.RATING_LEVEL_CRITICAL,
    )[max(1, min(4, level)) - 1]


def _severity(likelihood: int, impact: int) -> ig.FindingSeverity.ValueType:
    """GAO Green Book ladder from likelihood × impact (each 1-4)."""
    score = likelihood * impact
    if score >= 12:
        return ig.FINDING_SEVERITY_MATERIAL_WEAKNESS
    if score >= 8:
        return ig.FINDING_SEVERITY_SIGNIFICANT_DEFICIENCY
    if score >= 4:
        return ig.FINDING_SEVERITY_DEFICIENCY
    return ig.FINDING_SEVERITY_OBSERVATION


def _amount_text(amount_minor: int, currency: str) -> str:
    major = amount_minor // 100
    return f"{major:,}".replace(",", ".") + f" {currency}"


def _placeholders(rng: random.Random, amount_text: str) -> dict[str, object]:
    sample = rng.randint(40, 200)
    return {
        "n_devices": rng.randint(30, 900),
        "n_sim": rng.randint(20, 600),
        "n_facilities": rng.randint(2, 6),
        "n_sample": sample,
        "n_cases": rng.randint(3, max(4, sample // 4)),
        "n_gap": rng.randint(2, 40),
        "n_complaints": rng.randint(3, 60),
        "n_contracts": rng.randint(2, 9),
        "n_fast": rng.randint(2, 15),
        "days": rng.randint(5, 45),
        "median_days": rng.randint(60, 180),
        "n_shared": rng.randint(2, 12),
        "n_records": rng.randint(10, 400),
        "sla": rng.choice((95, 97, 98)),
        "pct": rng.randint(35, 85),
        "n_down": rng.randint(2, 20),
        "n_months": rng.randint(3, 12),
        "n_items": rng.randint(3, 25),
        "years": rng.randint(3, 8),
        "n_overdue": rng.randint(10, 250),
        "n_waiting": rng.randint(20, 300),
        "amount_text": amount_text,
    }


def _facility_codes(m: _Member, rng: random.Random, k: int) -> list[str]:
    return sorted(f"{m.iso2}-EST-{n:03d}" for n in rng.sample(range(1, 140), k))


_PLAN_APPROVED: frozenset[RecStatus] = frozenset(
    {
        ig.RECOMMENDATION_STATUS_IN_PROGRESS,
        ig.RECOMMENDATION_STATUS_PARTIALLY_IMPLEMENTED,
        ig.RECOMMENDATION_STATUS_IMPLEMENTED,
    }
)
_CLOSED: frozenset[FindingStatus] = frozenset(
    {
        ig.FINDING_STATUS_RISK_ACCEPTED,
        ig.FINDING_STATUS_CLOSED_IMPLEMENTED,
        ig.FINDING_STATUS_CLOSED_NOT_IMPLEMENTED,
        ig.FINDING_STATUS_CLOSED_NO_LONGER_APPLICABLE,
    }
)


def _recommendations(
    rng: random.Random,
    t: _Template,
    finding_id: str,
    status: FindingStatus,
    report_on: date,
    status_on: date,
    dues: Sequence[date],
) -> list[ig.Recommendation]:
    """Recommendations whose status, milestones and follow-ups agree with the finding status."""
    rec_status = _REC_FOR_FINDING[status]
    if status == ig.FINDING_STATUS_RISK_ACCEPTED:
        response = ig.MANAGEMENT_RESPONSE_DISAGREED
    elif rec_status == ig.RECOMMENDATION_STATUS_IMPLEMENTED:
        response = ig.MANAGEMENT_RESPONSE_AGREED
    else:
        response = rng.choice((ig.MANAGEMENT_RESPONSE_AGREED, ig.MANAGEMENT_RESPONSE_PARTIALLY_AGREED))
    recs: list[ig.Recommendation] = []
    for k, (text, due) in enumerate(zip(t.recommendations, dues, strict=True), start=1):
        this_status = rec_status
        if rec_status == ig.RECOMMENDATION_STATUS_IN_PROGRESS and k > 1 and rng.random() < 0.3:
            this_status = ig.RECOMMENDATION_STATUS_PARTIALLY_IMPLEMENTED
        milestones: list[ig.Milestone] = []
        if response != ig.MANAGEMENT_RESPONSE_DISAGREED:
            milestones = [
                ig.Milestone(
                    description="Aprobación del plan de acción y designación de responsables.",
                    due=_pd(report_on + (due - report_on) / 2),
                    completed=this_status in _PLAN_APPROVED,
                ),
                ig.Milestone(
                    description="Implementación y evidencia remitida a control interno.",
                    due=_pd(due),
                    completed=this_status == ig.RECOMMENDATION_STATUS_IMPLEMENTED,
                ),
            ]
        follow_ups: list[ig.FollowUp] = []
        if this_status != ig.RECOMMENDATION_STATUS_OPEN:
            follow_ups.append(
                ig.FollowUp(
                    reviewed_on=_pd(status_on),
                    reviewer_unit="Oficina de Control Interno",
                    assessed_status=this_status,
                    evidence_summary=_FOLLOW_UP_TEXT[this_status],
                )
            )
        recs.append(
            ig.Recommendation(
                recommendation_id=f"{finding_id}-R{k}",
                text=text,
                responsible_unit=t.responsible_unit,
                due=_pd(due),
                management_response=response,
                management_comment=_MANAGEMENT_COMMENTS[response],
                milestones=milestones,
                status=this_status,
                follow_ups=follow_ups,
                priority=k == 1 and t.impact >= 4,
            )
        )
    return recs


def _finding(
    rng: random.Random,
    m: _Member,
    member_id: str,
    t: _Template,
    finding_id: str,
    report_on: date,
    facilities: list[str],
) -> ig.AuditFinding:
    """One finding from template ``t`` with synthetic figures, ratings, evidence and lifecycle."""
    likelihood = max(1, min(4, t.likelihood + rng.choice((-1, 0, 0, 1))))
    impact = max(1, min(4, t.impact + rng.choice((-1, 0, 0, 0, 1))))
    amount_minor = 0
    if t.monetary_usd[1]:
        usd = rng.randint(*t.monetary_usd)
        amount_minor = round(usd * m.per_usd) * 100
    text_values = _placeholders(rng, _amount_text(amount_minor, m.currency))
    individual = rng.random() < t.individual_conduct_rate
    status: FindingStatus = (
        ig.FINDING_STATUS_INVESTIGATING
        if individual and rng.random() < 0.6
        else _weighted(rng, _FINDING_STATUSES)
    )
    dues = [report_on + timedelta(days=rng.randint(90, 365)) for _ in t.recommendations]
    if status in _CLOSED:
        status_on = max(dues) + timedelta(days=rng.randint(10, 120))
    else:
        status_on = report_on + timedelta(days=rng.randint(30, 200))
    clauses = list(t.iso_clauses)
    if individual:
        clauses.append("8.10")
    if status in (ig.FINDING_STATUS_REMEDIATING, ig.FINDING_STATUS_CLOSED_IMPLEMENTED):
        clauses.append("10.1")
    principles = sorted(set(t.coso_principles))
    evidence = []
    for k, (method, description) in enumerate(t.evidence, start=1):
        ref = f"PT-{finding_id}-{k:02d}"
        evidence.append(
            ig.Evidence(
                method=method,
                description=description,
                document_ref=ref,
                document_sha256=hashlib.sha256(ref.encode("utf-8")).digest(),
            )
        )
    case_ref = ""
    if individual:
        token = hashlib.sha256(f"{member_id}|{finding_id}|{rng.getrandbits(64)}".encode()).hexdigest()[:16]
        case_ref = f"CASO-RESERVADO-{m.iso2}-{token.upper()}"
    return ig.AuditFinding(
        finding_id=finding_id,
        title=t.title,
        criteria=t.criteria.format_map(text_values),
        condition=t.condition.format_map(text_values),
        cause=t.cause,
        effect=t.effect.format_map(text_values),
        recommendations=_recommendations(rng, t, finding_id, status, report_on, status_on, dues),
        severity=_severity(likelihood, impact),
        likelihood=_rating(likelihood),
        impact=_rating(impact),
        amount_at_risk_minor=amount_minor,
        currency=m.currency if amount_minor else "",
        risk_areas=list(t.risk_areas),
        coso_components=sorted({coso_component(p) for p in principles}),
        coso_principles=principles,
        iso37001_clauses=[iso37001_clause(c) for c in clauses],
        facility_codes=sorted(rng.sample(facilities, rng.randint(1, min(2, len(facilities))))),
        evidence=evidence,
        status=status,
        status_changed_on=_pd(status_on),
        concerns_individual_conduct=individual,
        restricted_case_ref=case_ref,
    )


def _auditor_body(audit_type: ig.AuditType.ValueType, m: _Member) -> str:
    return {
        ig.AUDIT_TYPE_INTERNAL_AUDIT: f"Oficina de Control Interno del {m.acronym}",
        ig.AUDIT_TYPE_SUPREME_AUDIT_INSTITUTION: f"Entidad fiscalizadora superior de {m.country}",
        ig.AUDIT_TYPE_ISO37001_INTERNAL: f"Función de cumplimiento antisoborno del {m.acronym}",
        ig.AUDIT_TYPE_ISO37001_CERTIFICATION: "Organismo de certificación acreditado",
        ig.AUDIT_TYPE_INSPECTION_OR_MONITORING: f"Institución nacional de derechos humanos de {m.country}",
        ig.AUDIT_TYPE_INVESTIGATION_SUMMARY: f"Unidad de asuntos internos del {m.acronym}",
    }[audit_type]


def _audit(member_id: str, seed: int, index: int) -> ig.IntegrityAudit:
    m = _member(member_id)
    rng = random.Random(f"pxhub-integrity|{member_id}|{seed}|{index}")  # noqa: S311 - synthetic data, not crypto
    audit_id = f"SYN-{member_id}-{seed}-{index + 1:04d}"
    audit_type = _weighted(rng, _AUDIT_TYPES)
    year = 2020 + rng.randrange(4)
    report_on = date(year + 1, rng.randint(2, 6), rng.randint(1, 28))
    facilities = _facility_codes(m, rng, rng.randint(2, 5))
    templates = rng.sample(_TEMPLATES, rng.randint(1, 4))
    findings = [
        _finding(rng, m, member_id, t, f"{audit_id}-H{k}", report_on, facilities)
        for k, t in enumerate(templates, start=1)
    ]
    worst = max(f.severity for f in findings)
    verdict = {
        ig.FINDING_SEVERITY_OBSERVATION: (
            "Los controles evaluados operan de manera adecuada, con observaciones menores."
        ),
        ig.FINDING_SEVERITY_DEFICIENCY: (
            "Los controles evaluados presentan deficiencias que requieren acciones de mejora."
        ),
        ig.FINDING_SEVERITY_SIGNIFICANT_DEFICIENCY: (
            "Los controles evaluados presentan deficiencias significativas que exponen a la entidad a "
            "riesgos de soborno."
        ),
        ig.FINDING_SEVERITY_MATERIAL_WEAKNESS: (
            "Se identificaron debilidades materiales en los controles antisoborno que requieren atención "
            "prioritaria de la dirección."
        ),
    }[worst]
    if m.iso2 == "MX" and audit_type == ig.AUDIT_TYPE_SUPREME_AUDIT_INSTITUTION:
        verdict += (
            " La entidad fiscalizada dispone de 30 días hábiles para que los resultados se confirmen, "
            "solventen, aclaren o modifiquen."
        )
    units = sorted({t.responsible_unit for t in templates})
    areas = sorted({a for t in templates for a in t.risk_areas})
    area_text = "; ".join(RISK_AREA_LABELS[a] for a in areas)
    body = _auditor_body(audit_type, m)
    return ig.IntegrityAudit(
        audit_id=audit_id,
        audited_member=member_id,
        audited_units=units + facilities,
        type=audit_type,
        standard=_STANDARD[audit_type],
        auditor_body=body,
        objective=(
            "Evaluar el diseño y la eficacia operativa de los controles para prevenir, detectar y responder "
            f"al soborno y la corrupción en el {m.acronym} (áreas de riesgo: {area_text})."
        ),
        scope=(
            f"{len(facilities)} establecimientos ({', '.join(facilities)}) y unidades centrales; año {year}."
        ),
        period_covered=common_pb2.DateRange(start=_pd(date(year, 1, 1)), end=_pd(date(year, 12, 31))),
        report_date=_pd(report_on),
        report=common_pb2.SourceCitation(
            title=f"Informe de auditoría {audit_id} (datos sintéticos)",
            publisher=body,
            published=_pd(report_on),
            locator="Capítulo de hallazgos",
        ),
        findings=findings,
        overall_conclusion=(
            f"{verdict} Registro sintético para pruebas y demostraciones: no es una auditoría real."
        ),
    )


def generate_integrity_audits(member_id: str, count: int, seed: int) -> Iterator[ig.IntegrityAudit]:
    """Yield ``count`` synthetic audits of ``member_id``, deterministic for ``seed``.

    Audit ``i`` depends only on ``(member_id, seed, i)``, so a longer run extends a shorter one.
    Raises ``ValueError`` for an unknown member or a negative count.
    """
    _member(member_id)
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    for index in range(count):
        yield _audit(member_id, seed, index)


def finding_lifecycle(member_id: str, seed: int) -> list[ig.IntegrityAudit]:
    """Three versions of one synthetic audit whose single finding goes reported -> closed.

    Version 1 reports the finding (OPEN, no management response), version 2 records management's
    answer (MANAGEMENT_RESPONDED, every recommendation AGREED, a plan with due dates), version 3
    the internal-control verification (CLOSED_IMPLEMENTED, follow-ups with evidence). Dates are
    relative to the audit's report date: the response 30 days later, the closure 150 days later.
    """
    base = _audit(member_id, seed, 0)
    finding = base.findings[0]
    report_on = date(base.report_date.year, base.report_date.month, base.report_date.day)
    v1 = ig.IntegrityAudit()
    v1.CopyFrom(base)
    v1.audit_id = f"{base.audit_id}-SEGUIMIENTO"
    del v1.findings[:]
    reported = v1.findings.add()
    reported.CopyFrom(finding)
    reported.status = ig.FINDING_STATUS_OPEN
    reported.status_changed_on.CopyFrom(_pd(report_on))
    for rec in reported.recommendations:
        rec.management_response = ig.MANAGEMENT_RESPONSE_UNSPECIFIED
        rec.management_comment = ""
        rec.status = ig.RECOMMENDATION_STATUS_OPEN
        del rec.follow_ups[:]
        for milestone in rec.milestones:
            milestone.completed = False
    v1.overall_conclusion = "Hallazgo reportado; pendiente la respuesta de la administración. " + (
        "Registro sintético para pruebas y demostraciones: no es una auditoría real."
    )
    v2 = ig.IntegrityAudit()
    v2.CopyFrom(v1)
    responded = v2.findings[0]
    responded.status = ig.FINDING_STATUS_MANAGEMENT_RESPONDED
    responded.status_changed_on.CopyFrom(_pd(report_on + timedelta(days=30)))
    for rec in responded.recommendations:
        rec.management_response = ig.MANAGEMENT_RESPONSE_AGREED
        rec.management_comment = _MANAGEMENT_COMMENTS[ig.MANAGEMENT_RESPONSE_AGREED]
        rec.status = ig.RECOMMENDATION_STATUS_IN_PROGRESS
    v2.overall_conclusion = v1.overall_conclusion.replace(
        "pendiente la respuesta de la administración", "la administración aceptó las recomendaciones"
    )
    v3 = ig.IntegrityAudit()
    v3.CopyFrom(v2)
    closed = v3.findings[0]
    closed_on = report_on + timedelta(days=150)
    closed.status = ig.FINDING_STATUS_CLOSED_IMPLEMENTED
    closed.status_changed_on.CopyFrom(_pd(closed_on))
    for rec in closed.recommendations:
        rec.status = ig.RECOMMENDATION_STATUS_IMPLEMENTED
        for milestone in rec.milestones:
            milestone.completed = True
        rec.follow_ups.append(
            ig.FollowUp(
                reviewed_on=_pd(closed_on),
                reviewer_unit="Oficina de Control Interno",
                assessed_status=ig.RECOMMENDATION_STATUS_IMPLEMENTED,
                evidence_summary=_FOLLOW_UP_TEXT[ig.RECOMMENDATION_STATUS_IMPLEMENTED],
            )
        )
    v3.overall_conclusion = v1.overall_conclusion.replace(
        "pendiente la respuesta de la administración", "control interno verificó la implementación y lo cerró"
    )
    return [v1, v2, v3]


# --------------------------------------------------------------------------------------------
# Ethics training (ISO 37001 cl. 7.3), aggregates only
# --------------------------------------------------------------------------------------------

ISO37001_7_3_TOPICS: tuple[ig.TrainingTopic.ValueType, ...] = (
    ig.TRAINING_TOPIC_POLICY_AND_PROCEDURES,
    ig.TRAINING_TOPIC_BRIBERY_RISKS,
    ig.TRAINING_TOPIC_RECOGNISING_SOLICITATIONS,
    ig.TRAINING_TOPIC_PREVENTION,
    ig.TRAINING_TOPIC_CONSEQUENCES,
    ig.TRAINING_TOPIC_HOW_TO_REPORT,
)

# (category, enrolled range per facility)
_STAFF: tuple[tuple[ig.StaffCategory.ValueType, int, int], ...] = (
    (ig.STAFF_CATEGORY_CUSTODY_OFFICER, 60, 420),
    (ig.STAFF_CATEGORY_TREATMENT, 8, 60),
    (ig.STAFF_CATEGORY_ADMINISTRATIVE, 8, 50),
    (ig.STAFF_CATEGORY_MANAGEMENT, 2, 9),
    (ig.STAFF_CATEGORY_CONTRACTOR, 3, 40),
)


def generate_ethics_training(member_id: str, seed: int) -> ig.EthicsTraining:
    """One synthetic ethics and anti-bribery course of ``member_id`` with aggregate participation.

    Participation is per staff category and facility (enrolled >= completed >= passed); individual
    completions are pull-only and left empty. Deterministic for ``(member_id, seed)``.
    """
    m = _member(member_id)
    rng = random.Random(f"pxhub-ethics|{member_id}|{seed}")  # noqa: S311 - synthetic data, not crypto
    year = 2022 + rng.randrange(3)
    start = date(year, rng.randint(2, 5), rng.randint(1, 28))
    end = start + timedelta(days=rng.randint(60, 200))
    topics = [*ISO37001_7_3_TOPICS, ig.TRAINING_TOPIC_CODE_OF_ETHICS]
    topics += [
        t
        for t in (
            ig.TRAINING_TOPIC_HUMAN_RIGHTS_MANDELA_RULES,
            ig.TRAINING_TOPIC_DYNAMIC_SECURITY_AND_BOUNDARIES,
        )
        if rng.random() < 0.7
    ]
    facilities = [f"{m.iso2}-SEDE-CENTRAL", *_facility_codes(m, rng, rng.randint(3, 6))]
    participation: list[ig.ParticipationCount] = []
    for facility in facilities:
        for category, low, high in _STAFF:
            if facility.endswith("SEDE-CENTRAL") and category == ig.STAFF_CATEGORY_CUSTODY_OFFICER:
                continue
            enrolled = rng.randint(low, high)
            completed = round(enrolled * rng.uniform(0.55, 0.98))
            passed = round(completed * rng.uniform(0.8, 1.0))
            participation.append(
                ig.ParticipationCount(
                    category=category,
                    facility_code=facility,
                    enrolled=enrolled,
                    completed=completed,
                    passed_assessment=passed,
                )
            )
    # Staff the course is meant to reach: those enrolled and those not yet enrolled in the period.
    in_scope = sum(p.enrolled for p in participation)
    in_scope += round(in_scope * random.Random(f"pxhub-ethics-scope|{member_id}|{seed}").uniform(0.05, 0.4))  # noqa: S311
    return ig.EthicsTraining(
        staff_in_scope=in_scope,
        training_id=f"SYN-{member_id}-ETICA-{seed}",
        member_id=member_id,
        course_code=f"ETICA-37001-{year}",
        course_title="Ética pública, integridad y prevención del soborno en la gestión penitenciaria",
        topics=topics,
        mode=rng.choice(
            (
                ig.DELIVERY_MODE_IN_PERSON,
                ig.DELIVERY_MODE_VIRTUAL_LIVE,
                ig.DELIVERY_MODE_E_LEARNING,
                ig.DELIVERY_MODE_BLENDED,
            )
        ),
        duration_hours=float(rng.choice((8, 12, 16, 20, 24, 40))),
        delivered=common_pb2.DateRange(start=_pd(start), end=_pd(end)),
        provider=f"Unidad de formación penitenciaria del {m.acronym} (datos sintéticos)",
        refresher_interval_months=rng.choice((12, 24)),
        participation=participation,
    )

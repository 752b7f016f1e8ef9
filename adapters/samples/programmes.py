"""Published rehabilitation programmes as canonical ``BestPracticeRecord`` messages.

The records are built in code from the project's seed documents (INPEC press releases on
VIVIF and community social work, INPE's CREO budget programme, the Andina note on Cárceles
Productivas) and from the figures the domain reference (§8) found elsewhere. Everything here
is pure and deterministic: no I/O, no clock, a fresh message on every call.

Status rule for observations:

* ``FINAL``: the owning institution published the figure itself (its own press release or
  statistics).
* ``DISPUTED``: sources disagree, or the figure is unconfirmed (secondary source, undated
  programme document, or flagged "unverified" by the reference). Conflicting figures are never
  merged: each is its own observation with its own source.

Only Colombia (INPEC) and Peru (INPE) have grounded programmes (``records_for``). The seed and
reference documents give no programme figures for GT-DGSP, EC-SNAI, UY-INR, DO-DGSPC or MX-OADPRS,
so for them ``sample_programmes_for`` builds one **labelled sample** each, so that the regional
comparison shows all seven: ``sample`` is set, the title starts with "[Muestra]", the summary and
every observation's note say the figures are illustrative, and the source is the sample itself,
never a publication of the institution. Their figures are of a realistic order (participants and
facilities against a national prison population of the right size) but are not the members' own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from adapters.best_practice import (
    ACTUAL,
    BASELINE,
    DISPUTED,
    FINAL,
    IND_FACILITIES,
    IND_PARTICIPANTS,
    REGIONAL_INDICATORS,
    TARGET,
    Kind,
    Status,
)
from adapters.samples.members import MEMBER_IDS
from pxhub.v1 import best_practice_pb2 as bp
from pxhub.v1 import common_pb2

__all__ = ["PE_POPULATION", "programme_records", "records_for", "sample_programmes_for"]


# --------------------------------------------------------------------------------------------
# Small builders
# --------------------------------------------------------------------------------------------


def _d(year: int, month: int = 0, day: int = 0) -> common_pb2.PartialDate:
    """A partial date (0 = unknown component)."""
    return common_pb2.PartialDate(year=year, month=month, day=day)


def _year(year: int) -> common_pb2.DateRange:
    """A full calendar year."""
    return common_pb2.DateRange(start=_d(year, 1, 1), end=_d(year, 12, 31))


def _span(start: common_pb2.PartialDate, end: common_pb2.PartialDate) -> common_pb2.DateRange:
    """A period from ``start`` to ``end``."""
    return common_pb2.DateRange(start=start, end=end)


def _as_of(year: int, month: int = 0, day: int = 0) -> common_pb2.DateRange:
    """A stock figure at one date."""
    return common_pb2.DateRange(start=_d(year, month, day), end=_d(year, month, day))


@dataclass(frozen=True)
class _Doc:
    """A source document; ``cite`` adds the locator of one figure."""

    title: str
    publisher: str
    published: tuple[int, int, int] = (0, 0, 0)
    url: str = ""

    def cite(self, locator: str = "") -> common_pb2.SourceCitation:
        """A citation of this document at ``locator``."""
        return common_pb2.SourceCitation(
            title=self.title,
            publisher=self.publisher,
            url=self.url,
            published=_d(*self.published) if any(self.published) else None,
            locator=locator,
        )


def _obs(
    value: float,
    *,
    period: common_pb2.DateRange | None,
    source: common_pb2.SourceCitation,
    status: Status,
    kind: Kind = ACTUAL,
    value_text: str = "",
    note: str = "",
    dims: Sequence[tuple[str, str]] = (),
    population: int = 0,
) -> bp.Observation:
    """One dated figure with its own source and status (``population``: the PPL it refers to)."""
    return bp.Observation(
        reference_population=population,
        period=period,
        kind=kind,
        value=value,
        value_text=value_text,
        dimensions=[bp.Dimension(name=n, value=v) for n, v in dims],
        status=status,
        source=source,
        note=note,
    )


def _ind(
    indicator_id: str,
    name: str,
    unit: str,
    *,
    measure: bp.IndicatorMeasure.ValueType = bp.INDICATOR_MEASURE_UNIT,
    ascending: bool = True,
    definition: str = "",
    data_source: str = "",
    frequency: str = "",
    dimension_names: Sequence[str] = (),
    observations: Sequence[bp.Observation] = (),
) -> bp.Indicator:
    """An indicator with its observations."""
    return bp.Indicator(
        indicator_id=indicator_id,
        name=name,
        definition=definition,
        measure=measure,
        unit_of_measure=unit,
        ascending=ascending,
        data_source=data_source,
        frequency=frequency,
        dimension_names=list(dimension_names),
        observations=list(observations),
    )


def _node(
    node_id: str,
    level: bp.ResultLevel.ValueType,
    statement: str,
    *,
    contributes_to: Sequence[str] = (),
    indicators: Sequence[bp.Indicator] = (),
) -> bp.ResultNode:
    """One node of the results chain."""
    return bp.ResultNode(
        node_id=node_id,
        level=level,
        statement=statement,
        contributes_to=list(contributes_to),
        indicators=list(indicators),
    )


def _with_sources(record: bp.BestPracticeRecord) -> bp.BestPracticeRecord:
    """Fill ``record.sources`` with every document cited inside it, once, in order seen."""
    seen: dict[tuple[str, str], common_pb2.SourceCitation] = {}
    for existing in record.sources:
        seen.setdefault((existing.title, existing.publisher), existing)
    cited: list[common_pb2.SourceCitation] = []
    for node in record.results_chain:
        for ind in node.indicators:
            cited.extend(o.source for o in ind.observations)
    cited.extend(e.report for e in record.evaluations if e.HasField("report"))
    for c in cited:
        key = (c.title, c.publisher)
        if key not in seen:
            doc = common_pb2.SourceCitation()
            doc.CopyFrom(c)
            doc.locator = ""
            seen[key] = doc
    del record.sources[:]
    record.sources.extend(seen.values())
    return record


# --------------------------------------------------------------------------------------------
# Source documents
# --------------------------------------------------------------------------------------------

_INPEC_COMMS = "Instituto Nacional Penitenciario y Carcelario (INPEC), Oficina Asesora de Comunicaciones"
_INPE = "Instituto Nacional Penitenciario (INPE)"

DOC_VIVIF = _Doc(
    title="El INPEC continúa acercando familias mediante visitas virtuales familiares -VIVIF-",
    publisher=_INPEC_COMMS,
    published=(2022, 3, 4),
)
DOC_TSC = _Doc(
    title="Boletín Informativo No.011 – Trabajo Social Comunitario",
    publisher=_INPEC_COMMS,
    published=(2025, 3, 5),
)
DOC_TSC_RADIO = _Doc(
    title="Trabajo comunitario de PPL en fase de confianza en municipios con ERON (título no registrado)",
    publisher="Radio Santa Fe (radiosantafe.com)",
    published=(2024, 12, 18),
)
DOC_CREO = _Doc(
    title=(
        "Programa Presupuestal “Inserción social positiva de la población penitenciaria: construyendo rutas "
        "de esperanza y oportunidad” – CREO"
    ),
    publisher=f"{_INPE}, Dirección de Tratamiento Penitenciario",
)
DOC_CREO_PILOT = _Doc(
    title="Piloto CREO en el pabellón 16 del E.P. Lurigancho (título no registrado)",
    publisher="notaspress.blogspot.com",
    published=(2010, 12, 0),
)
DOC_CREO_MODEL = _Doc(
    title="Modelo de reinserción CREO (intramuros) y FOCOS (extramuros), evaluación de procesos",
    publisher="studylib.es (documento 7964779)",
)
DOC_INPE_STATS_2012 = _Doc(
    title="Revista estadística del INPE, agosto 2012",
    publisher=_INPE,
    published=(2012, 8, 0),
)
DOC_CP_ANDINA_2024 = _Doc(
    title="Cárceles Productivas: 27 mil internos podrán mejorar la calidad de sus productos",
    publisher="Agencia Peruana de Noticias Andina",
    published=(2024, 4, 26),
)
DOC_CP_ANDINA_960120 = _Doc(
    title="Declaraciones del titular del INPE sobre trabajo, estudio y reincidencia (título no registrado)",
    publisher="Agencia Peruana de Noticias Andina (andina.pe, noticia 960120)",
)
DOC_CP_GESTION = _Doc(
    title="Población penitenciaria y reingresos (título no registrado)",
    publisher="Diario Gestión (gestion.pe)",
)

_NOTE_INPEC_ONLY = (
    "Cifra publicada por el propio INPEC; la referencia del proyecto (§8) no localizó una fuente "
    "independiente que la confirme."
)
_NOTE_CREO_DOC = (
    "Documento del programa presupuestal sin fecha ni número de PP confirmado, con rangos de edad "
    "internamente inconsistentes (18-29, 18-30, 18-34, 18-35, 18-39); la referencia (§8) marca la meta de "
    "1,210 como no verificada. DISPUTED hasta que el INPE la confirme."
)


# --------------------------------------------------------------------------------------------
# CO-INPEC: VIVIF virtual family visits
# --------------------------------------------------------------------------------------------


def _vivif() -> bp.BestPracticeRecord:
    """INPEC's Visitas Virtuales de Internos a Familiares (seed 004)."""
    pid = "CO-INPEC-VIVIF"
    visits_quote = (
        "«pasó de 3017 visitas virtuales familiares en el 2019, a 80.019 en el 2020 y 102.564 visitas en el "
        "2021»"
    )
    visits = _ind(
        f"{pid}/visitas",
        "Visitas virtuales familiares realizadas",
        "visita",
        ascending=True,
        definition="Visitas virtuales entre personas privadas de la libertad y sus familias, por año.",
        data_source="INPEC",
        frequency="anual",
        observations=[
            _obs(
                3017,
                period=_year(2019),
                source=DOC_VIVIF.cite(visits_quote),
                status=FINAL,
                value_text="3017",
                note=_NOTE_INPEC_ONLY,
            ),
            _obs(
                80019,
                period=_year(2020),
                source=DOC_VIVIF.cite(visits_quote),
                status=FINAL,
                value_text="80.019",
                note="El aumento coincide con el cierre temporal de las visitas presenciales por la "
                "Covid-19, que el mismo comunicado describe. " + _NOTE_INPEC_ONLY,
            ),
            _obs(
                102564,
                period=_year(2021),
                source=DOC_VIVIF.cite(visits_quote),
                status=FINAL,
                value_text="102.564",
                note=_NOTE_INPEC_ONLY,
            ),
        ],
    )
    delivery_src_2020 = DOC_VIVIF.cite(
        "«En el año 2020 se asignaron 33 equipos con rubros del INPEC y 96 equipos portátiles aportados por "
        "el Comité Internacional de la Cruz Roja –CICR- y la Sociedad Nacional de la Cruz Roja Colombiana "
        "–SNCRC-»"
    )
    delivery_src_uspec = DOC_VIVIF.cite("«permitió la entrega en el 2020 de 239 equipos de cómputo»")
    stock_src = DOC_VIVIF.cite(
        "«En el 2021 se hizo entrega de 21 equipos de cómputo con rubros del INPEC, de esta manera el "
        "Instituto cuenta actualmente con 498 equipos de cómputo para visitas virtuales»"
    )
    computers = _ind(
        f"{pid}/equipos",
        "Equipos de cómputo para visitas virtuales",
        "equipo",
        definition="Equipos de cómputo disponibles en los ERON para visitas virtuales (existencias).",
        data_source="INPEC",
        observations=[
            _obs(
                498,
                period=_as_of(2022, 3, 4),
                source=stock_src,
                status=FINAL,
                note="Las entregas 2020-2021 publicadas (33 + 96 + 239 + 21) suman 389; el comunicado no "
                "explica la diferencia de 109 equipos con el total de 498. " + _NOTE_INPEC_ONLY,
            ),
        ],
    )
    deliveries = _ind(
        f"{pid}/equipos-entregados",
        "Equipos de cómputo entregados para visitas virtuales",
        "equipo",
        definition="Equipos entregados en el año, por aportante.",
        data_source="INPEC",
        frequency="anual",
        dimension_names=["aportante"],
        observations=[
            _obs(
                33,
                period=_year(2020),
                source=delivery_src_2020,
                status=FINAL,
                dims=[("aportante", "INPEC (rubros propios)")],
            ),
            _obs(
                96,
                period=_year(2020),
                source=delivery_src_2020,
                status=FINAL,
                value_text="96 equipos portátiles",
                dims=[("aportante", "CICR y SNCRC (convenio de cooperación internacional)")],
            ),
            _obs(
                239,
                period=_year(2020),
                source=delivery_src_uspec,
                status=FINAL,
                dims=[("aportante", "USPEC")],
            ),
            _obs(
                21,
                period=_year(2021),
                source=stock_src,
                status=FINAL,
                dims=[("aportante", "INPEC (rubros propios)")],
            ),
        ],
    )
    facilities = _ind(
        f"{pid}/eron",
        IND_FACILITIES,
        REGIONAL_INDICATORS[IND_FACILITIES],
        definition="Establecimientos de Reclusión del Orden Nacional (ERON) que ofrecen visitas virtuales; "
        "según el comunicado todos cuentan con un equipo de cómputo para ello.",
        data_source="INPEC",
        observations=[
            _obs(
                132,
                period=_as_of(2022, 3, 4),
                status=FINAL,
                source=DOC_VIVIF.cite("«en los 132 Establecimientos de Reclusión del Orden Nacional-ERON-»"),
                note=_NOTE_INPEC_ONLY,
            ),
        ],
    )
    chain = [
        _node(
            f"{pid}/outcome",
            bp.RESULT_LEVEL_OUTCOME,
            "Las personas privadas de la libertad mantienen y fortalecen sus vínculos familiares y afectivos "
            "durante la reclusión, también cuando las visitas presenciales se suspenden.",
        ),
        _node(
            f"{pid}/output-visitas",
            bp.RESULT_LEVEL_OUTPUT,
            "Visitas virtuales familiares realizadas en los ERON mediante plataformas tecnológicas.",
            contributes_to=[f"{pid}/outcome"],
            indicators=[visits],
        ),
        _node(
            f"{pid}/output-equipos",
            bp.RESULT_LEVEL_OUTPUT,
            "Equipos de cómputo instalados en los ERON para las visitas virtuales.",
            contributes_to=[f"{pid}/outcome"],
            indicators=[computers, deliveries, facilities],
        ),
    ]
    record = bp.BestPracticeRecord(
        practice_id=pid,
        owner="CO-INPEC",
        title="Visitas Virtuales de Internos a Familiares – VIVIF",
        summary=(
            "Parte de la estrategia de Atención a la Familia del INPEC: las personas privadas de la libertad "
            "y sus familias se encuentran por unos minutos mediante plataformas tecnológicas. Se amplió con "
            "el cierre temporal de las visitas presenciales por la Covid-19 y se regula por la Guía de "
            "Visitas Virtuales Familiares, con enfoque diferencial."
        ),
        areas=[bp.THEMATIC_AREA_FAMILY_CONTACT, bp.THEMATIC_AREA_TECHNOLOGY],
        status=bp.PRACTICE_STATUS_SCALED_NATIONALLY,
        mandela_rules=[58, 106],
        problem_statement=(
            "El cierre temporal de las visitas presenciales por la crisis sanitaria de la Covid-19 generó "
            "incertidumbre y ansiedad en las personas privadas de la libertad y sus familias, y puso en "
            "riesgo los vínculos afectivos."
        ),
        target_population=bp.TargetPopulation(
            description="Personas privadas de la libertad en los ERON y sus familias.",
        ),
        results_chain=chain,
        partners=[
            bp.Partner(
                name="Comité Internacional de la Cruz Roja (CICR)",
                kind=bp.PARTNER_KIND_INTERNATIONAL_ORGANISATION,
                role="Aportó, con la SNCRC, 96 equipos portátiles en 2020 (convenio de cooperación "
                "internacional).",
            ),
            bp.Partner(
                name="Sociedad Nacional de la Cruz Roja Colombiana (SNCRC)",
                kind=bp.PARTNER_KIND_NGO,
                role="Aportó, con el CICR, 96 equipos portátiles en 2020.",
            ),
            bp.Partner(
                name="Unidad de Servicios Penitenciarios y Carcelarios (USPEC)",
                kind=bp.PARTNER_KIND_NATIONAL_AGENCY,
                role="Entregó 239 equipos de cómputo en 2020.",
            ),
        ],
        legal_framework=["Guía de Visitas Virtuales Familiares VIVIF PM-AS- G07"],
        facilities_covered=132,
        evaluations=[
            bp.Evaluation(
                design=bp.EVALUATION_DESIGN_MONITORING_ONLY,
                evaluator="INPEC (seguimiento institucional)",
                date=_d(2022, 3, 4),
                main_findings=(
                    "Solo se publican conteos de productos (visitas por año, equipos, establecimientos). No "
                    "se mide el resultado (vínculos familiares) ni hay grupo de comparación."
                ),
                report=DOC_VIVIF.cite(),
            )
        ],
        transferability_notes=(
            "Requiere un equipo de cómputo con conexión por establecimiento, agenda de turnos y una guía que "
            "regule la visita virtual; las cooperaciones con organismos internacionales y la entidad de "
            "servicios penitenciarios aportaron la mayor parte de los equipos."
        ),
        language="es",
    )
    return _with_sources(record)


# --------------------------------------------------------------------------------------------
# CO-INPEC: community social work for sentence redemption
# --------------------------------------------------------------------------------------------

TSC_PRINCIPLES: tuple[str, ...] = (
    "Resocialización: El programa apoya directamente la reinserción, donde a la fecha más de 1.400 privados "
    "de la libertad han tenido la oportunidad de salir a las calles y demostrar su voluntad de cambio a "
    "través del servicio a la comunidad.",
    "Mejoramiento de entornos: Al mejorar determinados sectores, el programa aborda las causas profundas "
    'del delito. Las iniciativas basadas en la "teoría de las ventanas rotas" mejoran la seguridad '
    "pública y crean un entorno más seguro para los ciudadanos.",
    "Redención de la pena: El INPEC está desafiando activamente los paradigmas obsoletos dentro del sistema "
    "penal, promoviendo un enfoque más justo y digno para el cumplimiento de las penas.",
    "Dignidad humana: A través de programas como 'Preparación para la Libertad', las PPL están mejor "
    "equipadas para una reinserción exitosa en la sociedad.",
    "Articulación interinstitucional: El éxito del programa depende del apoyo local. Este enfoque "
    "cooperativo maximiza el alcance y el impacto del programa.",
)


def _trabajo_social_comunitario() -> bp.BestPracticeRecord:
    """INPEC's community social work for sentence redemption (seed 000, §8)."""
    pid = "CO-INPEC-TSC"
    participants = _ind(
        f"{pid}/participantes",
        IND_PARTICIPANTS,
        REGIONAL_INDICATORS[IND_PARTICIPANTS],
        definition="Personas privadas de la libertad en fase de confianza que han realizado trabajo social "
        "comunitario fuera del establecimiento.",
        observations=[
            _obs(
                1400,
                period=_span(_d(2024), _d(2025, 3, 5)),
                status=FINAL,
                source=DOC_TSC.cite(
                    "principio «Resocialización»: «a la fecha más de 1.400 privados de la libertad han "
                    "tenido la oportunidad de salir a las calles»"
                ),
                value_text="más de 1.400",
                note="Acumulado desde 2024 hasta la fecha del boletín; cota inferior. " + _NOTE_INPEC_ONLY,
            ),
            _obs(
                900,
                period=_span(_d(2024), _d(2024, 12, 18)),
                status=DISPUTED,
                source=DOC_TSC_RADIO.cite("cifra de PPL en fase de confianza en trabajo comunitario"),
                value_text="más de 900",
                note="Fuente secundaria citada por la referencia (§8), no confirmada por el INPEC; "
                "probablemente otro período que la cifra de más de 1.400, por eso se conserva aparte.",
            ),
        ],
    )
    cities = _ind(
        f"{pid}/ciudades",
        "Ciudades con trabajo social comunitario de PPL",
        "ciudad",
        definition="Ciudades del país en las que el programa ha tenido impacto.",
        observations=[
            _obs(
                90,
                period=_span(_d(2024), _d(2025, 3, 5)),
                status=FINAL,
                source=DOC_TSC.cite("«a la fecha ha impactado a más de 90 ciudades de todo el país»"),
                value_text="más de 90",
                note="Cota inferior. " + _NOTE_INPEC_ONLY,
            ),
        ],
    )
    chain = [
        _node(
            f"{pid}/outcome",
            bp.RESULT_LEVEL_OUTCOME,
            "Reintegración de las personas privadas de la libertad en la sociedad mediante el servicio a la "
            "comunidad y la redención de la pena.",
        ),
        _node(
            f"{pid}/output",
            bp.RESULT_LEVEL_OUTPUT,
            "Actividades de mantenimiento, aseo, obras públicas y más realizadas por PPL clasificadas en "
            "mínima seguridad y de confianza, con apoyo de los entes territoriales.",
            contributes_to=[f"{pid}/outcome"],
            indicators=[participants, cities],
        ),
    ]
    record = bp.BestPracticeRecord(
        practice_id=pid,
        owner="CO-INPEC",
        title="Trabajo social comunitario para la redención de pena",
        summary=(
            "Desde 2024 el INPEC aplica un enfoque restaurativo a la redención de condena: personas privadas "
            "de la libertad en fase de confianza, clasificadas en mínima seguridad, realizan trabajo "
            "comunitario (mantenimiento, aseo, obras públicas y más) con el apoyo directo de los entes "
            "territoriales."
        ),
        areas=[bp.THEMATIC_AREA_COMMUNITY_SERVICE_AND_RESTORATIVE],
        status=bp.PRACTICE_STATUS_ONGOING,
        started_on=_d(2024),
        mandela_rules=[4, 88],
        problem_statement=(
            "Paradigmas obsoletos en el cumplimiento de las penas y deterioro de entornos urbanos asociado "
            "al delito; necesidad de un enfoque más justo y digno para redimir condena."
        ),
        target_population=bp.TargetPopulation(
            description="Personas privadas de la libertad en fase de confianza, clasificadas en mínima "
            "seguridad.",
        ),
        principles=list(TSC_PRINCIPLES),
        results_chain=chain,
        partners=[
            bp.Partner(
                name="Entes territoriales (municipios)",
                kind=bp.PARTNER_KIND_LOCAL_GOVERNMENT,
                role="Apoyo local y articulación interinstitucional para las actividades comunitarias.",
            ),
        ],
        legal_framework=[
            "Ley 65 de 1993 (Código Penitenciario y Carcelario)",
            "Documento CONPES 4089 de 2022 (justicia restaurativa)",
        ],
        localities_covered=90,
        evaluations=[
            bp.Evaluation(
                design=bp.EVALUATION_DESIGN_MONITORING_ONLY,
                evaluator="INPEC (seguimiento institucional)",
                date=_d(2025, 3, 5),
                main_findings=(
                    "Solo se publican conteos acumulados de participantes y ciudades; no hay medición de "
                    "reincidencia ni grupo de comparación."
                ),
                report=DOC_TSC.cite(),
            )
        ],
        transferability_notes=(
            "Depende de la clasificación progresiva (fase de confianza, mínima seguridad) y de convenios con "
            "los gobiernos locales que definan las obras y la custodia."
        ),
        language="es",
    )
    return _with_sources(record)


# --------------------------------------------------------------------------------------------
# PE-INPE: CREO budget programme
# --------------------------------------------------------------------------------------------

CREO_OUTCOME = (
    "Mejorar la inserción social positiva de la población penitenciaria primaria entre de 18 -34 años "
    "intervenida."
)
CREO_IMPACT = "Incremento de la Seguridad Ciudadana"
CREO_TARGET_POPULATION = (
    "Población primaria con edades entre 18 y 34 años, por delitos contra el patrimonio, tráfico ilícito de "
    "drogas sólo en modalidad de micro comercialización, contra la libertad sexual, y contra la vida el "
    "cuerpo y la salud."
)
# Products (DESCRIPCIÓN DE LOS PRODUCTOS DEL PP) and their activities (LÓGICA DE INTERVENCIÓN), verbatim.
CREO_PRODUCTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Población penitenciaria primaria intervenida de 18 -29 años, organizada en regímenes de vida "
        "favorables a la rehabilitación social.",
        (
            "Aplicación del régimen de vida, segmentación y reordenamiento de internos.",
            "Control de ingreso de visitas y objetos prohibidos.",
        ),
    ),
    (
        "Población penitenciaria primaria intervenida de 18 - 29 años, libres de consumo de drogas.",
        (
            "Intervención para pope por conductas de consumo de drogas.",
            "Prevención de consumo de drogas.",
        ),
    ),
    (
        "Población penitenciaria primaria intervenida de 18 - 29 años, con capacidades personales y sociales "
        "logradas.",
        (
            "Intervención para mejorar las capacidades prosociales, y de control y manejo adaptado del "
            "comportamiento sexual en población penitenciaria por agresión sexual.",
            "Intervención para mejorar las capacidades prosociales y de convivencia pacífica en población "
            "penitenciaria joven.",
            "Intervención para mejorar las capacidades prosociales y de control y manejo adaptado de "
            "emociones en población penitenciaria por conductas violentas.",
            "Educación básica alternativa intensiva para mejorar las competencias básicas necesarias para la "
            "vida.",
        ),
    ),
    (
        "Población penitenciaria primaria de 18 - 29 años, con capacidades ocupacionales.",
        ("Desarrollo de actividades para internos con capacidad ocupacional.",),
    ),
    (
        "Población penitenciaria primaria intervenida de 18 -34 años, egresada con beneficios penitenciarios "
        "y bajo tutela del INPE, con acompañamiento y monitoreo en su reinserción en la comunidad.",
        (
            "Intervención para fortalecer las capacidades prosociales en población penitenciaria egresada de "
            "establecimientos penitenciarios con beneficios penitenciarios.",
            "Acercamiento con redes sociales próximas a la población Penitenciaria excarcelada.",
            "Promoción y constitución de microempresas o persona con negocio.",
            "Monitoreo permanente del comportamiento de liberados con Beneficios penitenciarios.",
        ),
    ),
)
CREO_UNIT = "Persona"
CREO_META_P4 = (
    "La meta física programada es 1,210 personas con capacidades ocupacionales entre los departamentos de "
    "Lima, Piura, Huancayo, Arequipa y Pucallpa."
)
CREO_META_P5 = (
    "La meta física programada es 50 personas egresadas con beneficios penitenciarios y bajo tutela del "
    "INPE, con acompañamiento y monitoreo en su reinserción en la comunidad."
)
CREO_PCT_P4 = (
    "% de Población penitenciaria intervenida, con constancia de aprobación teórico práctica de capacitación "
    "ocupacional."
)
CREO_PCT_P5 = (
    "% de Población penitenciaria intervenida, egresada con beneficios penitenciarios y bajo tutela del INPE "
    "beneficiada con las actividades del Medio Libre."
)
_NOTE_PCT_PAIRING = (
    "El cuadro de indicadores del documento no alinea filas y columnas; se asigna el indicador al producto "
    "por su contenido. El documento no da línea de base ni meta."
)


def _creo_product_indicators(pid: str, number: int) -> list[bp.Indicator]:
    """Indicators of CREO product ``number`` with units and metas físicas as the document gives them."""
    base = f"{pid}/p{number}"
    no_target = (
        "Unidad de medida del producto: Persona. El documento no consigna meta física para este producto."
    )
    if number == 4:
        return [
            _ind(
                f"{base}/meta",
                "N° personas, con capacidades ocupacionales",
                CREO_UNIT,
                definition="La programación de la meta física del producto es medir el N° personas, con "
                "capacidades ocupacionales",
                dimension_names=["ámbito"],
                observations=[
                    _obs(
                        1210,
                        period=None,
                        kind=TARGET,
                        status=DISPUTED,
                        value_text=CREO_META_P4,
                        source=DOC_CREO.cite(
                            "Modelo operativo, Producto 4, Sección II: Criterios de programación, 2. Meta "
                            "física"
                        ),
                        dims=[("ámbito", "Lima, Piura, Huancayo, Arequipa y Pucallpa")],
                        note="Meta física programada, no un logro. " + _NOTE_CREO_DOC,
                    ),
                ],
            ),
            _ind(
                f"{base}/pct",
                CREO_PCT_P4,
                "%",
                measure=bp.INDICATOR_MEASURE_PERCENTAGE,
                definition=_NOTE_PCT_PAIRING,
            ),
        ]
    if number == 5:
        return [
            _ind(
                f"{base}/meta",
                "N° personas egresadas con beneficios penitenciarios y bajo tutela del INPE, con "
                "acompañamiento y monitoreo en su reinserción en la comunidad",
                CREO_UNIT,
                definition="Meta física del producto a cargo de la Dirección de Medio Libre.",
                observations=[
                    _obs(
                        50,
                        period=None,
                        kind=TARGET,
                        status=DISPUTED,
                        value_text=CREO_META_P5,
                        source=DOC_CREO.cite(
                            "Modelo operativo, Producto 5, Sección II: Criterios de programación, 2. Meta "
                            "física (criterios)"
                        ),
                        note="Meta física programada, no un logro. " + _NOTE_CREO_DOC,
                    ),
                ],
            ),
            _ind(
                f"{base}/pct",
                CREO_PCT_P5,
                "%",
                measure=bp.INDICATOR_MEASURE_PERCENTAGE,
                definition=_NOTE_PCT_PAIRING,
            ),
        ]
    return [_ind(f"{base}/unidad", "Personas atendidas por el producto", CREO_UNIT, definition=no_target)]


def _creo() -> bp.BestPracticeRecord:
    """INPE's CREO budget programme (seed 002) with the pilot and model facts from §8."""
    pid = "PE-INPE-CREO"
    outcome_id, impact_id = f"{pid}/re", f"{pid}/rf"
    chain = [_node(impact_id, bp.RESULT_LEVEL_IMPACT, CREO_IMPACT)]
    outcome_indicators = [
        _ind(
            f"{pid}/primaria",
            "Población penitenciaria primaria",
            "%",
            measure=bp.INDICATOR_MEASURE_PERCENTAGE,
            definition="Porcentaje de la población penitenciaria de primer ingreso al sistema penitenciario.",
            observations=[
                _obs(
                    70,
                    period=None,
                    kind=BASELINE,
                    status=DISPUTED,
                    source=DOC_CREO.cite("Conclusiones: «El 70% de la población penitenciaria es primaria»"),
                    note=_NOTE_CREO_DOC,
                ),
            ],
        ),
        _ind(
            f"{pid}/edad-18-34",
            "Población penitenciaria entre 18 y 34 años de edad",
            "%",
            measure=bp.INDICATOR_MEASURE_PERCENTAGE,
            observations=[
                _obs(
                    52,
                    period=None,
                    kind=BASELINE,
                    status=DISPUTED,
                    source=DOC_CREO.cite(
                        "Conclusiones: «El 52% de la población penitenciaria corresponde a población "
                        "penitenciaria entre 18 y 34 años de edad»"
                    ),
                    note=_NOTE_CREO_DOC,
                ),
            ],
        ),
        _ind(
            f"{pid}/participantes",
            IND_PARTICIPANTS,
            REGIONAL_INDICATORS[IND_PARTICIPANTS],
            definition="Internos primarios atendidos por CREO.",
            dimension_names=["grupo de edad"],
            observations=[
                _obs(
                    130,
                    period=_year(2010),
                    status=DISPUTED,
                    source=DOC_CREO_PILOT.cite("piloto en el pabellón 16 del E.P. Lurigancho"),
                    dims=[("grupo de edad", "18-26")],
                    note="Piloto de 2010 con internos de primer ingreso de 18 a 26 años: conflicto con el "
                    "rango 18-34 de la población objetivo del programa presupuestal. Fuente secundaria "
                    "citada por la referencia (§8).",
                ),
            ],
        ),
        _ind(
            f"{pid}/potencial-lurigancho",
            "Internos de 18 a 24 años en el E.P. Lurigancho",
            "persona",
            definition="Población potencial para ampliar el programa según la estadística del INPE.",
            observations=[
                _obs(
                    1517,
                    period=_as_of(2012, 8),
                    status=FINAL,
                    source=DOC_INPE_STATS_2012.cite("p. 18"),
                    note="Cifra institucional del INPE tal como la cita la referencia del proyecto (§8); no "
                    "contrastada aquí con el original.",
                ),
            ],
        ),
        _ind(
            f"{pid}/establecimientos",
            IND_FACILITIES,
            REGIONAL_INDICATORS[IND_FACILITIES],
            definition="Establecimientos penitenciarios con la intervención CREO intramuros.",
            observations=[
                _obs(
                    5,
                    period=None,
                    status=DISPUTED,
                    source=DOC_CREO_MODEL.cite("modelo de reinserción"),
                    dims=[("modalidad", "intramuros (CREO)")],
                    note="Fuente secundaria sin fecha citada por la referencia (§8).",
                ),
            ],
        ),
    ]
    chain.append(
        _node(
            outcome_id,
            bp.RESULT_LEVEL_OUTCOME,
            CREO_OUTCOME,
            contributes_to=[impact_id],
            indicators=outcome_indicators,
        )
    )
    for number, (statement, activities) in enumerate(CREO_PRODUCTS, start=1):
        product_id = f"{pid}/p{number}"
        indicators = _creo_product_indicators(pid, number)
        if number == 5:
            indicators.append(
                _ind(
                    f"{pid}/focos",
                    "Establecimientos de medio libre con FOCOS (extramuros)",
                    "establecimiento",
                    observations=[
                        _obs(
                            6,
                            period=None,
                            status=DISPUTED,
                            source=DOC_CREO_MODEL.cite("modelo de reinserción"),
                            note="Fuente secundaria sin fecha citada por la referencia (§8).",
                        ),
                    ],
                )
            )
        chain.append(
            _node(
                product_id,
                bp.RESULT_LEVEL_OUTPUT,
                statement,
                contributes_to=[outcome_id],
                indicators=indicators,
            )
        )
        chain.extend(
            _node(f"{product_id}/a{k}", bp.RESULT_LEVEL_ACTIVITY, activity, contributes_to=[product_id])
            for k, activity in enumerate(activities, start=1)
        )
    record = bp.BestPracticeRecord(
        practice_id=pid,
        owner="PE-INPE",
        title="Inserción social positiva de la población penitenciaria: construyendo rutas de esperanza y "
        "oportunidad – CREO",
        summary=(
            "Programa presupuestal cuya entidad rectora es el INPE y cuyo responsable técnico es la "
            "Dirección de Tratamiento Penitenciario (el Producto 5 está a cargo de la Dirección de Medio "
            "Libre); ámbito de influencia: Gobierno Nacional y Regional. Cinco productos: régimen de vida, "
            "pabellón libre de drogas, capacidades personales y sociales, capacidades ocupacionales y "
            "acompañamiento al egresado. Conflicto de edades: la población objetivo es de 18 a 34 años, pero "
            "el piloto de 2010 atendió a internos de 18 a 26 años y el propio documento usa también 18-29, "
            "18-30, 18-35 y 18-39. El número de programa presupuestal y el estado actual no están "
            "confirmados."
        ),
        areas=[
            bp.THEMATIC_AREA_SECURITY_AND_CONTROL,
            bp.THEMATIC_AREA_PSYCHOSOCIAL_TREATMENT,
            bp.THEMATIC_AREA_EDUCATION,
            bp.THEMATIC_AREA_WORK_AND_VOCATIONAL_TRAINING,
            bp.THEMATIC_AREA_POST_RELEASE_REINTEGRATION,
        ],
        status=bp.PRACTICE_STATUS_UNSPECIFIED,
        started_on=_d(2010),
        mandela_rules=[4, 91, 92, 96, 104, 107, 108],
        problem_statement="Déficit en la inserción social positiva de la población penitenciaria primaria.",
        target_population=bp.TargetPopulation(
            description=CREO_TARGET_POPULATION,
            age_min=18,
            age_max=34,
            first_time_offenders_only=True,
        ),
        results_chain=chain,
        partners=[
            bp.Partner(
                name="Gobiernos regionales",
                kind=bp.PARTNER_KIND_LOCAL_GOVERNMENT,
                role="Coejecutan productos 4 y 5 y la educación básica alternativa (articulación GR).",
            ),
            bp.Partner(
                name="Empresas privadas",
                kind=bp.PARTNER_KIND_PRIVATE_COMPANY,
                role="Talleres productivos y concesión de talleres a empresarios privados.",
            ),
            bp.Partner(
                name="Organizaciones sin fines de lucro",
                kind=bp.PARTNER_KIND_NGO,
                role="Apoyo al desarrollo de capacidades técnico ocupacionales.",
            ),
        ],
        localities_covered=5,
        evaluations=[
            bp.Evaluation(
                design=bp.EVALUATION_DESIGN_PROCESS,
                main_findings=(
                    "Modelo de reinserción con CREO intramuros en 5 establecimientos y FOCOS extramuros en "
                    "6; cuatro componentes: habilidades sociales y cognitivas; relaciones familiares; "
                    "prácticas saludables y normas de convivencia; capacidades laborales. Alianzas con "
                    "gobiernos regionales y locales, servicios nacionales y empresas."
                ),
                report=DOC_CREO_MODEL.cite(),
            )
        ],
        transferability_notes=(
            "Requiere pabellones separados para población primaria joven, programas estructurados de "
            "intervención, talleres con participación privada y seguimiento del egresado por el medio libre. "
            "Antes de comparar, fijar el rango de edad (18-34 frente al 18-26 del piloto)."
        ),
        language="es",
    )
    return _with_sources(record)


# --------------------------------------------------------------------------------------------
# PE-INPE: Cárceles Productivas
# --------------------------------------------------------------------------------------------


def _carceles_productivas() -> bp.BestPracticeRecord:
    """INPE's Cárceles Productivas (seed 003) with the conflicting Andina figures from §8."""
    pid = "PE-INPE-CARCELES-PRODUCTIVAS"
    seed_quote = DOC_CP_ANDINA_2024.cite(
        "«actualmente, 27 mil internos trabajan en penales a nivel nacional y 15 mil estudian»"
    )
    recid_quote = DOC_CP_ANDINA_2024.cite(
        "«La reincidencia general es de 25% en los internos sin actividad dentro de un penal, sin embargo, "
        "en los casos de los internos que trabajan es de 7% y en los que estudian es 6%»"
    )
    other = DOC_CP_ANDINA_960120.cite
    conflict = (
        "Conflicto entre fuentes (27 mil / 7 % / 6 % frente a ~25 mil / 9 % / 7 %): se conservan ambas "
        "cifras, DISPUTED hasta que el INPE las confirme."
    )
    as_of_2024 = _as_of(2024, 4, 26)
    population_note = (
        f"Población de referencia: {PE_POPULATION:,} internos (cifra de gestion.pe, sin fecha, citada "
        "en la misma nota); es una cifra nacional, no la población del programa."
    ).replace(",", ".")
    working = _ind(
        f"{pid}/trabajan",
        IND_PARTICIPANTS,
        REGIONAL_INDICATORS[IND_PARTICIPANTS],
        definition="Internos que trabajan en establecimientos penitenciarios a nivel nacional.",
        observations=[
            _obs(
                27000,
                period=as_of_2024,
                status=DISPUTED,
                source=seed_quote,
                value_text="27 mil",
                note=f"{conflict} {population_note}",
                population=PE_POPULATION,
            ),
            _obs(
                25000,
                period=None,
                status=DISPUTED,
                source=other("declaraciones del presidente del INPE"),
                value_text="~25 mil",
                note=f"{conflict} {population_note}",
                population=PE_POPULATION,
            ),
        ],
    )
    studying = _ind(
        f"{pid}/estudian",
        "Internos que estudian",
        "persona",
        definition="Internos que estudian en establecimientos penitenciarios a nivel nacional.",
        observations=[
            _obs(
                15000,
                period=as_of_2024,
                status=DISPUTED,
                source=seed_quote,
                value_text="15 mil",
                note="Coincide con la otra fuente, pero pertenece a un conjunto de cifras en conflicto. "
                + conflict,
            ),
            _obs(
                15000,
                period=None,
                status=DISPUTED,
                source=other("declaraciones del presidente del INPE"),
                value_text="15 mil",
                note=conflict,
            ),
        ],
    )

    def recidivism(
        key: str, name: str, seed_value: float, other_value: float, other_note: str
    ) -> bp.Indicator:
        return _ind(
            f"{pid}/{key}",
            name,
            "%",
            measure=bp.INDICATOR_MEASURE_PERCENTAGE,
            ascending=False,
            definition="Porcentaje de reincidencia declarado; comparación descriptiva, sin control de "
            "selección.",
            observations=[
                _obs(seed_value, period=as_of_2024, status=DISPUTED, source=recid_quote, note=conflict),
                _obs(
                    other_value,
                    period=None,
                    status=DISPUTED,
                    source=other("reincidencia declarada"),
                    note=f"{other_note} {conflict}",
                ),
            ],
        )

    outcome_indicators = [
        recidivism(
            "reincidencia-trabajan",
            "Reincidencia de internos que trabajan",
            7,
            9,
            "La fuente la refiere a los participantes del programa.",
        ),
        recidivism(
            "reincidencia-estudian",
            "Reincidencia de internos que estudian",
            6,
            7,
            "La fuente la refiere a quienes culminan la educación básica.",
        ),
        recidivism(
            "reincidencia-sin-actividad",
            "Reincidencia general de internos sin actividad",
            25,
            25,
            "Coincide con la otra fuente (25 %).",
        ),
        _ind(
            f"{pid}/reingresos",
            "Población penitenciaria con dos o más ingresos",
            "%",
            measure=bp.INDICATOR_MEASURE_PERCENTAGE,
            ascending=False,
            observations=[
                _obs(
                    25,
                    period=None,
                    kind=BASELINE,
                    status=DISPUTED,
                    source=DOC_CP_GESTION.cite("de 94.000 internos, 25 % con dos o más ingresos"),
                    value_text="25 % de 94.000 internos",
                    note="Fuente secundaria sin fecha citada por la referencia (§8).",
                ),
            ],
        ),
    ]
    outcome_id = f"{pid}/outcome"
    chain = [
        _node(
            outcome_id,
            bp.RESULT_LEVEL_OUTCOME,
            "Menor reincidencia del delito mediante la resocialización de los internos a través del empleo y "
            "el emprendimiento.",
            indicators=outcome_indicators,
        ),
        _node(
            f"{pid}/output-participacion",
            bp.RESULT_LEVEL_OUTPUT,
            "Internos que trabajan o estudian en los establecimientos penitenciarios del país.",
            contributes_to=[outcome_id],
            indicators=[working, studying],
        ),
        _node(
            f"{pid}/output-talleres",
            bp.RESULT_LEVEL_OUTPUT,
            "Talleres productivos implementados en los penales con participación de empresas del sector "
            "privado (DL N° 1343).",
            contributes_to=[outcome_id],
        ),
        _node(
            f"{pid}/output-produce",
            bp.RESULT_LEVEL_OUTPUT,
            "Asistencia técnica de Produce a la población penitenciaria y al personal del INPE en "
            "formalización, digitalización, gestión empresarial de MYPE, acceso al financiamiento, gestión "
            "productiva y ferias presenciales o virtuales.",
            contributes_to=[outcome_id],
        ),
        _node(
            f"{pid}/output-mincetur",
            bp.RESULT_LEVEL_OUTPUT,
            "Certificación de competencias en artesanía y participación de los artesanos privados de "
            "libertad en el Registro Nacional de Artesanos y en las acciones de Mincetur.",
            contributes_to=[outcome_id],
        ),
    ]
    record = bp.BestPracticeRecord(
        practice_id=pid,
        owner="PE-INPE",
        title="Cárceles Productivas",
        summary=(
            "Política promovida por el gobierno, a través del INPE, con marco legal en el DL N° 1343, para "
            "la promoción e implementación de talleres productivos que faciliten la participación de las "
            "empresas del sector privado en los penales del país. En abril de 2024 el Ministerio de "
            "Justicia, el INPE, Produce y Mincetur firmaron un convenio interinstitucional de tres años para "
            "la resocialización a través del empleo y el emprendimiento."
        ),
        areas=[bp.THEMATIC_AREA_WORK_AND_VOCATIONAL_TRAINING, bp.THEMATIC_AREA_PRIVATE_SECTOR_PARTNERSHIP],
        status=bp.PRACTICE_STATUS_ONGOING,
        mandela_rules=[96, 97, 98, 99, 100, 101, 102, 103],
        problem_statement=(
            "Factores de riesgo del delito como no tener estudios o empleo; estigmatización de los internos, "
            "de cuya capacidad de reinserción se duda; mercado limitado para vender lo que producen."
        ),
        target_population=bp.TargetPopulation(
            description=(
                "Población penitenciaria que trabaja o estudia en los establecimientos penitenciarios del "
                "país, incluidos los artesanos privados de libertad."
            ),
        ),
        results_chain=chain,
        partners=[
            bp.Partner(
                name="Ministerio de Justicia y Derechos Humanos",
                kind=bp.PARTNER_KIND_NATIONAL_AGENCY,
                role="Firmante del convenio; articula a las instituciones del Estado.",
            ),
            bp.Partner(
                name="Ministerio de la Producción (Produce)",
                kind=bp.PARTNER_KIND_NATIONAL_AGENCY,
                role="Capacitación y asistencia técnica para emprendimientos y MYPE.",
            ),
            bp.Partner(
                name="Ministerio de Comercio Exterior y Turismo (Mincetur)",
                kind=bp.PARTNER_KIND_NATIONAL_AGENCY,
                role="Certificación de competencias en artesanía y Registro Nacional de Artesanos.",
            ),
            bp.Partner(
                name="Empresas del sector privado",
                kind=bp.PARTNER_KIND_PRIVATE_COMPANY,
                role="Talleres productivos en los penales.",
            ),
        ],
        legal_framework=[
            "DL N° 1343",
            "Código de Ejecución Penal, art. 65 (el trabajo como derecho y deber)",
            "Convenio interinstitucional Ministerio de Justicia – INPE – Produce – Mincetur (2024, tres "
            "años, renovable por adenda)",
        ],
        evaluations=[
            bp.Evaluation(
                design=bp.EVALUATION_DESIGN_MONITORING_ONLY,
                evaluator="INPE (cifras declaradas)",
                date=_d(2024, 4, 26),
                main_findings=(
                    "Comparaciones descriptivas de reincidencia entre internos que trabajan o estudian y los "
                    "que no tienen actividad. Hay sesgo de selección: quienes acceden a trabajo o estudio no "
                    "son comparables con el resto, por lo que la diferencia no puede atribuirse al programa. "
                    "No se publica grupo de comparación ni método de cálculo."
                ),
                report=DOC_CP_ANDINA_2024.cite(),
            )
        ],
        transferability_notes=(
            "Requiere un marco legal para la participación privada en talleres penitenciarios y convenios "
            "con los sectores de producción y comercio; las cifras de reincidencia no sirven como prueba de "
            "impacto sin un diseño que controle la selección."
        ),
        language="es",
    )
    return _with_sources(record)


# --------------------------------------------------------------------------------------------
# Labelled samples for the members with no grounded programme
# --------------------------------------------------------------------------------------------

PE_POPULATION = 94_000
"""Peru's prison population in the figure gestion.pe gives (domain reference §8)."""

SAMPLE_NOTE = (
    "MUESTRA: cifra ilustrativa para la comparación regional, no publicada por la institución; "
    "reemplazar por la cifra oficial con su fuente."
)


@dataclass(frozen=True)
class _Sample:
    """One member's sample programme: what it is and figures of a realistic order."""

    slug: str
    title: str
    summary: str
    area: bp.ThematicArea.ValueType
    participants: int
    facilities: int
    population: int  # persons deprived of liberty the figures refer to (illustrative)


_SAMPLES: dict[str, _Sample] = {
    "GT-DGSP": _Sample(
        "FORMACION-LABORAL",
        "Talleres de formación laboral en centros de detención",
        "Talleres de carpintería, panadería y confección con certificación técnica, en convenio con el "
        "instituto técnico de capacitación, para personas privadas de libertad condenadas.",
        bp.THEMATIC_AREA_WORK_AND_VOCATIONAL_TRAINING,
        participants=2_100,
        facilities=14,
        population=25_000,
    ),
    "EC-SNAI": _Sample(
        "EDUCACION-BACHILLERATO",
        "Educación básica y bachillerato en centros de privación de libertad",
        "Oferta educativa formal (alfabetización, básica y bachillerato) en los centros de privación de "
        "libertad, con el ministerio de educación.",
        bp.THEMATIC_AREA_EDUCATION,
        participants=4_800,
        facilities=30,
        population=31_000,
    ),
    "UY-INR": _Sample(
        "TRABAJO-Y-ESTUDIO",
        "Plan de trabajo y estudio para la redención de pena",
        "Plazas de trabajo y cursos en las unidades de internación, con redención de pena por trabajo "
        "y estudio y acompañamiento al egreso.",
        bp.THEMATIC_AREA_WORK_AND_VOCATIONAL_TRAINING,
        participants=3_900,
        facilities=26,
        population=16_000,
    ),
    "DO-DGSPC": _Sample(
        "CCR-REEDUCACION",
        "Programas de reeducación en los Centros de Corrección y Rehabilitación",
        "Educación, formación técnica y trabajo productivo en los Centros de Corrección y "
        "Rehabilitación del modelo de gestión penitenciaria.",
        bp.THEMATIC_AREA_EDUCATION,
        participants=6_500,
        facilities=22,
        population=26_000,
    ),
    "MX-OADPRS": _Sample(
        "CAPACITACION-TRABAJO",
        "Capacitación para el trabajo en centros federales de readaptación social",
        "Cursos de capacitación para el trabajo con constancia oficial en los centros federales, como "
        "eje de la reinserción social (art. 18 constitucional).",
        bp.THEMATIC_AREA_WORK_AND_VOCATIONAL_TRAINING,
        participants=3_200,
        facilities=14,
        population=18_000,
    ),
}


def _sample_programme(member_id: str, sample: _Sample) -> bp.BestPracticeRecord:
    pid = f"{member_id}-MUESTRA-{sample.slug}"
    source = common_pb2.SourceCitation(
        title=f"Registro de muestra: {sample.title}",
        publisher="pxhub (muestra ilustrativa)",
        published=_d(2025),
        locator="cifras ilustrativas, no oficiales",
    )
    year = _year(2024)
    output_id = f"{pid}/output"
    chain = [
        _node(
            f"{pid}/outcome",
            bp.RESULT_LEVEL_OUTCOME,
            "Mejor reinserción social de las personas privadas de libertad que participan.",
        ),
        _node(
            output_id,
            bp.RESULT_LEVEL_OUTPUT,
            f"Personas privadas de libertad atendidas por el programa ({sample.title.lower()}).",
            contributes_to=[f"{pid}/outcome"],
            indicators=[
                _ind(
                    f"{pid}/participantes",
                    IND_PARTICIPANTS,
                    REGIONAL_INDICATORS[IND_PARTICIPANTS],
                    definition="Personas privadas de libertad que participaron en el año.",
                    observations=[
                        _obs(
                            sample.participants,
                            period=year,
                            status=bp.OBSERVATION_STATUS_PROVISIONAL,
                            source=source,
                            note=SAMPLE_NOTE,
                            population=sample.population,
                        )
                    ],
                ),
                _ind(
                    f"{pid}/establecimientos",
                    IND_FACILITIES,
                    REGIONAL_INDICATORS[IND_FACILITIES],
                    definition="Establecimientos en los que funcionó el programa al cierre del año.",
                    observations=[
                        _obs(
                            sample.facilities,
                            period=_as_of(2024, 12, 31),
                            status=bp.OBSERVATION_STATUS_PROVISIONAL,
                            source=source,
                            note=SAMPLE_NOTE,
                        )
                    ],
                ),
            ],
        ),
    ]
    record = bp.BestPracticeRecord(
        practice_id=pid,
        owner=member_id,
        title=f"[Muestra] {sample.title}",
        summary=f"{sample.summary} REGISTRO DE MUESTRA: las cifras son ilustrativas, no oficiales.",
        areas=[sample.area],
        status=bp.PRACTICE_STATUS_ONGOING,
        target_population=bp.TargetPopulation(
            description="Personas privadas de libertad (cifras de muestra).",
            potential_population=sample.population,
            attended_population=sample.participants,
        ),
        results_chain=chain,
        facilities_covered=sample.facilities,
        transferability_notes=(
            "Registro de muestra: sirve para mostrar la comparación regional, no como evidencia."
        ),
        language="es",
        sample=True,
    )
    return _with_sources(record)


def sample_programmes_for(member_id: str) -> list[bp.BestPracticeRecord]:
    """The labelled sample programme of a member with no grounded one (empty for CO-INPEC and PE-INPE).

    Raises ``ValueError`` for an id that is not one of the seven members.
    """
    if member_id not in MEMBER_IDS:
        raise ValueError(f"unknown member id {member_id!r}; expected one of {', '.join(MEMBER_IDS)}")
    sample = _SAMPLES.get(member_id)
    return [] if sample is None else [_sample_programme(member_id, sample)]


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def programme_records() -> list[bp.BestPracticeRecord]:
    """All grounded programme records, freshly built, in a fixed order."""
    return [_vivif(), _trabajo_social_comunitario(), _creo(), _carceles_productivas()]


def records_for(member_id: str) -> list[bp.BestPracticeRecord]:
    """The programme records owned by ``member_id`` (empty for members with no grounded programme).

    Raises ``ValueError`` for an id that is not one of the seven members.
    """
    if member_id not in MEMBER_IDS:
        raise ValueError(f"unknown member id {member_id!r}; expected one of {', '.join(MEMBER_IDS)}")
    return [r for r in programme_records() if r.owner == member_id]

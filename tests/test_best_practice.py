"""Published programme records: figures, sources, statuses, results chains and round trips."""

from __future__ import annotations

import re

import pytest
from google.protobuf import text_format

from adapters.best_practice import (
    IND_FACILITIES,
    IND_PARTICIPANTS,
    compare_indicators,
    format_citation,
    newest_programmes,
    period_label,
)
from adapters.samples.programmes import PE_POPULATION, programme_records, records_for, sample_programmes_for
from hub.dev.federation import default_member_ids
from pxhub.v1 import best_practice_pb2 as bp
from pxhub.v1 import common_pb2, record_pb2

FINAL = bp.OBSERVATION_STATUS_FINAL
DISPUTED = bp.OBSERVATION_STATUS_DISPUTED


def _record(practice_id: str) -> bp.BestPracticeRecord:
    matches = [r for r in programme_records() if r.practice_id == practice_id]
    assert len(matches) == 1, practice_id
    return matches[0]


def _indicators(record: bp.BestPracticeRecord) -> list[bp.Indicator]:
    return [ind for node in record.results_chain for ind in node.indicators]


def _indicator(record: bp.BestPracticeRecord, suffix: str) -> bp.Indicator:
    matches = [i for i in _indicators(record) if i.indicator_id == f"{record.practice_id}/{suffix}"]
    assert len(matches) == 1, suffix
    return matches[0]


def _observations(record: bp.BestPracticeRecord) -> list[tuple[bp.Indicator, bp.Observation]]:
    return [(ind, obs) for ind in _indicators(record) for obs in ind.observations]


def _date(d: common_pb2.PartialDate) -> tuple[int, int, int]:
    return (d.year, d.month, d.day)


# ---------------------------------------------------------------------------------------------
# Whole set
# ---------------------------------------------------------------------------------------------


def test_programme_set_and_owners() -> None:
    ids = [r.practice_id for r in programme_records()]
    assert ids == [
        "CO-INPEC-VIVIF",
        "CO-INPEC-TSC",
        "PE-INPE-CREO",
        "PE-INPE-CARCELES-PRODUCTIVAS",
    ]
    assert {r.owner for r in programme_records()} == {"CO-INPEC", "PE-INPE"}
    for r in programme_records():
        assert r.language == "es"
        assert r.title and r.summary and r.results_chain and r.areas


def test_records_for_members() -> None:
    assert [r.practice_id for r in records_for("CO-INPEC")] == ["CO-INPEC-VIVIF", "CO-INPEC-TSC"]
    assert [r.practice_id for r in records_for("PE-INPE")] == ["PE-INPE-CREO", "PE-INPE-CARCELES-PRODUCTIVAS"]
    # No grounded programme for the other members: only a labelled sample stands in.
    for member in ("GT-DGSP", "EC-SNAI", "UY-INR", "DO-DGSPC", "MX-OADPRS"):
        assert member in default_member_ids()
        assert records_for(member) == []
        assert [r.sample for r in sample_programmes_for(member)] == [True]
    with pytest.raises(ValueError, match="unknown member id"):
        records_for("XX-NOPE")


def test_every_observation_has_its_own_source_and_status() -> None:
    for record in programme_records():
        documents = {(s.title, s.publisher) for s in record.sources}
        for ind, obs in _observations(record):
            src = obs.source
            assert obs.HasField("source"), ind.indicator_id
            assert src.title and src.publisher and src.locator, ind.indicator_id
            assert (src.title, src.publisher) in documents, ind.indicator_id
            # No seed or reference document gives a full URL: none may be made up.
            assert src.url == ""
            assert obs.status in (FINAL, DISPUTED)
            assert obs.kind != bp.OBSERVATION_KIND_UNSPECIFIED
            assert ind.unit_of_measure, ind.indicator_id
        for evaluation in record.evaluations:
            assert evaluation.report.title and evaluation.report.publisher


def test_results_chain_links_resolve() -> None:
    for record in programme_records():
        ids = [n.node_id for n in record.results_chain]
        assert len(ids) == len(set(ids))
        levels = {n.node_id: n.level for n in record.results_chain}
        for node in record.results_chain:
            assert node.level != bp.RESULT_LEVEL_UNSPECIFIED
            assert node.statement
            for parent in node.contributes_to:
                assert parent in levels, (node.node_id, parent)
                assert levels[parent] < node.level  # contributes to a higher level


def test_round_trip_and_determinism() -> None:
    first = programme_records()
    second = programme_records()
    for a, b in zip(first, second, strict=True):
        assert a.SerializeToString(deterministic=True) == b.SerializeToString(deterministic=True)
        wire = record_pb2.Record(best_practice=a).SerializeToString()
        parsed = record_pb2.Record.FromString(wire)
        assert parsed.WhichOneof("kind") == "best_practice"
        assert parsed.best_practice == a
    # Fresh messages: mutating one result does not leak into the next call.
    first[0].title = "x"
    assert programme_records()[0].title != "x"


# ---------------------------------------------------------------------------------------------
# INPEC VIVIF
# ---------------------------------------------------------------------------------------------


def test_vivif_visits_per_year() -> None:
    vivif = _record("CO-INPEC-VIVIF")
    visits = _indicator(vivif, "visitas")
    assert visits.unit_of_measure == "visita"
    assert visits.ascending is True
    got = {o.period.start.year: (o.value, o.status) for o in visits.observations}
    assert got == {2019: (3017, FINAL), 2020: (80019, FINAL), 2021: (102564, FINAL)}
    for o in visits.observations:
        assert o.kind == bp.OBSERVATION_KIND_ACTUAL
        assert o.source.title.startswith("El INPEC continúa acercando familias")
        assert "INPEC" in o.source.publisher
        assert _date(o.source.published) == (2022, 3, 4)
        assert period_label(o.period) == str(o.period.start.year)


def test_vivif_equipment_and_prisons() -> None:
    vivif = _record("CO-INPEC-VIVIF")
    (stock,) = _indicator(vivif, "equipos").observations
    assert (stock.value, stock.status) == (498, FINAL)
    assert "389" in stock.note  # the published deliveries do not add up to 498
    deliveries = _indicator(vivif, "equipos-entregados")
    got = sorted((o.period.start.year, int(o.value), o.dimensions[0].value) for o in deliveries.observations)
    assert got == [
        (2020, 33, "INPEC (rubros propios)"),
        (2020, 96, "CICR y SNCRC (convenio de cooperación internacional)"),
        (2020, 239, "USPEC"),
        (2021, 21, "INPEC (rubros propios)"),
    ]
    prisons = _indicator(vivif, "eron")
    assert prisons.name == IND_FACILITIES
    assert [(o.value, o.status) for o in prisons.observations] == [(132, FINAL)]
    assert vivif.facilities_covered == 132
    levels = [n.level for n in vivif.results_chain]
    assert levels.count(bp.RESULT_LEVEL_OUTCOME) == 1
    assert levels.count(bp.RESULT_LEVEL_OUTPUT) == 2
    assert 58 in vivif.mandela_rules
    assert {p.kind for p in vivif.partners} >= {
        bp.PARTNER_KIND_INTERNATIONAL_ORGANISATION,
        bp.PARTNER_KIND_NATIONAL_AGENCY,
    }


# ---------------------------------------------------------------------------------------------
# INPEC community social work
# ---------------------------------------------------------------------------------------------


def test_community_work_figures_kept_apart() -> None:
    tsc = _record("CO-INPEC-TSC")
    participants = _indicator(tsc, "participantes")
    assert participants.name == IND_PARTICIPANTS
    by_value = {int(o.value): o for o in participants.observations}
    assert set(by_value) == {1400, 900}
    assert by_value[1400].status == FINAL
    assert by_value[1400].value_text == "más de 1.400"
    assert by_value[1400].source.title == "Boletín Informativo No.011 – Trabajo Social Comunitario"
    assert _date(by_value[1400].source.published) == (2025, 3, 5)
    assert by_value[900].status == DISPUTED
    assert "radiosantafe.com" in by_value[900].source.publisher
    assert _date(by_value[900].source.published) == (2024, 12, 18)
    (cities,) = _indicator(tsc, "ciudades").observations
    assert (cities.value, cities.value_text, cities.status) == (90, "más de 90", FINAL)


def test_community_work_five_principles_verbatim() -> None:
    tsc = _record("CO-INPEC-TSC")
    assert len(tsc.principles) == 5
    names = [p.split(":", 1)[0] for p in tsc.principles]
    assert names == [
        "Resocialización",
        "Mejoramiento de entornos",
        "Redención de la pena",
        "Dignidad humana",
        "Articulación interinstitucional",
    ]
    assert tsc.principles[2] == (
        "Redención de la pena: El INPEC está desafiando activamente los paradigmas obsoletos dentro del "
        "sistema penal, promoviendo un enfoque más justo y digno para el cumplimiento de las penas."
    )
    assert "CONPES 4089" in " ".join(tsc.legal_framework)


# ---------------------------------------------------------------------------------------------
# INPE CREO
# ---------------------------------------------------------------------------------------------


def test_creo_problem_population_and_result() -> None:
    creo = _record("PE-INPE-CREO")
    assert creo.problem_statement.lower().startswith(
        "déficit en la inserción social positiva de la población penitenciaria primaria"
    )
    tp = creo.target_population
    assert (tp.age_min, tp.age_max, tp.first_time_offenders_only) == (18, 34, True)
    assert "micro comercialización" in tp.description
    (outcome,) = [n for n in creo.results_chain if n.level == bp.RESULT_LEVEL_OUTCOME]
    assert outcome.statement.startswith("Mejorar la inserción social positiva")
    (impact,) = [n for n in creo.results_chain if n.level == bp.RESULT_LEVEL_IMPACT]
    assert impact.statement == "Incremento de la Seguridad Ciudadana"
    # The 18-26 pilot conflicts with the 18-34 target population and is kept with its own source.
    (pilot,) = _indicator(creo, "participantes").observations
    assert (pilot.value, pilot.status) == (130, DISPUTED)
    assert [(d.name, d.value) for d in pilot.dimensions] == [("grupo de edad", "18-26")]
    assert "18-26" in creo.summary or "18 a 26" in creo.summary


def test_creo_products_activities_and_targets() -> None:
    creo = _record("PE-INPE-CREO")
    products = [n for n in creo.results_chain if n.level == bp.RESULT_LEVEL_OUTPUT]
    activities = [n for n in creo.results_chain if n.level == bp.RESULT_LEVEL_ACTIVITY]
    assert len(products) == 5
    assert (
        products[3].statement
        == "Población penitenciaria primaria de 18 - 29 años, con capacidades ocupacionales."
    )
    per_product = [sum(1 for a in activities if a.contributes_to == [p.node_id]) for p in products]
    assert per_product == [2, 2, 4, 1, 4]
    assert "Control de ingreso de visitas y objetos prohibidos." in {a.statement for a in activities}
    assert "Promoción y constitución de microempresas o persona con negocio." in {
        a.statement for a in activities
    }
    for product in products:
        assert any(i.unit_of_measure == "Persona" for i in product.indicators), product.node_id

    (meta4,) = _indicator(creo, "p4/meta").observations
    assert _indicator(creo, "p4/meta").name == "N° personas, con capacidades ocupacionales"
    assert _indicator(creo, "p4/meta").unit_of_measure == "Persona"
    assert (meta4.value, meta4.kind, meta4.status) == (1210, bp.OBSERVATION_KIND_TARGET, DISPUTED)
    assert meta4.value_text == (
        "La meta física programada es 1,210 personas con capacidades ocupacionales entre los departamentos "
        "de Lima, Piura, Huancayo, Arequipa y Pucallpa."
    )
    (meta5,) = _indicator(creo, "p5/meta").observations
    assert (meta5.value, meta5.kind) == (50, bp.OBSERVATION_KIND_TARGET)
    assert _indicator(creo, "p5/meta").unit_of_measure == "Persona"
    assert _indicator(creo, "p4/pct").unit_of_measure == "%"
    assert _indicator(creo, "p4/pct").name.startswith(
        "% de Población penitenciaria intervenida, con constancia"
    )
    assert _indicator(creo, "p5/pct").name.endswith("beneficiada con las actividades del Medio Libre.")
    for o in (meta4, meta5):
        assert o.source.publisher.startswith("Instituto Nacional Penitenciario (INPE)")
        assert "Meta física" in o.source.locator


# ---------------------------------------------------------------------------------------------
# INPE Cárceles Productivas
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "press", "andina"),
    [
        ("trabajan", 27000, 25000),
        ("reincidencia-trabajan", 7, 9),
        ("reincidencia-estudian", 6, 7),
        ("reincidencia-sin-actividad", 25, 25),
        ("estudian", 15000, 15000),
    ],
)
def test_carceles_productivas_conflicting_pairs(suffix: str, press: float, andina: float) -> None:
    cp = _record("PE-INPE-CARCELES-PRODUCTIVAS")
    obs = _indicator(cp, suffix).observations
    assert len(obs) == 2
    assert all(o.status == DISPUTED for o in obs)
    by_source = {o.source.publisher: o.value for o in obs}
    assert by_source["Agencia Peruana de Noticias Andina"] == press
    assert by_source["Agencia Peruana de Noticias Andina (andina.pe, noticia 960120)"] == andina
    (seeded,) = [o for o in obs if o.source.publisher == "Agencia Peruana de Noticias Andina"]
    assert _date(seeded.source.published) == (2024, 4, 26)
    if suffix.startswith("reincidencia"):
        assert _indicator(cp, suffix).ascending is False
        assert _indicator(cp, suffix).unit_of_measure == "%"


def test_carceles_productivas_design_partners_law() -> None:
    cp = _record("PE-INPE-CARCELES-PRODUCTIVAS")
    (evaluation,) = cp.evaluations
    assert evaluation.design == bp.EVALUATION_DESIGN_MONITORING_ONLY
    assert "sesgo de selección" in evaluation.main_findings
    names = " ".join(p.name for p in cp.partners)
    for partner in ("Ministerio de Justicia", "Produce", "Mincetur"):
        assert partner in names
    assert "DL N° 1343" in cp.legal_framework


# ---------------------------------------------------------------------------------------------
# Regional comparison and helpers
# ---------------------------------------------------------------------------------------------


def test_comparable_indicators_shared_across_members() -> None:
    comparison = compare_indicators(programme_records())
    per_thousand = f"{IND_PARTICIPANTS} (por 1.000 PPL)"
    assert set(comparison.series) == {IND_PARTICIPANTS, IND_FACILITIES}  # Peru alone gives a population
    assert comparison.flagged == ()
    for series in comparison.series.values():
        assert {p.member for p in series.points} == {"CO-INPEC", "PE-INPE"}
        assert (series.kind, series.observation) == ("count", "ACTUAL")
        for p in series.points:
            assert p.status in {"FINAL", "DISPUTED"}
            assert p.source.title and p.record_id and p.indicator_id
    participants = {(p.member, p.value, p.status) for p in comparison.series[IND_PARTICIPANTS].points}
    assert ("PE-INPE", 27000, "DISPUTED") in participants
    assert ("PE-INPE", 25000, "DISPUTED") in participants
    assert ("CO-INPEC", 1400, "FINAL") in participants
    facilities = {(p.member, p.period, p.value) for p in comparison.series[IND_FACILITIES].points}
    assert ("CO-INPEC", "2022-03-04", 132) in facilities
    # Targets (metas físicas) are not mixed with actual values.
    values = {p.value for series in comparison.series.values() for p in series.points}
    assert 1210 not in values
    # A single member's records have nothing to compare.
    assert compare_indicators(records_for("CO-INPEC")).series == {}
    # With the labelled samples, all seven stand side by side, and counts also per 1,000 PPL.
    everyone = [r for m in default_member_ids() for r in (*records_for(m), *sample_programmes_for(m))]
    regional = compare_indicators(everyone)
    assert regional.series[IND_PARTICIPANTS].members == sorted(default_member_ids())
    normalised = regional.series[per_thousand]
    assert (normalised.unit, normalised.kind) == ("por 1.000 PPL", "rate")
    assert "CO-INPEC" not in normalised.members  # no population given: not normalised
    peru = {p.value for p in normalised.points if p.member == "PE-INPE"}
    assert round(27000 * 1000 / PE_POPULATION, 1) in peru


def _one_indicator(owner: str, ind: bp.Indicator) -> bp.BestPracticeRecord:
    return bp.BestPracticeRecord(
        practice_id=f"{owner}-X", owner=owner, results_chain=[bp.ResultNode(node_id="n", indicators=[ind])]
    )


def _counted(
    name: str, unit: str, measure: int, value: float, kind: int = bp.OBSERVATION_KIND_ACTUAL
) -> bp.Indicator:
    return bp.Indicator(
        indicator_id=f"i-{value:g}",
        name=name,
        unit_of_measure=unit,
        measure=measure,  # type: ignore[arg-type]
        observations=[bp.Observation(kind=kind, value=value)],  # type: ignore[arg-type]
    )


def test_an_indicator_without_unit_or_kind_is_flagged_not_compared() -> None:
    unit = bp.INDICATOR_MEASURE_UNIT
    records = [
        _one_indicator("GT-DGSP", _counted("Internos", "persona", unit, 10)),
        _one_indicator("EC-SNAI", _counted("Internos", "", unit, 20)),
        _one_indicator("UY-INR", _counted("Internos", "persona", bp.INDICATOR_MEASURE_UNSPECIFIED, 30)),
    ]
    comparison = compare_indicators(records, min_members=1)
    assert [p.value for p in comparison.series["Internos"].points] == [10]
    assert [(f.record_id, f.reason) for f in comparison.flagged] == [
        ("EC-SNAI-X", "UNIT_MISSING"),
        ("UY-INR-X", "KIND_MISSING"),
    ]
    assert "no unit" in comparison.flagged[0].detail


def test_two_kinds_of_figure_never_stand_side_by_side() -> None:
    records = [
        _one_indicator("GT-DGSP", _counted("Cobertura", "%", bp.INDICATOR_MEASURE_PERCENTAGE, 40)),
        _one_indicator("EC-SNAI", _counted("Cobertura", "%", bp.INDICATOR_MEASURE_UNIT, 900)),
        _one_indicator(
            "UY-INR",
            _counted("Cobertura", "%", bp.INDICATOR_MEASURE_PERCENTAGE, 50, bp.OBSERVATION_KIND_TARGET),
        ),
    ]
    comparison = compare_indicators(records, min_members=1)
    assert comparison.series == {}
    assert {(f.record_id, f.reason) for f in comparison.flagged} == {
        ("GT-DGSP-X", "KIND_MISMATCH"),
        ("EC-SNAI-X", "KIND_MISMATCH"),
        ("UY-INR-X", "KIND_MISMATCH"),
    }
    # Same kind, one target and one achieved value: only the kind asked for is compared.
    del records[1]
    achieved = compare_indicators(records, min_members=1).series["Cobertura"]
    targets = compare_indicators(records, min_members=1, observation=bp.OBSERVATION_KIND_TARGET)
    assert [p.member for p in achieved.points] == ["GT-DGSP"]
    assert [p.member for p in targets.series["Cobertura"].points] == ["UY-INR"]


def test_every_member_publishes_a_programme_and_samples_say_so() -> None:
    for member in default_member_ids():
        grounded, samples = records_for(member), sample_programmes_for(member)
        assert grounded or samples, member
        assert not (grounded and samples), member
        for record in grounded:
            assert not record.sample
        for record in samples:
            assert record.sample and record.title.startswith("[Muestra]")
            assert "MUESTRA" in record.summary.upper()
            for ind, obs in _observations(record):
                assert ind.unit_of_measure and ind.measure != bp.INDICATOR_MEASURE_UNSPECIFIED
                assert obs.note.startswith("MUESTRA") and "muestra" in obs.source.publisher
                assert obs.status == bp.OBSERVATION_STATUS_PROVISIONAL


def test_period_label_and_citation() -> None:
    year = common_pb2.DateRange(
        start=common_pb2.PartialDate(year=2020, month=1, day=1),
        end=common_pb2.PartialDate(year=2020, month=12, day=31),
    )
    assert period_label(year) == "2020"
    span = common_pb2.DateRange(
        start=common_pb2.PartialDate(year=2024),
        end=common_pb2.PartialDate(year=2025, month=3, day=5),
    )
    assert period_label(span) == "2024/2025-03-05"
    assert period_label(common_pb2.DateRange()) == ""
    vivif = _record("CO-INPEC-VIVIF")
    text = format_citation(_indicator(vivif, "visitas").observations[0].source)
    assert "2022-03-04" in text and "VIVIF" in text


# Common Hispanic given names: records describe programmes, never people.
_GIVEN_NAMES = {
    "Eduardo", "Elizabeth", "Sergio", "Javier", "Rafael", "José", "Juan", "Carlos", "Luis", "María",
    "Ana", "Jorge", "Pedro", "Miguel", "Fernando", "Ricardo", "Alejandro", "Andrés", "Diego", "Daniel",
    "Claudia", "Patricia", "Carmen", "Sandra", "Gabriela", "Mónica", "Lucía", "Isabel", "Marta", "Elena",
}  # fmt: skip


def test_no_personal_names_in_records() -> None:
    for record in programme_records():
        text = text_format.MessageToString(record, as_utf8=True)
        words = set(re.findall(r"[^\W\d_]+", text))
        assert not (words & _GIVEN_NAMES), (record.practice_id, words & _GIVEN_NAMES)


def test_the_comparison_takes_each_programme_at_its_newest_version() -> None:
    """Versions in any order: the highest record_version stands; a member's own record wins."""
    first, second = (bp.BestPracticeRecord(practice_id="GT-DGSP-X", title=t) for t in ("v1", "v2"))
    other = bp.BestPracticeRecord(practice_id="EC-SNAI-Y", title="only")
    orders = ([(1, first), (2, second)], [(2, second), (1, first)], [(2, second), (1, first), (2, second)])
    for received in orders:
        chosen = newest_programmes([], [*received, (1, other)])
        assert [(r.practice_id, r.title) for r in chosen] == [("EC-SNAI-Y", "only"), ("GT-DGSP-X", "v2")]
    own = bp.BestPracticeRecord(practice_id="GT-DGSP-X", title="own")
    assert [r.title for r in newest_programmes([own], [(2, second)])] == ["own"]
    assert newest_programmes([], []) == []

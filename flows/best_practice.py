"""best-practice-exchange: publish a member's programme records, build the regional comparison.

Publishing: the member's programme records (the ``records`` file, JSON Lines of ``pxhub.v1.Record``)
are sealed to every other member under purpose PROGRAMME_KNOWLEDGE_SHARING (not personal data; the
instrument the policy names, the Declaración de México among them) by ``flows.publish``, each kept
in the member's outbox first so a re-run resends the same bytes (DUPLICATE) or nothing.

Comparing (the receiving side): the programme records the member holds (its own, those waiting in
its mailbox, which are opened but not acknowledged, since inbound sync owns the acknowledgement,
and those inbound sync already wrote to its sink) go through ``compare_indicators``: like with like
(one unit, one kind of figure, achieved values only; counts also per 1,000 persons deprived of
liberty where the population is given), every indicator left out listed with its reason. For each
indicator reported by at least two countries the flow publishes a table artifact and one markdown
artifact, "regional comparison", holding per indicator a markdown table and a bar chart, then the
regional integrity view (``adapters.integrity_view``) of the audits and ethics training in the
member's sink: a table, a chart and the message ids behind each figure. The chart
is an SVG embedded as a ``data:image/svg+xml;base64`` image, which Prefect's UI renders inside the
markdown artifact with no file server; the same SVG is also written to ``output_dir`` for reports.
"""

from __future__ import annotations

import base64
import html
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from prefect import flow, get_run_logger, task
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact

from adapters.best_practice import (
    PER_THOUSAND,
    ComparablePoint,
    compare_indicators,
    format_citation,
    newest_programmes,
)
from adapters.integrity_view import HeldRecord, MemberIntegrity, integrity_view
from flows.common import (
    DEFAULT_FEDERATION_DIR,
    DEFAULT_STATE_DIR,
    DEFAULT_TARGET,
    Outbox,
    artifact_key,
    connect,
    markdown_table,
    member_state_dir,
    message_id_key,
)
from flows.publish import publish_batch, read_records
from flows.retry import TRANSIENT_RETRY
from flows.sink import held_versions
from hub.core.envelope import EnvelopeError
from hub.sdk import MemberClient
from pxhub.v1 import best_practice_pb2, common_pb2, envelope_pb2, record_pb2

E = envelope_pb2
PURPOSE: Final = E.PURPOSE_PROGRAMME_KNOWLEDGE_SHARING
COLOURS: Final = ("#1b6ca8", "#d1495b", "#edae49", "#00798c", "#30638e", "#66a182", "#8d6a9f")


@dataclass
class BestPracticeResult:
    member_id: str
    published: int = 0
    accepted: int = 0
    duplicates: int = 0
    already_sent: int = 0
    rejected: list[tuple[str, str, str]] = field(default_factory=list)
    programmes: list[str] = field(default_factory=list)  # practice ids compared
    indicators: dict[str, list[tuple[str, str, float, str, str]]] = field(default_factory=dict)
    charts: dict[str, str] = field(default_factory=dict)  # indicator -> SVG file
    flagged: list[tuple[str, str, str, str]] = field(
        default_factory=list
    )  # record, indicator, reason, detail
    integrity: dict[str, dict[str, object]] = field(default_factory=dict)  # member -> figures


@task(name="collect-programmes", **TRANSIENT_RETRY)
async def collect_programmes(
    client: MemberClient, own: Sequence[best_practice_pb2.BestPracticeRecord], sink: str | None
) -> list[best_practice_pb2.BestPracticeRecord]:
    """Own records, those in the mailbox (opened, left unacknowledged) and those in the sink.

    A programme sent in several versions counts once, as its highest ``record_version``
    (whatever order the versions arrived in); own records are the newest by definition.
    """
    received: list[tuple[int, best_practice_pb2.BestPracticeRecord]] = []
    async for delivery in client.fetch():
        if not delivery.HasField("envelope"):
            continue
        header = E.EnvelopeHeader.FromString(delivery.envelope.header)
        metadata = E.RecordMetadata.FromString(header.metadata)
        if metadata.purpose != PURPOSE:
            continue  # decided on the cleartext header: nothing else is decrypted here
        try:
            opened = client.open(delivery)
        except EnvelopeError:
            continue  # inbound sync reports and refuses it
        if opened.record.HasField("best_practice"):
            received.append((metadata.record_version, opened.record.best_practice))
    if sink and Path(sink).is_dir():
        received.extend(
            (held.version, held.record.best_practice)
            for held in held_versions(sink).values()
            if held.record.HasField("best_practice")
        )
    return newest_programmes(own, received)


def bar_chart(title: str, points: Sequence[ComparablePoint]) -> str:
    """A horizontal bar chart, one bar per (country, period), as a standalone SVG document."""
    members = sorted({p.member for p in points})
    width, label_w, bar_h, gap, top = 720, 230, 22, 6, 40
    height = top + len(points) * (bar_h + gap) + 20
    peak = max((p.value for p in points), default=0.0) or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<text x="10" y="22" font-size="14" font-weight="bold">{html.escape(title)}</text>',
    ]
    for index, point in enumerate(points):
        y = top + index * (bar_h + gap)
        length = (width - label_w - 90) * point.value / peak
        colour = COLOURS[members.index(point.member) % len(COLOURS)]
        label = html.escape(f"{point.member} {point.period}")
        parts += [
            f'<text x="10" y="{y + 15}">{label}</text>',
            f'<rect x="{label_w}" y="{y}" width="{length:.1f}" height="{bar_h}" fill="{colour}">'
            f"<title>{label}: {point.value:g} ({point.status})</title></rect>",
            f'<text x="{label_w + length + 6:.1f}" y="{y + 15}">{point.value:g}</text>',
        ]
    parts.append("</svg>")
    return "\n".join(parts)


POINT_COLUMNS: Final = ("country", "period", "value", "status", "kind", "record / indicator", "source")
INTEGRITY_COLUMNS: Final = (
    "member",
    "findings",
    "open",
    "closed",
    "median days to close",
    "ethics coverage per 100 staff",
    "by severity",
    "by category",
)


def integrity_rows(view: dict[str, MemberIntegrity]) -> list[tuple[object, ...]]:
    """One row per member of the regional integrity view."""

    def counts(counter: Counter[str]) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))

    return [
        (
            m.member,
            m.open + m.closed,
            m.open,
            m.closed,
            "-" if m.median_days_to_close is None else f"{m.median_days_to_close:g}",
            "-" if m.coverage_per_100 is None else f"{m.coverage_per_100:g}",
            counts(m.by_severity),
            counts(m.by_category),
        )
        for m in view.values()
    ]


async def integrity_section(member: str, sink: str | None, out: Path, result: BestPracticeResult) -> str:
    """The regional integrity view from the member's sink: a table, a chart, the records per figure."""
    if not sink or not Path(sink).is_dir():
        return "\n## Regional integrity view\n\nNo national sink given: nothing received to count.\n"
    held = [HeldRecord(h.message_id, h.version, h.supersedes, h.record) for h in held_versions(sink).values()]
    view = integrity_view(held)
    result.integrity = {
        m: dict(zip(INTEGRITY_COLUMNS, row, strict=True))
        for m, row in zip(view, integrity_rows(view), strict=True)
    }
    points = [
        ComparablePoint(m.member, label, float(value), "FINAL", common_pb2.SourceCitation())
        for m in view.values()
        for label, value in (("abiertos", m.open), ("cerrados", m.closed))
    ]
    svg = bar_chart("Hallazgos abiertos y cerrados por miembro", points)
    chart = out / "integrity-findings.svg"
    chart.write_text(svg, encoding="utf-8")
    result.charts["integrity"] = str(chart)
    rows = integrity_rows(view)
    await acreate_table_artifact(
        key=artifact_key("integrity-view", member),
        table=[dict(zip(INTEGRITY_COLUMNS, row, strict=True)) for row in rows],
        description=f"Regional integrity view from the records {member} received",
    )
    sources = [
        (m.member, figure, ", ".join(ids)) for m in view.values() for figure, ids in sorted(m.sources.items())
    ]
    return (
        f"\n## Regional integrity view (records received by {member})\n\n"
        "The newest version of each audit counts; days to close run from a finding's report to its "
        "verified closure; coverage is staff who completed ethics training per 100 staff in scope.\n\n"
        + markdown_table(INTEGRITY_COLUMNS, rows)
        + f"\n\n![integrity]({svg_data_uri(svg)})\n\nSVG: `{chart}`\n\n"
        "### Records behind each figure (message ids in the sink)\n\n"
        + markdown_table(("member", "figure", "message ids"), sources)
        + "\n"
    )


def svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


@flow(name="best-practice-exchange", log_prints=False)
async def best_practice_exchange(
    member: str,
    records: str | None = None,
    target: str = DEFAULT_TARGET,
    federation_dir: str = DEFAULT_FEDERATION_DIR,
    sink: str | None = None,
    output_dir: str = "var/flows/comparison",
    state_dir: str = DEFAULT_STATE_DIR,
) -> BestPracticeResult:
    """Publish the member's programmes (``records``); build the regional comparison from what it holds.

    ``records`` is a JSON Lines file of ``pxhub.v1.Record`` (as ``publish-records`` reads); its
    programme records are published and compared as the member's own. Without it the member only
    compares what it received.
    """
    logger = get_run_logger()
    found = read_records(Path(records)) if records else iter(())
    own = [r.best_practice for _, r, _ in found if r is not None and r.HasField("best_practice")]
    outbox = Outbox(member_state_dir(state_dir, member) / "outbox.sqlite")
    client = await connect(member, target, federation_dir)
    try:
        result = BestPracticeResult(member)
        if own:
            sent = await publish_batch(
                client,
                outbox,
                message_id_key(state_dir, member),
                [record_pb2.Record(best_practice=r) for r in own],
            )
            result.published, result.accepted = sent.published, sent.accepted
            result.duplicates, result.already_sent = sent.duplicates, sent.already_sent
            result.rejected = sent.rejected
        held = await collect_programmes(client, own, sink)
    finally:
        await client.close()
        outbox.close()
    result.programmes = [r.practice_id for r in held]
    out = Path(output_dir) / member
    out.mkdir(parents=True, exist_ok=True)
    comparison = compare_indicators(held)
    result.flagged = [(f.record_id, f.indicator_id, f.reason, f.detail) for f in comparison.flagged]
    sections = []
    for name, series in comparison.series.items():
        rows = [
            (
                p.member,
                p.period,
                p.value,
                p.status,
                "sample" if p.sample else "published",
                f"{p.record_id} / {p.indicator_id}",
                format_citation(p.source),
            )
            for p in series.points
        ]
        result.indicators[name] = [(m, t, v, st, c) for m, t, v, st, _, _, c in rows]
        title = f"{name} ({series.unit}; {series.kind}, {series.observation.lower()})"
        svg = bar_chart(title, series.points)
        chart = out / f"{artifact_key(name)}.svg"
        chart.write_text(svg, encoding="utf-8")
        result.charts[name] = str(chart)
        await acreate_table_artifact(
            key=artifact_key("best-practice", member, name),
            table=[dict(zip(POINT_COLUMNS, row, strict=True)) for row in rows],
            description=f"Regional comparison: {title}",
        )
        sections.append(
            f"### {title}\n\n"
            + markdown_table(POINT_COLUMNS, rows)
            + f"\n\n![{name}]({svg_data_uri(svg)})\n\nSVG: `{chart}`\n"
        )
    if comparison.flagged:
        sections.append(
            "### Indicators not compared\n\n"
            + markdown_table(("record", "indicator", "reason", "detail"), result.flagged)
            + "\n"
        )
    integrity = await integrity_section(member, sink, out, result)
    published = (
        f"Published {result.published} programme record(s): {result.accepted} accepted, "
        f"{result.duplicates} duplicate(s), {result.already_sent} already sent, "
        f"{len(result.rejected)} rejected.\n\n"
    )
    await acreate_markdown_artifact(
        key=artifact_key("best-practice", member, "regional-comparison"),
        markdown=f"## Regional comparison seen by {member}\n\n{published}"
        f"Programmes compared: {', '.join(result.programmes) or 'none'}. Only indicators of one unit "
        "and one kind stand side by side, achieved values only (never a target beside an achievement); "
        f"counts are also given {PER_THOUSAND} where the record names the population they refer to. "
        "Sample programmes are labelled as such.\n\n"
        + ("\n".join(sections) or "No indicator is reported by two countries yet.\n")
        + integrity,
        description=f"Programme indicators and integrity figures across countries ({member})",
    )
    logger.info(
        "best practice %s: %d published (%d accepted), %d programmes compared, %d comparable indicators",
        member,
        result.published,
        result.accepted,
        len(held),
        len(result.indicators),
    )
    return result

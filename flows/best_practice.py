"""best-practice-exchange: publish a member's programme records, build the regional comparison.

Publishing: the member's programme records (the ``records`` file, JSON Lines of ``pxhub.v1.Record``)
are sealed to every other member under purpose PROGRAMME_KNOWLEDGE_SHARING (not personal data; the
instrument the policy names, the Declaración de México among them) by ``flows.publish``, each kept
in the member's outbox first so a re-run resends the same bytes (DUPLICATE) or nothing.

Comparing (the receiving side): the programme records the member holds (its own, those waiting in
its mailbox, which are opened but not acknowledged, since inbound sync owns the acknowledgement,
and those inbound sync already wrote to its sink) go through ``comparable_indicators``. For each
indicator reported by at least two countries the flow publishes a table artifact and one markdown
artifact, "regional comparison", holding per indicator a markdown table and a bar chart. The chart
is an SVG embedded as a ``data:image/svg+xml;base64`` image, which Prefect's UI renders inside the
markdown artifact with no file server; the same SVG is also written to ``output_dir`` for reports.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from prefect import flow, get_run_logger, task
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact

from adapters.best_practice import ComparablePoint, comparable_indicators, format_citation
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
from flows.sink import other_records
from hub.core.envelope import EnvelopeError
from hub.sdk import MemberClient
from pxhub.v1 import best_practice_pb2, envelope_pb2, record_pb2

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


@task(name="collect-programmes", **TRANSIENT_RETRY)
async def collect_programmes(
    client: MemberClient, own: Sequence[best_practice_pb2.BestPracticeRecord], sink: str | None
) -> list[best_practice_pb2.BestPracticeRecord]:
    """Own records, those in the mailbox (opened, left unacknowledged) and those in the sink."""
    found = {r.practice_id: r for r in own}
    async for delivery in client.fetch():
        if not delivery.HasField("envelope"):
            continue
        header = E.EnvelopeHeader.FromString(delivery.envelope.header)
        if E.RecordMetadata.FromString(header.metadata).purpose != PURPOSE:
            continue  # decided on the cleartext header: nothing else is decrypted here
        try:
            opened = client.open(delivery)
        except EnvelopeError:
            continue  # inbound sync reports and refuses it
        if opened.record.HasField("best_practice"):
            found.setdefault(opened.record.best_practice.practice_id, opened.record.best_practice)
    if sink and Path(sink).is_dir():
        for record in other_records(sink):
            if record.HasField("best_practice"):
                found.setdefault(record.best_practice.practice_id, record.best_practice)
    return [found[k] for k in sorted(found)]


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
    sections = []
    for name, points in comparable_indicators(held).items():
        rows = [(p.member, p.period, p.value, p.status, format_citation(p.source)) for p in points]
        result.indicators[name] = rows
        svg = bar_chart(name, points)
        chart = out / f"{artifact_key(name)}.svg"
        chart.write_text(svg, encoding="utf-8")
        result.charts[name] = str(chart)
        await acreate_table_artifact(
            key=artifact_key("best-practice", member, name),
            table=[
                {"country": m, "period": t, "value": v, "status": s, "source": c} for m, t, v, s, c in rows
            ],
            description=f"Regional comparison: {name}",
        )
        sections.append(
            f"### {name}\n\n"
            + markdown_table(("country", "period", "value", "status", "source"), rows)
            + f"\n\n![{name}]({svg_data_uri(svg)})\n\nSVG: `{chart}`\n"
        )
    published = (
        f"Published {result.published} programme record(s): {result.accepted} accepted, "
        f"{result.duplicates} duplicate(s), {result.already_sent} already sent, "
        f"{len(result.rejected)} rejected.\n\n"
    )
    await acreate_markdown_artifact(
        key=artifact_key("best-practice", member, "regional-comparison"),
        markdown=f"## Regional comparison seen by {member}\n\n{published}"
        f"Programmes compared: {', '.join(result.programmes) or 'none'}.\n\n"
        + ("\n".join(sections) or "No indicator is reported by two countries yet.\n"),
        description=f"Programme indicators across countries ({member})",
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

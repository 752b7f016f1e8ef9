"""The auditor's HTML report: one self-contained file, charts drawn here as inline SVG.

Input: verified entries (``hub.sdk.audit.verify``) and what they were verified
against. Output: a single HTML page with no script and no external asset, so
it opens offline, prints, and can be archived with the evidence:

* the verification statement (checkpoint, root, hub key, witnesses);
* exchanges per country pair (heatmap: sender rows, recipient columns) and
  per month (bars, with acknowledgements beside them);
* denials by reason (bars), consent withdrawals per month (bars, drawn even
  when there are none);
* tables: activity per member, entries per action and outcome.

An *exchange* is one permitted submission to one recipient: a record sent to
three members counts three times, once per country pair.
"""

from __future__ import annotations

import html
import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from hub.core.members import MEMBER_IDS, MEMBERS

__all__ = ["ReportData", "ReportHeader", "build_report_data", "render_report"]

_COUNTRY_NAMES = {m.country_iso2: m.country_name for m in MEMBERS}
_COUNTRY_ORDER = [m.country_iso2 for m in MEMBERS]

# Colour-blind-safe palette (Okabe-Ito) and a sequential blue ramp for the heatmap.
_BLUE, _GREEN, _ORANGE, _PURPLE, _GREY = "#0072B2", "#009E73", "#D55E00", "#7B3294", "#8a8f98"
_LIGHT, _DARK = (239, 245, 251), (11, 74, 128)


def _shade(fraction: float) -> tuple[str, bool]:
    """Fill colour for a heatmap cell at ``fraction`` of the peak, and whether its text is light."""
    f = max(0.0, min(1.0, fraction))
    rgb = tuple(round(a + (b - a) * f) for a, b in zip(_LIGHT, _DARK, strict=True))
    return "#{:02x}{:02x}{:02x}".format(*rgb), f > 0.55


@dataclass(frozen=True)
class ReportHeader:
    """What the entries were verified against (shown at the top of the report)."""

    origin: str
    size: int
    root_hash_b64: str
    log_verifier_key: str
    witnesses: dict[str, int]
    verified_at: datetime
    target: str = ""


@dataclass
class ReportData:
    entries: int = 0
    first_time: str = ""
    last_time: str = ""
    pairs: Counter[tuple[str, str]] = field(default_factory=Counter)
    exchanges_by_month: Counter[str] = field(default_factory=Counter)
    acks_by_month: Counter[str] = field(default_factory=Counter)
    denials_by_reason: Counter[str] = field(default_factory=Counter)
    denials_by_action: Counter[tuple[str, str]] = field(default_factory=Counter)
    withdrawals_by_month: Counter[str] = field(default_factory=Counter)
    actions: Counter[tuple[str, str]] = field(default_factory=Counter)
    sent: Counter[str] = field(default_factory=Counter)
    received: Counter[str] = field(default_factory=Counter)
    acknowledged: Counter[str] = field(default_factory=Counter)
    denied: Counter[str] = field(default_factory=Counter)
    unreadable: int = 0

    def months(self) -> list[str]:
        """Every month from the first entry to the last, gaps included."""
        if not self.first_time:
            return []
        year, month = int(self.first_time[:4]), int(self.first_time[5:7])
        last = (int(self.last_time[:4]), int(self.last_time[5:7]))
        out: list[str] = []
        while (year, month) <= last and len(out) < 240:
            out.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out


def _country(member_id: str) -> str:
    return member_id.split("-", 1)[0] if "-" in member_id else member_id


def build_report_data(entries: Iterable[bytes]) -> ReportData:
    """Aggregate entries (canonical bytes) into the report's counts."""
    data = ReportData()
    for raw in entries:
        data.entries += 1
        try:
            entry = json.loads(raw)
            time, action, outcome = str(entry["time"]), str(entry["action"]), str(entry["outcome"])
            actor, reason = str(entry["actor_id"]), str(entry["reason"])
            details = entry["details"] if isinstance(entry["details"], dict) else {}
        except (ValueError, KeyError, TypeError):
            data.unreadable += 1
            continue
        month = time[:7]
        data.first_time = min(data.first_time or time, time)
        data.last_time = max(data.last_time, time)
        data.actions[(action, outcome)] += 1
        if outcome in ("deny", "error"):
            data.denials_by_reason[reason or "UNSPECIFIED"] += 1
            data.denials_by_action[(reason or "UNSPECIFIED", action)] += 1
            if entry.get("actor_kind") == "member":
                data.denied[actor] += 1
        if action == "submit" and outcome == "permit":
            recipients = [r for r in str(details.get("recipients", "")).split(",") if r]
            data.sent[actor] += len(recipients)
            for recipient in recipients:
                data.pairs[(_country(actor), _country(recipient))] += 1
                data.received[recipient] += 1
            data.exchanges_by_month[month] += len(recipients)
        elif action == "acknowledge" and outcome == "ok":
            data.acks_by_month[month] += 1
            data.acknowledged[actor] += 1
        elif action == "consent.withdraw" and outcome in ("ok", "permit"):
            data.withdrawals_by_month[month] += 1
    return data


# ---------------------------------------------------------------------------------------------
# SVG drawing
# ---------------------------------------------------------------------------------------------


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _nice_max(value: float) -> tuple[float, float]:
    """A round axis maximum at or above ``value`` and its tick step (at most six steps)."""
    if value <= 0:
        return 1.0, 1.0
    exponent = 10 ** max(0, math.floor(math.log10(value)) - 1)
    for base in (1, 2, 2.5, 5, 10, 20, 25, 50, 100):
        step = base * exponent
        if step < 1 or (step != int(step)):
            continue
        if math.ceil(value / step) <= 6:
            return float(math.ceil(value / step) * step), float(step)
    return float(value), float(value)


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _svg(width: int, height: int, body: str, label: str) -> str:
    return (
        f'<svg role="img" aria-label="{_e(label)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" class="chart">{body}</svg>'
    )


def heatmap(pairs: Counter[tuple[str, str]], countries: Sequence[str]) -> str:
    """Sender countries as rows, recipient countries as columns, count in each cell."""
    cell, left, top = 74, 200, 96
    n = len(countries)
    width, height = left + n * cell + 90, top + n * cell + 60
    peak = max(pairs.values(), default=0)
    parts = [
        f'<text x="{left + n * cell / 2}" y="18" class="axis-title" text-anchor="middle">'
        "Recipient country</text>",
        f'<text x="20" y="{top + n * cell / 2}" class="axis-title" text-anchor="middle" '
        f'transform="rotate(-90 20 {top + n * cell / 2})">Sending country</text>',
    ]
    for j, country in enumerate(countries):
        x = left + j * cell + cell / 2
        parts.append(f'<text x="{x}" y="{top - 44}" class="tick" text-anchor="middle">{_e(country)}</text>')
        for k, word in enumerate(_COUNTRY_NAMES.get(country, "").split(" ")[:2]):
            parts.append(
                f'<text x="{x}" y="{top - 28 + 12 * k}" class="tick small" text-anchor="middle">'
                f"{_e(word[:12])}</text>"
            )
    for i, sender in enumerate(countries):
        y = top + i * cell
        name = _COUNTRY_NAMES.get(sender, "")
        parts.append(
            f'<text x="{left - 10}" y="{y + cell / 2 + 5}" class="tick" text-anchor="end">'
            f"{_e(name)} ({_e(sender)})</text>"
        )
        for j, recipient in enumerate(countries):
            x = left + j * cell
            count = pairs.get((sender, recipient), 0)
            if sender == recipient and count == 0:
                parts.append(
                    f'<rect x="{x + 1}" y="{y + 1}" width="{cell - 2}" height="{cell - 2}" '
                    f'fill="#f3f3f3" stroke="#fff"/><line x1="{x + 12}" y1="{y + cell - 12}" '
                    f'x2="{x + cell - 12}" y2="{y + 12}" stroke="#d0d0d0"/>'
                )
                continue
            colour, light = _shade(count / peak if peak else 0.0)
            ink = "#ffffff" if light else ("#1d2733" if count else "#b0b7c0")
            parts.append(
                f'<rect x="{x + 1}" y="{y + 1}" width="{cell - 2}" height="{cell - 2}" rx="3" '
                f'fill="{colour}"><title>{_e(sender)} → {_e(recipient)}: {count:,}</title></rect>'
            )
            parts.append(
                f'<text x="{x + cell / 2}" y="{y + cell / 2 + 5}" text-anchor="middle" class="cell" '
                f'fill="{ink}">{count:,}</text>'
            )
        total = sum(pairs.get((sender, r), 0) for r in countries)
        parts.append(
            f'<text x="{left + n * cell + 12}" y="{y + cell / 2 + 5}" class="tick total">{total:,}</text>'
        )
    parts.append(f'<text x="{left + n * cell + 12}" y="{top - 44}" class="tick small">sent</text>')
    for j, recipient in enumerate(countries):
        total = sum(pairs.get((s, recipient), 0) for s in countries)
        parts.append(
            f'<text x="{left + j * cell + cell / 2}" y="{top + n * cell + 24}" text-anchor="middle" '
            f'class="tick total">{total:,}</text>'
        )
    parts.append(
        f'<text x="{left - 10}" y="{top + n * cell + 24}" class="tick small" '
        'text-anchor="end">received</text>'
    )
    return _svg(width, height, "".join(parts), "Exchanges per country pair")


def column_chart(
    categories: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[int]]],
    *,
    label: str,
    empty_note: str = "",
    height: int = 300,
) -> str:
    """Vertical bars per category; several series side by side, with a legend."""
    left, right, top, bottom = 64, 20, 36, 58
    slot = max(46, min(110, 760 // max(1, len(categories))))
    width = max(640, left + right + slot * max(1, len(categories)))
    start = left + (width - left - right - slot * len(categories)) / 2  # a few months sit in the middle
    plot_h = height - top - bottom
    peak = max((max(values, default=0) for _, _, values in series), default=0)
    axis_max, step = _nice_max(peak)
    parts: list[str] = []
    ticks = round(axis_max / step)
    for k in range(ticks + 1):
        value = k * step
        y = top + plot_h - plot_h * value / axis_max
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" class="grid"/>')
        parts.append(
            f'<text x="{left - 8}" y="{y + 4:.1f}" class="tick" text-anchor="end">{_fmt(value)}</text>'
        )
    group = slot * 0.72
    bar = group / max(1, len(series))
    for c, category in enumerate(categories):
        x0 = start + c * slot + (slot - group) / 2
        for s, (name, colour, values) in enumerate(series):
            value = values[c] if c < len(values) else 0
            h = plot_h * value / axis_max
            x = x0 + s * bar
            y = top + plot_h - h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar - 2:.1f}" height="{h:.1f}" rx="2" '
                f'fill="{colour}">'
                f"<title>{_e(category)} · {_e(name)}: {value:,}</title></rect>"
            )
            if value:
                parts.append(
                    f'<text x="{x + (bar - 2) / 2:.1f}" y="{y - 5:.1f}" class="value" text-anchor="middle">'
                    f"{value:,}</text>"
                )
        parts.append(
            f'<text x="{start + c * slot + slot / 2:.1f}" y="{top + plot_h + 20}" class="tick" '
            f'text-anchor="middle">{_e(category)}</text>'
        )
    parts.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" class="axis"/>'
    )
    if len(series) > 1:
        x = left
        for name, colour, _ in series:
            parts.append(f'<rect x="{x}" y="8" width="12" height="12" rx="2" fill="{colour}"/>')
            parts.append(f'<text x="{x + 18}" y="18" class="legend">{_e(name)}</text>')
            x += 28 + 8 * len(name)
    if empty_note and peak == 0:
        parts.append(
            f'<text x="{(left + width - right) / 2}" y="{top + plot_h / 2}" class="empty" '
            f'text-anchor="middle">{_e(empty_note)}</text>'
        )
    return _svg(width, height, "".join(parts), label)


def bar_chart(items: Sequence[tuple[str, int]], *, label: str, colour: str, empty_note: str) -> str:
    """Horizontal bars, largest first, with the value at the end of each bar."""
    left, right, row = 260, 70, 30
    width = 900
    height = 40 + row * max(1, len(items))
    peak = max((v for _, v in items), default=0)
    parts: list[str] = []
    plot_w = width - left - right
    for i, (name, value) in enumerate(items):
        y = 20 + i * row
        w = plot_w * value / peak if peak else 0
        parts.append(
            f'<text x="{left - 10}" y="{y + 15}" class="tick" text-anchor="end">{_e(name)}</text>'
            f'<rect x="{left}" y="{y + 2}" width="{w:.1f}" height="{row - 8}" rx="3" fill="{colour}">'
            f"<title>{_e(name)}: {value:,}</title></rect>"
            f'<text x="{left + w + 8:.1f}" y="{y + 15}" class="value-strong">{value:,}</text>'
        )
    if not items:
        parts.append(
            f'<text x="{width / 2}" y="42" class="empty" text-anchor="middle">{_e(empty_note)}</text>'
        )
    parts.append(f'<line x1="{left}" y1="16" x2="{left}" y2="{height - 14}" class="axis"/>')
    return _svg(width, height + 10, "".join(parts), label)


# ---------------------------------------------------------------------------------------------
# Page
# ---------------------------------------------------------------------------------------------

_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f6f9; color: #1d2733;
  font: 15px/1.5 "Segoe UI", "Helvetica Neue", Arial, "Noto Sans", sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 28px 28px 60px; }
header { background: #14304f; color: #fff; padding: 26px 28px 22px; }
header .inner { max-width: 1064px; margin: 0 auto; }
header h1 { margin: 0 0 4px; font-size: 26px; font-weight: 600; letter-spacing: .2px; }
header p { margin: 0; color: #c9d6e6; }
section { background: #fff; border-radius: 10px; padding: 22px 24px; margin: 22px 0;
  box-shadow: 0 1px 2px rgba(20,48,79,.08), 0 2px 10px rgba(20,48,79,.05); }
h2 { margin: 0 0 4px; font-size: 19px; font-weight: 600; color: #14304f; }
p.lede { margin: 0 0 14px; color: #5a6675; }
.verified { border-left: 6px solid #009E73; }
.status { font-size: 18px; font-weight: 600; margin: 0 0 10px; }
.verified .status { color: #00795a; }
dl.facts { display: grid; grid-template-columns: 190px 1fr; gap: 6px 14px; margin: 0; }
dl.facts dt { color: #5a6675; }
dl.facts dd { margin: 0; font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
  font-size: 13px; word-break: break-all; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 14px; }
.kpi { background: #fff; border-radius: 10px; padding: 14px 16px;
  box-shadow: 0 1px 2px rgba(20,48,79,.08), 0 2px 10px rgba(20,48,79,.05); }
.kpi .n { font-size: 28px; font-weight: 650; color: #14304f; }
.kpi .l { color: #5a6675; font-size: 13px; }
svg.chart { display: block; max-width: 100%; height: auto; margin: 6px auto 4px; }
svg text { font-family: "Segoe UI", "Helvetica Neue", Arial, "Noto Sans", sans-serif; }
.tick { font-size: 12.5px; fill: #3b4755; }
.tick.small { font-size: 11px; fill: #7a8594; }
.tick.total { font-weight: 600; fill: #14304f; }
.axis-title { font-size: 12.5px; fill: #5a6675; font-weight: 600; }
.cell { font-size: 14px; font-weight: 600; }
.value { font-size: 11.5px; fill: #3b4755; }
.value-strong { font-size: 13px; font-weight: 600; fill: #1d2733; }
.legend { font-size: 12.5px; fill: #3b4755; }
.empty { font-size: 14px; fill: #7a8594; font-style: italic; }
.grid { stroke: #e6e9ee; stroke-width: 1; }
.axis { stroke: #9aa3ae; stroke-width: 1; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { padding: 7px 10px; border-bottom: 1px solid #e6e9ee; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { color: #5a6675; font-weight: 600; background: #f7f9fb; }
td.zero { color: #b0b7c0; }
footer { color: #7a8594; font-size: 12.5px; margin-top: 26px; }
.two { display: grid; grid-template-columns: 1fr 1fr; gap: 22px; }
@media (max-width: 900px) { .two { grid-template-columns: 1fr; } }
@media print { body { background: #fff; } section, .kpi { box-shadow: none; border: 1px solid #ddd; } }
"""


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for value in row:
            css = ' class="zero"' if value == 0 else ""
            text = f"{value:,}" if isinstance(value, int) else str(value)
            cells.append(f"<td{css}>{_e(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _kpi(number: int, label: str) -> str:
    return f'<div class="kpi"><div class="n">{number:,}</div><div class="l">{_e(label)}</div></div>'


def render_report(data: ReportData, header: ReportHeader) -> str:
    """The whole report as one HTML document (UTF-8, no scripts, no external assets)."""
    months = data.months()
    countries = [c for c in _COUNTRY_ORDER] + sorted(
        {c for pair in data.pairs for c in pair} - set(_COUNTRY_ORDER)
    )
    exchanges = sum(data.pairs.values())
    acks = sum(data.acks_by_month.values())
    denials = sum(data.denials_by_reason.values())
    withdrawals = sum(data.withdrawals_by_month.values())
    witnesses = ", ".join(
        f"{name} (cosigned {datetime.fromtimestamp(t, UTC):%Y-%m-%d %H:%M:%S} UTC)"
        for name, t in sorted(header.witnesses.items())
    )
    period = f"{data.first_time[:10]} to {data.last_time[:10]}" if data.first_time else "no entries"
    status = f"Verified: all {header.size:,} entries match the signed checkpoint"
    seen = set(data.sent) | set(data.received) | set(data.acknowledged) | set(data.denied)
    others = seen - set(MEMBER_IDS)
    members = [*MEMBER_IDS, *sorted(others)]
    member_rows = [(m, data.sent[m], data.received[m], data.acknowledged[m], data.denied[m]) for m in members]
    action_names = sorted({a for a, _ in data.actions})
    outcomes = ["permit", "ok", "deny", "error"]
    action_rows = [(a, *(data.actions[(a, o)] for o in outcomes)) for a in action_names]
    reasons = data.denials_by_reason.most_common()
    reason_rows = []
    for reason, count in reasons:
        by_action = sorted(
            ((a, n) for (r, a), n in data.denials_by_action.items() if r == reason), key=lambda x: -x[1]
        )
        reason_rows.append((reason, count, ", ".join(f"{a} {n:,}" for a, n in by_action)))
    exchanges_series = [data.exchanges_by_month[m] for m in months]
    acks_series = [data.acks_by_month[m] for m in months]
    withdrawal_series = [data.withdrawals_by_month[m] for m in months]
    generated = header.verified_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    sections = [
        f'<section class="verified"><p class="status">{status}</p><dl class="facts">'
        f"<dt>Log origin</dt><dd>{_e(header.origin)}</dd>"
        f"<dt>Checkpoint tree size</dt><dd>{header.size:,}</dd>"
        f"<dt>Root hash (base64)</dt><dd>{_e(header.root_hash_b64)}</dd>"
        f"<dt>Hub verifier key</dt><dd>{_e(header.log_verifier_key)}</dd>"
        f"<dt>Witness cosignatures</dt><dd>{_e(witnesses or 'none required')}</dd>"
        f"<dt>Entries cover</dt><dd>{_e(period)}</dd>"
        f"<dt>Hub</dt><dd>{_e(header.target or '-')}</dd></dl></section>",
        '<div class="kpis">'
        + _kpi(data.entries, "log entries")
        + _kpi(exchanges, "exchanges (record × recipient)")
        + _kpi(acks, "acknowledgements")
        + _kpi(denials, "denials and errors")
        + _kpi(withdrawals, "consent withdrawals")
        + "</div>",
        "<section><h2>Exchanges per country pair</h2>"
        '<p class="lede">Permitted submissions, one per recipient: rows are the sending country, '
        "columns the receiving country; totals on the right (sent) and below (received).</p>"
        + heatmap(data.pairs, countries)
        + "</section>",
        "<section><h2>Exchanges per month</h2>"
        '<p class="lede">Exchanges permitted each month, and acknowledgements recipients signed.</p>'
        + column_chart(
            months,
            [("Exchanges", _BLUE, exchanges_series), ("Acknowledgements", _GREEN, acks_series)],
            label="Exchanges and acknowledgements per month",
            empty_note="No exchanges in this period",
        )
        + "</section>",
        "<section><h2>Denials by reason</h2>"
        '<p class="lede">Every refused decision in the log (outcome deny or error), by reason code.</p>'
        + bar_chart(
            [(r, c) for r, c in reasons],
            label="Denials by reason",
            colour=_ORANGE,
            empty_note="No denials recorded",
        )
        + (_table(["Reason", "Count", "In actions"], reason_rows) if reason_rows else "")
        + "</section>",
        "<section><h2>Consent withdrawals</h2>"
        '<p class="lede">Consent records withdrawn each month (action consent.withdraw).</p>'
        + column_chart(
            months,
            [("Withdrawals", _PURPLE, withdrawal_series)],
            label="Consent withdrawals per month",
            empty_note="No consent withdrawals recorded in this period",
            height=220,
        )
        + "</section>",
        "<section><h2>Activity per member</h2>"
        '<p class="lede">Exchanges sent and received, acknowledgements signed and decisions refused, '
        "per institution.</p>"
        + _table(["Member", "Sent", "Received", "Acknowledged", "Denied"], member_rows)
        + "</section>",
        "<section><h2>Entries per action and outcome</h2>"
        + _table(["Action", *outcomes], action_rows)
        + (
            f'<p class="lede">{data.unreadable:,} entries could not be read as audit entries.</p>'
            if data.unreadable
            else ""
        )
        + "</section>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>pxhub audit report · {_e(header.origin)} · size {header.size:,}</title>"
        f"<style>{_CSS}</style></head><body>"
        '<header><div class="inner"><h1>Audit log report</h1>'
        f"<p>{_e(header.origin)} · {header.size:,} entries · {_e(period)} · generated {_e(generated)}</p>"
        "</div></header><main>"
        + "".join(sections)
        + "<footer>Every figure on this page is computed from log entries whose hashes were recomputed "
        "and matched against the checkpoint above, signed by the hub key in federation.json. "
        "The log holds no payloads and no personal data.</footer></main></body></html>\n"
    )

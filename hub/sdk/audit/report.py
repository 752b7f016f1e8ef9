"""The auditor's HTML report: one self-contained file, charts drawn here as inline SVG.

Input: verified entries (``hub.sdk.audit.verify``) and what they were verified
against. Output: a single HTML page with no script and no external asset, so
it opens offline, prints, and can be archived with the evidence:

* the verification statement (checkpoint, root, hub key, witnesses);
* exchanges per country pair (heatmap: sender rows, recipient columns) and
  per month (bars, with acknowledgements beside them);
* denials by reason (bars), consent withdrawals per month (bars, drawn even
  when there are none);
* lookups per member (table) and tokens asked per member (bars: volume is
  what shows a fishing expedition, since tokens are never in the log);
* requests per member pair (table) and their answer times against the
  deadline (bars for the median and the maximum, a marker at the deadline);
* tables: activity per member, entries per action and outcome.

An *exchange* is one permitted submission to one recipient: a record sent to
three members counts three times, once per country pair.

A request is followed by its ``request:<id>`` object: the REQUEST's ``submit``
entry opens it (its time is the acceptance, its ``deadline`` detail the time
allowed), the RESPONSE's ``submit`` entry closes it as answered or refused, and
``request.overdue`` and ``request.withdraw`` entries mark the rest. Its answer
time is the RESPONSE's acceptance minus the REQUEST's; a request still open
after its deadline at the log's last entry counts as overdue even before the
hub's sweep has written ``request.overdue``.
"""

from __future__ import annotations

import html
import json
import math
import statistics
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from hub.core.audit_entry import refused_counts
from hub.core.members import Institution
from hub.core.words import counted
from hub.sdk.audit.listing import instant_text
from hub.sdk.audit.verify import entry_time_text

__all__ = [
    "ReportData",
    "ReportHeader",
    "RequestPairStats",
    "RequestTrace",
    "build_report_data",
    "render_report",
]


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
    since: datetime | None = None  # the reported period (the whole log was verified)
    until: datetime | None = None
    #: The network's members as the directory lists them: their order and country names label the
    #: tables and the heatmap (members are data; any other actor seen in the log follows, sorted).
    members: tuple[Institution, ...] = ()


def _instant(text: object) -> datetime | None:
    """An entry time or a deadline detail as an aware datetime (``None`` if it is not one)."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _hours(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds() / 3600


@dataclass
class RequestTrace:
    """What the log says of one request (its ``request:<id>`` object), entry by entry."""

    requester: str = ""
    responder: str = ""
    opened_at: datetime | None = None
    deadline: datetime | None = None
    closed: str = ""
    """``answered`` or ``refused`` (by the RESPONSE), ``withdrawn``, or empty while open."""
    closed_at: datetime | None = None
    overdue_entry: bool = False

    def answer_hours(self) -> float | None:
        """Acceptance of the RESPONSE minus acceptance of the REQUEST, in hours."""
        if self.closed not in ("answered", "refused"):
            return None
        return _hours(self.opened_at, self.closed_at)

    def allowed_hours(self) -> float | None:
        """The REQUEST's deadline minus its acceptance, in hours."""
        return _hours(self.opened_at, self.deadline)

    def overdue(self, as_of: datetime | None) -> bool:
        """Marked overdue by the hub, or still open with its deadline before ``as_of``."""
        if self.overdue_entry:
            return True
        still_open = self.opened_at is not None and not self.closed
        return still_open and self.deadline is not None and as_of is not None and self.deadline < as_of


@dataclass(frozen=True)
class RecordVersionTrace:
    """One accepted version of a living record (an integrity finding's chain), from its submit entry."""

    message_id: str
    version: int
    supersedes: str
    state: str
    accepted_at: datetime | None


@dataclass(frozen=True)
class RecordChain:
    """Every version of one record (``record:<handle>``) its sender submitted, oldest first."""

    sender: str
    record: str
    versions: tuple[RecordVersionTrace, ...]

    def state_hours(self) -> list[tuple[RecordVersionTrace, float | None]]:
        """Each version with how long its state lasted: until the next version (None for the last)."""
        following = [*self.versions[1:], None]
        return [
            (v, _hours(v.accepted_at, n.accepted_at) if n else None)
            for v, n in zip(self.versions, following, strict=True)
        ]

    def linked(self) -> bool:
        """Each version names the one before it: the chain is unbroken in the log."""
        return all(
            b.supersedes == a.message_id and b.version == a.version + 1
            for a, b in zip(self.versions, self.versions[1:], strict=False)
        )


@dataclass(frozen=True)
class RequestPairStats:
    """The requests one member (requester) sent another (responder)."""

    requester: str
    responder: str
    opened: int = 0
    answered: int = 0
    refused: int = 0
    overdue: int = 0
    withdrawn: int = 0
    still_open: int = 0
    answer_hours: tuple[float, ...] = ()
    allowed_hours: tuple[float, ...] = ()

    @property
    def median_hours(self) -> float | None:
        return statistics.median(self.answer_hours) if self.answer_hours else None

    @property
    def max_hours(self) -> float | None:
        return max(self.answer_hours) if self.answer_hours else None

    def deadlines(self) -> list[float]:
        """The distinct times allowed (hours, to a tenth), shortest first."""
        return sorted({round(h, 1) for h in self.allowed_hours})


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
    lookups: Counter[str] = field(default_factory=Counter)
    lookup_tokens: Counter[str] = field(default_factory=Counter)
    lookups_hit: Counter[str] = field(default_factory=Counter)
    lookups_refused: Counter[str] = field(default_factory=Counter)
    resolves: Counter[str] = field(default_factory=Counter)
    tokens_added: Counter[str] = field(default_factory=Counter)
    tokens_removed: Counter[str] = field(default_factory=Counter)
    requests: dict[str, RequestTrace] = field(default_factory=dict)
    versions: dict[tuple[str, str], list[RecordVersionTrace]] = field(default_factory=dict)
    unreadable: int = 0

    def chains(self) -> list[RecordChain]:
        """The living records with more than one version, per (sender, record handle)."""
        return [
            RecordChain(sender, record, tuple(sorted(found, key=lambda v: v.version)))
            for (sender, record), found in sorted(self.versions.items())
            if len(found) > 1
        ]

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

    def lookup_members(self, known: Sequence[str] = ()) -> list[str]:
        """The network's members, then any other actor of a lookup or a publication."""
        seen = (
            set(self.lookups)
            | set(self.lookups_refused)
            | set(self.resolves)
            | set(self.tokens_added)
            | set(self.tokens_removed)
        )
        return [*known, *sorted(seen - set(known))]

    def request_pairs(self) -> list[RequestPairStats]:
        """Requests per (requester, responder) pair, as of the log's last entry."""
        as_of = _instant(self.last_time)
        grouped: dict[tuple[str, str], list[RequestTrace]] = {}
        for trace in self.requests.values():
            grouped.setdefault((trace.requester, trace.responder), []).append(trace)
        out = []
        for (requester, responder), traces in sorted(grouped.items()):
            answers = [h for t in traces if (h := t.answer_hours()) is not None]
            allowed = [h for t in traces if (h := t.allowed_hours()) is not None]
            out.append(
                RequestPairStats(
                    requester=requester,
                    responder=responder,
                    opened=sum(t.opened_at is not None for t in traces),
                    answered=sum(t.closed == "answered" for t in traces),
                    refused=sum(t.closed == "refused" for t in traces),
                    overdue=sum(t.overdue(as_of) for t in traces),
                    withdrawn=sum(t.closed == "withdrawn" for t in traces),
                    still_open=sum(t.opened_at is not None and not t.closed for t in traces),
                    answer_hours=tuple(answers),
                    allowed_hours=tuple(allowed),
                )
            )
        return out


def _country(member_id: str) -> str:
    return member_id.split("-", 1)[0] if "-" in member_id else member_id


def _count(value: object) -> int:
    """An integer detail, or 0 for anything else."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _request_id(objects: Sequence[object]) -> str:
    for oid in objects:
        if isinstance(oid, str) and oid.startswith("request:"):
            return oid.removeprefix("request:")
    return ""


def _note_lookup(data: ReportData, actor: str, outcome: str, details: dict[str, object]) -> None:
    if outcome == "ok" and details.get("resolve") == 1:
        data.resolves[actor] += 1
    elif outcome == "ok":
        data.lookups[actor] += 1
        data.lookup_tokens[actor] += _count(details.get("tokens"))
        if _count(details.get("hits")) > 0 or details.get("hit"):
            data.lookups_hit[actor] += 1
    elif outcome in ("deny", "error"):
        data.lookups_refused[actor] += 1


def _note_request(
    data: ReportData, action: str, time: str, actor: str, details: dict[str, object], request_id: str
) -> None:
    """Follow one request through its REQUEST, RESPONSE, overdue and withdrawal entries."""
    trace = data.requests.setdefault(request_id, RequestTrace())
    recipients = [r for r in str(details.get("recipients", "")).split(",") if r]
    other = recipients[0] if recipients else ""
    if action == "submit":
        state = details.get("request_state")
        if state == "open":
            trace.requester, trace.responder = actor, other or trace.responder
            trace.opened_at = _instant(time)
            trace.deadline = _instant(details.get("deadline"))
        elif state in ("answered", "refused"):
            trace.requester, trace.responder = trace.requester or other, actor
            trace.closed, trace.closed_at = str(state), _instant(time)
    elif action == "request.overdue":
        trace.overdue_entry = True
        trace.requester = trace.requester or str(details.get("requester", ""))
        trace.responder = trace.responder or str(details.get("responder", ""))
        if trace.deadline is None:
            trace.deadline = _instant(details.get("deadline"))
    elif action == "request.withdraw":
        trace.requester = trace.requester or actor
        trace.responder = trace.responder or str(details.get("responder", ""))
        trace.closed, trace.closed_at = "withdrawn", _instant(time)


def _note_cooperation(
    data: ReportData,
    time: str,
    action: str,
    outcome: str,
    actor: str,
    details: dict[str, object],
    objects: Sequence[object],
) -> None:
    """Lookups, token publications and the entries that follow a request."""
    if action == "lookup.query":
        _note_lookup(data, actor, outcome, details)
        return
    if action == "lookup.publish":
        if outcome == "ok":
            data.tokens_added[actor] += _count(details.get("add"))
            data.tokens_removed[actor] += _count(details.get("remove"))
        return
    follows_request = (action == "submit" and outcome == "permit" and bool(details.get("request_state"))) or (
        action in ("request.overdue", "request.withdraw") and outcome == "ok"
    )
    request_id = _request_id(objects) if follows_request else ""
    if request_id:
        _note_request(data, action, time, actor, details, request_id)


def _period_text(header: ReportHeader) -> str:
    since = instant_text(header.since)[:19] + "Z" if header.since else "the first entry"
    until = instant_text(header.until)[:19] + "Z" if header.until else "the last entry"
    return f"from {since} until before {until} (the whole log was verified; only this period is counted)"


def entries_in_period(
    entries: Iterable[bytes], since: datetime | None, until: datetime | None
) -> Iterator[bytes]:
    """The entries whose event time lies in ``[since, until)`` (either bound may be open).

    Compared as text in the entries' fixed time format, so no entry is parsed twice; an entry
    with no readable time is outside every bounded period."""
    if since is None and until is None:
        yield from entries
        return
    low = instant_text(since) if since is not None else ""
    high = instant_text(until) if until is not None else ""
    for entry in entries:
        time = entry_time_text(entry)
        if time is None:
            try:
                loose = json.loads(entry)
            except ValueError:
                continue
            time = (
                loose.get("time") if isinstance(loose, dict) and isinstance(loose.get("time"), str) else None
            )
            if time is None:
                continue
        if time >= low and (not high or time < high):
            yield entry


def _note_version(
    data: ReportData, actor: str, time: str, details: dict[str, object], objects: Sequence[object]
) -> None:
    record = next((str(o) for o in objects if str(o).startswith("record:")), "")
    message = next((str(o).removeprefix("message:") for o in objects if str(o).startswith("message:")), "")
    if not record or not message:
        return
    data.versions.setdefault((actor, record.removeprefix("record:")), []).append(
        RecordVersionTrace(
            message, _count(details.get("version")), str(details.get("supersedes", "")),
            str(details.get("state", "")), _instant(time),
        )
    )  # fmt: skip


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
            objects = entry["object_ids"] if isinstance(entry["object_ids"], list) else []
        except (ValueError, KeyError, TypeError):
            data.unreadable += 1
            continue
        month = time[:7]
        data.first_time = min(data.first_time or time, time)
        data.last_time = max(data.last_time, time)
        data.actions[(action, outcome)] += 1
        if outcome in ("deny", "error"):  # one entry may count the refused items of a whole call
            for refused_reason, count in refused_counts(details, reason).items():
                data.denials_by_reason[refused_reason] += count
                data.denials_by_action[(refused_reason, action)] += count
                if entry.get("actor_kind") == "member":
                    data.denied[actor] += count
        if action == "submit" and outcome == "permit" and "version" in details:
            _note_version(data, actor, time, details, objects)
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
        _note_cooperation(data, time, action, outcome, actor, details, objects)
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


def heatmap(
    pairs: Counter[tuple[str, str]], countries: Sequence[str], country_names: Mapping[str, str] | None = None
) -> str:
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
        for k, word in enumerate((country_names or {}).get(country, "").split(" ")[:2]):
            parts.append(
                f'<text x="{x}" y="{top - 28 + 12 * k}" class="tick small" text-anchor="middle">'
                f"{_e(word[:12])}</text>"
            )
    for i, sender in enumerate(countries):
        y = top + i * cell
        name = (country_names or {}).get(sender, "")
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


def _hours_text(hours: float | None) -> str:
    return "–" if hours is None else f"{_fmt(round(hours, 1))} h"


def duration_text(hours: float) -> str:
    """Seconds, minutes, hours or days, whichever reads best."""
    seconds = hours * 3600
    if seconds < 120:
        return f"{seconds:.0f} s"
    if hours < 2:
        return f"{seconds / 60:.0f} min"
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} d"


def answer_time_chart(pairs: Sequence[RequestPairStats], *, label: str, empty_note: str) -> str:
    """Per member pair: bars for the median and the maximum answer time, a marker at the deadline."""
    left, right, top, row, bottom = 200, 210, 44, 48, 46
    width = 900
    plot_w = width - left - right
    plot_h = row * max(1, len(pairs))
    height = top + plot_h + bottom
    peak = max(
        [h for p in pairs for h in (*p.answer_hours, *p.allowed_hours)],
        default=0.0,
    )
    axis_max, step = _nice_max(peak)
    parts: list[str] = []

    def x_at(hours: float) -> float:
        return left + plot_w * max(0.0, hours) / axis_max

    for k in range(round(axis_max / step) + 1):
        x = x_at(k * step)
        parts.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{top + plot_h}" class="grid"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 18}" class="tick" text-anchor="middle">'
            f"{_fmt(k * step)}</text>"
        )
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{top + plot_h + 38}" class="axis-title" text-anchor="middle">'
        "Hours from the REQUEST's acceptance to the RESPONSE's</text>"
    )
    for i, pair in enumerate(pairs):
        y = top + i * row
        name = f"{pair.requester} → {pair.responder}"
        parts.append(
            f'<text x="{left - 10}" y="{y + row / 2 + 4}" class="tick" text-anchor="end">{_e(name)}</text>'
        )
        for kind, colour, hours, dy in (
            ("median", _BLUE, pair.median_hours, 8),
            ("maximum", _GREY, pair.max_hours, 24),
        ):
            if hours is None:
                continue
            w, text = x_at(hours) - left, _e(_hours_text(hours))
            parts.append(
                f'<rect x="{left}" y="{y + dy}" width="{w:.1f}" height="13" rx="2" fill="{colour}">'
                f"<title>{_e(name)} · {kind} answer time: {text}</title></rect>"
                f'<text x="{left + w + 6:.1f}" y="{y + dy + 11}" class="value">{text}</text>'
            )
        for allowed in pair.deadlines():
            x = x_at(allowed)
            parts.append(
                f'<line x1="{x:.1f}" y1="{y + 3}" x2="{x:.1f}" y2="{y + row - 7}" stroke="{_ORANGE}" '
                f'stroke-width="2.5" stroke-dasharray="4 3"><title>{_e(name)} · deadline: '
                f"{_e(_hours_text(allowed))}</title></line>"
            )
        replied = pair.answered + pair.refused
        notes = [f"{replied:,} replied" if replied else "no reply"]
        if pair.overdue:
            notes.append(f"{pair.overdue:,} overdue")
        if pair.still_open:
            notes.append(f"{pair.still_open:,} open")
        parts.append(
            f'<text x="{width - right + 14}" y="{y + row / 2 + 4}" class="value">'
            f"{_e(' · '.join(notes))}</text>"
        )
    parts.append(f'<line x1="{left}" y1="{top - 4}" x2="{left}" y2="{top + plot_h}" class="axis"/>')
    legend_x = left
    for name, colour in (("Median answer time", _BLUE), ("Maximum answer time", _GREY)):
        parts.append(f'<rect x="{legend_x}" y="10" width="12" height="12" rx="2" fill="{colour}"/>')
        parts.append(f'<text x="{legend_x + 18}" y="20" class="legend">{_e(name)}</text>')
        legend_x += 34 + 7 * len(name)
    parts.append(
        f'<line x1="{legend_x + 6}" y1="8" x2="{legend_x + 6}" y2="24" stroke="{_ORANGE}" '
        'stroke-width="2.5" stroke-dasharray="4 3"/>'
        f'<text x="{legend_x + 16}" y="20" class="legend">Deadline (time allowed)</text>'
    )
    if not pairs:
        parts.append(
            f'<text x="{left + plot_w / 2}" y="{top + plot_h / 2 + 5}" class="empty" '
            f'text-anchor="middle">{_e(empty_note)}</text>'
        )
    return _svg(width, height, "".join(parts), label)


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
p.note { margin: 2px 0 14px; color: #5a6675; font-size: 13px; text-align: center; }
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
    country_order = list(dict.fromkeys(m.country_iso2 for m in header.members))
    country_names = {m.country_iso2: m.country_name for m in header.members}
    known = [m.member_id for m in header.members]
    countries = country_order + sorted({c for pair in data.pairs for c in pair} - set(country_order))
    exchanges = sum(data.pairs.values())
    acks = sum(data.acks_by_month.values())
    denials = sum(data.denials_by_reason.values())
    withdrawals = sum(data.withdrawals_by_month.values())
    witnesses = ", ".join(
        f"{name} (cosigned {datetime.fromtimestamp(t, UTC):%Y-%m-%d %H:%M:%S} UTC)"
        for name, t in sorted(header.witnesses.items())
    )
    period = f"{data.first_time[:10]} to {data.last_time[:10]}" if data.first_time else "no entries"
    status = f"Verified against the signed checkpoint: {counted(header.size, 'entry')}"
    seen = set(data.sent) | set(data.received) | set(data.acknowledged) | set(data.denied)
    members = [*known, *sorted(seen - set(known))]
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
    lookup_rows = [
        (
            m,
            data.lookups[m],
            data.lookup_tokens[m],
            data.lookups_hit[m],
            data.lookups_refused[m],
            data.resolves[m],
            data.tokens_added[m],
            data.tokens_removed[m],
        )
        for m in data.lookup_members(known)
    ]
    tokens_asked = sorted(((m, n) for m, n in data.lookup_tokens.items() if n), key=lambda x: (-x[1], x[0]))
    request_pairs = data.request_pairs()
    request_rows = [
        (
            p.requester,
            p.responder,
            p.opened,
            p.answered,
            p.refused,
            p.overdue,
            p.withdrawn,
            p.still_open,
            _hours_text(p.median_hours),
            _hours_text(p.max_hours),
            " / ".join(_hours_text(h) for h in p.deadlines()) or "–",
        )
        for p in request_pairs
    ]
    chain_rows = [
        (
            chain.sender,
            chain.record,
            version.version,
            version.state or "–",
            version.accepted_at.strftime("%Y-%m-%d %H:%M:%S") if version.accepted_at else "–",
            duration_text(lasted) if lasted is not None else "current",
            version.message_id,
            "linked" if chain.linked() else "BROKEN",
        )
        for chain in data.chains()
        for version, lasted in chain.state_hours()
    ]
    generated = header.verified_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    sections = [
        f'<section class="verified"><p class="status">{status}</p><dl class="facts">'
        f"<dt>Log origin</dt><dd>{_e(header.origin)}</dd>"
        f"<dt>Checkpoint tree size</dt><dd>{header.size:,}</dd>"
        f"<dt>Root hash (base64)</dt><dd>{_e(header.root_hash_b64)}</dd>"
        f"<dt>Hub verifier key</dt><dd>{_e(header.log_verifier_key)}</dd>"
        f"<dt>Witness cosignatures</dt><dd>{_e(witnesses or 'none required')}</dd>"
        f"<dt>Entries cover</dt><dd>{_e(period)}</dd>"
        + (
            f"<dt>Report period</dt><dd>{_e(_period_text(header))}</dd>"
            if header.since or header.until
            else ""
        )
        + f"<dt>Hub</dt><dd>{_e(header.target or '-')}</dd></dl></section>",
        '<div class="kpis">'
        + _kpi(data.entries, "log entries")
        + _kpi(exchanges, "exchanges (record × recipient)")
        + _kpi(acks, "acknowledgements")
        + _kpi(denials, "denials and errors")
        + _kpi(withdrawals, "consent withdrawals")
        + _kpi(sum(data.lookups.values()), "lookups")
        + _kpi(sum(p.opened for p in request_pairs), "requests opened")
        + "</div>",
        "<section><h2>Exchanges per country pair</h2>"
        '<p class="lede">Permitted submissions, one per recipient: rows are the sending country, '
        "columns the receiving country; totals on the right (sent) and below (received).</p>"
        + heatmap(data.pairs, countries, country_names)
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
        "<section><h2>Lookups</h2>"
        '<p class="lede">Per member: lookups answered (lookup.query ok), the tokens they asked with, '
        "lookups where at least one member had a hit, lookups refused, resolves (a holder reading "
        "which of its records a hit names) and lookup tokens published (added and removed).</p>"
        + _table(
            [
                "Member",
                "Lookups",
                "Tokens asked",
                "With a hit",
                "Refused",
                "Resolves",
                "Tokens added",
                "Tokens removed",
            ],
            lookup_rows,
        )
        + bar_chart(
            tokens_asked,
            label="Tokens asked per member",
            colour=_BLUE,
            empty_note="No lookups recorded",
        )
        + '<p class="note">Tokens are never written to the audit log, only how many each lookup asked '
        "with: a fishing expedition shows as volume.</p></section>",
        "<section><h2>Requests</h2>"
        '<p class="lede">Requests per member pair, from the REQUEST and RESPONSE submissions and the '
        "overdue and withdrawal entries. Answer time is the hub's acceptance of the RESPONSE (answer "
        "or refusal) minus its acceptance of the REQUEST; the deadline is the time the REQUEST was "
        "allowed (its deadline minus its acceptance). A request still open past its deadline counts "
        "as overdue.</p>"
        + _table(
            [
                "Requester",
                "Responder",
                "Opened",
                "Answered",
                "Refused",
                "Overdue",
                "Withdrawn",
                "Still open",
                "Median answer",
                "Max answer",
                "Deadline",
            ],
            request_rows,
        )
        + answer_time_chart(
            request_pairs,
            label="Answer times per member pair against the deadline",
            empty_note="No requests recorded",
        )
        + "</section>",
        "<section><h2>Living records: version chains</h2>"
        '<p class="lede">Records sent as more than one version (an anti-corruption finding from '
        "reported to closed): each version names the one it supersedes in its header, so the chain "
        "and the time each state lasted (until the next version was accepted) read from the log "
        "alone, without any payload.</p>"
        + _table(
            ["Sender", "Record", "Version", "State", "Accepted", "State lasted", "Message", "Chain"],
            chain_rows,
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
            f'<p class="lede">{counted(data.unreadable, "entry")} could not be read as audit entries.</p>'
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
        f"<p>{_e(header.origin)} · {counted(header.size, 'entry')} · {_e(period)} · "
        f"generated {_e(generated)}</p>"
        "</div></header><main>"
        + "".join(sections)
        + "<footer>Every figure on this page is computed from log entries whose hashes were recomputed "
        "and matched against the checkpoint above, signed by the hub key in federation.json. "
        "The log holds no payloads and no personal data.</footer></main></body></html>\n"
    )

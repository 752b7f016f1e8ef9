"""Country adapters: parse + validate + map rows/s on a national export, beside a plain read of it.

For each member a synthetic native export of ``count`` rows is written once (``adapters.samples.exports``,
timed as the render side). Each round then reads the same file twice, alternating the order:

* **baseline** - the plain standard-library read of that format, no mapping: ``csv.reader`` rows,
  ``json.loads`` per line, ``json.load`` of the whole array, ``xml.etree.ElementTree.iterparse``
  with each record cleared;
* **adapter** - ``adapter.parse``: decoding with the windows-1252 fallback, the structure checks,
  every value validated and mapped (dates, codes to ICCS and the hub scale, ids with the public
  algorithms) into canonical ``InmateSecurityProfile``s with their row reports.
* **compiled / sources** (when the adapters run compiled, ``adapters.compiled``) - the same
  ``adapter.parse`` in a fresh subprocess, once on the compiled per-row modules and once on their
  sources (``PXHUB_PURE_PYTHON=1``), each timed inside its process (imports excluded) with cold
  caches, so the compiled figure has its like-for-like baseline in the same run (the in-process
  adapter keeps its caches warm from round to round);
* **adapter in processes** (CSV members) - the same ``adapter.parse`` with ``workers=os.cpu_count()``:
  the same rows in the same order, mapped in that many processes (``adapters.parallel``). Its
  CPU-time rate counts the reading process only; the workers' CPU is not in it.

Memory: peak RSS (VmHWM) of a fresh subprocess that imports the adapters, parses an export of
``small`` rows, and of one that parses ``count`` rows; flat means the two are close. For the
parallel read, the largest worker's peak is recorded beside the reading process's.

Rates are rows per wall-clock second, as usual, and also rows per CPU-second of this process
(``time.process_time``): on a shared machine the second is the fairer figure for one free core.
The load average before and after the run is recorded with the results.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path

from adapters import compiled
from adapters.formats import CsvFormat, JsonArrayFormat, JsonLinesFormat, XmlFormat
from adapters.national import NationalAdapter
from adapters.registry import get_adapter
from adapters.samples.exports import write_export
from bench.common import Measurement, ScenarioResult
from hub.dev.federation import default_member_ids

CSV_TARGET = 50_000
#: Processes of the parallel CSV read (``parse(stream, workers=...)``), one per CPU.
WORKERS = os.cpu_count() or 1

_PEAK_SCRIPT = """
import resource, sys
from adapters.registry import get_adapter
adapter = get_adapter(sys.argv[1])
workers = int(sys.argv[3])
rows = records = 0
with open(sys.argv[2], "rb") as stream:
    for row in adapter.parse(stream, workers=workers):
        rows += 1
        records += row.record is not None
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(rows, records, peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


_FRESH_SCRIPT = """
import sys, time
import adapters.compiled
from adapters.registry import get_adapter
assert adapters.compiled.is_active() == (sys.argv[3] == "compiled"), adapters.compiled.STATUS
adapter = get_adapter(sys.argv[1])
started, cpu = time.perf_counter(), time.process_time()
with open(sys.argv[2], "rb") as stream:
    rows = sum(1 for _ in adapter.parse(stream))
print(rows, time.perf_counter() - started, time.process_time() - cpu)
"""
#: The subprocess parses: the compiled per-row modules, and their sources.
_FRESH_KINDS = {"compiled": "", "sources": "1"}


def _fresh_parse(member: str, path: Path, kind: str) -> tuple[int, float, float]:
    """Rows, wall and CPU seconds of ``parse`` in a new process running ``kind`` of the modules."""
    out = subprocess.run(
        [sys.executable, "-c", _FRESH_SCRIPT, member, str(path), kind],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, compiled.PURE_PYTHON_ENV: _FRESH_KINDS[kind]},
    ).stdout.split()
    return int(out[0]), float(out[1]), float(out[2])


def _baseline(adapter: NationalAdapter) -> tuple[str, Callable[[Path], int]]:
    fmt = adapter.file_format
    if isinstance(fmt, CsvFormat):

        def read_csv(path: Path) -> int:
            with path.open(encoding=fmt.encoding, errors="replace", newline="") as handle:
                return sum(1 for _ in csv.reader(handle, delimiter=fmt.delimiter)) - 1

        return "plain csv.reader", read_csv
    if isinstance(fmt, JsonLinesFormat):

        def read_jsonl(path: Path) -> int:
            with path.open("rb") as handle:
                return sum(1 for line in handle if json.loads(line) is not None)

        return "plain json.loads per line", read_jsonl
    if isinstance(fmt, JsonArrayFormat):

        def read_json(path: Path) -> int:
            with path.open("rb") as handle:
                return len(json.load(handle))

        return "plain json.load (whole array in memory)", read_json
    assert isinstance(fmt, XmlFormat)
    record = fmt.record

    def read_xml(path: Path) -> int:
        n = 0
        for _, element in ET.iterparse(path, events=("end",)):  # our own benchmark file
            if element.tag == record:
                n += 1
                element.clear()
        return n

    return "plain ElementTree.iterparse", read_xml


def _parse(adapter: NationalAdapter, path: Path, workers: int = 1) -> tuple[int, int, int]:
    rows = records = issues = 0
    with path.open("rb") as stream:
        for row in adapter.parse(stream, workers=workers):
            rows += 1
            records += row.record is not None
            issues += len(row.issues)
    return rows, records, issues


def _peak_rss_mb(member: str, path: Path, workers: int = 1) -> tuple[int, float, float]:
    """Rows read, peak RSS of the reading process and of its largest worker process (MB)."""
    out = subprocess.run(
        [sys.executable, "-c", _PEAK_SCRIPT, member, str(path), str(workers)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return int(out[0]), int(out[2]) / 1024, int(out[3]) / 1024


def run(
    count: int = 100_000,
    rounds: int = 3,
    small: int = 10_000,
    members: Sequence[str] = default_member_ids(),
    id_error_rate: float = 0.01,
) -> ScenarioResult:
    work = Path(tempfile.mkdtemp(prefix="pxhub-bench-adapters-"))
    try:
        return _run(work, count, rounds, small, members, id_error_rate)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(
    work: Path, count: int, rounds: int, small: int, members: Sequence[str], id_error_rate: float
) -> ScenarioResult:
    small = min(small, max(1, count // 10))
    parameters = {
        "rows": count,
        "rounds": rounds,
        "memory_rows": f"{small} vs {count}",
        "id_error_rate": id_error_rate,
        "load_average_before": round(os.getloadavg()[0], 2),
        "csv_workers": WORKERS,
        "per_row_modules": compiled.STATUS,
    }
    result = ScenarioResult("adapters", parameters)
    for member in members:
        adapter = get_adapter(member)
        assert isinstance(adapter, NationalAdapter)
        started = time.perf_counter()
        path = write_export(
            member, work / f"{member}{adapter.file_extension}", count, seed=1, id_error_rate=id_error_rate
        )
        write_rate = count / (time.perf_counter() - started)
        small_path = write_export(
            member,
            work / f"{member}-small{adapter.file_extension}",
            small,
            seed=1,
            id_error_rate=id_error_rate,
        )
        size_mb = path.stat().st_size / 1e6
        base_name, baseline = _baseline(adapter)
        parallel = isinstance(adapter.file_format, CsvFormat) and WORKERS > 1
        kinds: tuple[str, ...] = ("adapter", "baseline")
        kinds += ("processes",) if parallel else ()
        kinds += tuple(_FRESH_KINDS) if compiled.is_active() else ()
        rates: dict[str, list[float]] = {k: [] for k in kinds}
        cpu_rates: dict[str, list[float]] = {k: [] for k in kinds}
        records = issues = 0
        for round_index in range(rounds):
            shift = round_index % len(kinds)  # each reader takes its turn at going first
            for which in kinds[shift:] + kinds[:shift]:
                if which in _FRESH_KINDS:
                    n, wall, cpu_s = _fresh_parse(member, path, which)
                else:
                    started, cpu = time.perf_counter(), time.process_time()
                    if which == "baseline":
                        n = baseline(path)
                    else:
                        n, records, issues = _parse(adapter, path, WORKERS if which == "processes" else 1)
                    wall, cpu_s = time.perf_counter() - started, time.process_time() - cpu
                rates[which].append(n / wall)
                cpu_rates[which].append(n / cpu_s)
                assert n == count, (member, which, n)
        med = {k: statistics.median(v) for k, v in rates.items()}
        med_cpu = {k: statistics.median(v) for k, v in cpu_rates.items()}
        print(
            f"  {member}: {size_mb:.1f} MB, adapter {med['adapter']:,.0f} rows/s "
            f"({med_cpu['adapter']:,.0f} per CPU-s; {records:,} records, {issues:,} issues), "
            f"{base_name} {med['baseline']:,.0f}/s ({med_cpu['baseline']:,.0f} per CPU-s)"
            + (f", {WORKERS} processes {med['processes']:,.0f} rows/s" if parallel else "")
            + (f"; fresh process, compiled {med_cpu['compiled']:,.0f} and sources {med_cpu['sources']:,.0f} "
               "rows per CPU-s" if "sources" in med else "")
        )
        small_rows, small_peak, _ = _peak_rss_mb(member, small_path)
        big_rows, big_peak, _ = _peak_rss_mb(member, path)
        print(
            f"  {member}: peak RSS {small_peak:.0f} MB at {small_rows:,} rows, "
            f"{big_peak:.0f} MB at {big_rows:,}"
        )
        kind = adapter.format_name.split("(")[0].strip()
        one = f"{member} parse+validate+map"
        result.measurements += [
            Measurement(one, "rows/s", rates["adapter"], notes=f"{kind}; one process"),
            Measurement(f"{one}, CPU time", "rows/CPU-s", cpu_rates["adapter"], notes=kind),
            Measurement(f"{member} {base_name}", "rows/s", rates["baseline"], baseline_of=one),
            Measurement(
                f"{member} {base_name}, CPU time",
                "rows/CPU-s",
                cpu_rates["baseline"],
                baseline_of=f"{one}, CPU time",
            ),
            Measurement(f"{member} native export write", "rows/s", [write_rate]),
            Measurement(f"{member} peak RSS, parse {small:,} rows", "MB", [small_peak]),
            Measurement(f"{member} peak RSS, parse {count:,} rows", "MB", [big_peak]),
        ]
        result.ratios[f"{member} adapter / plain read"] = med["adapter"] / med["baseline"]
        if "sources" in med:
            fresh = f"{one}, fresh process"
            result.measurements += [
                Measurement(f"{fresh}, compiled, CPU time", "rows/CPU-s", cpu_rates["compiled"],
                            notes="cold caches; one process"),
                Measurement(f"{fresh}, sources, CPU time", "rows/CPU-s", cpu_rates["sources"],
                            baseline_of=f"{fresh}, compiled, CPU time",
                            notes=f"{compiled.PURE_PYTHON_ENV}=1; cold caches; one process"),
            ]
            result.ratios[f"{member} compiled / sources, fresh process, CPU time"] = (
                med_cpu["compiled"] / med_cpu["sources"]
            )
        result.ratios[f"{member} peak RSS {count:,} / {small:,} rows"] = big_peak / small_peak
        if parallel:
            many = f"{one}, {WORKERS} processes"
            _, small_par, small_worker = _peak_rss_mb(member, small_path, WORKERS)
            _, big_par, big_worker = _peak_rss_mb(member, path, WORKERS)
            print(
                f"  {member}: {WORKERS} processes, peak RSS {small_par:.0f} MB (largest worker "
                f"{small_worker:.0f} MB) at {small_rows:,} rows, {big_par:.0f} MB ({big_worker:.0f} MB) "
                f"at {big_rows:,}"
            )
            result.measurements += [
                Measurement(many, "rows/s", rates["processes"], notes=f"{kind}; parse(workers={WORKERS})"),
                Measurement(f"{many}, CPU time of the reading process", "rows/CPU-s", cpu_rates["processes"]),
                Measurement(
                    f"{member} peak RSS, parse {small:,} rows, {WORKERS} processes",
                    "MB",
                    [small_par],
                    notes=f"largest worker {small_worker:.0f} MB",
                ),
                Measurement(
                    f"{member} peak RSS, parse {count:,} rows, {WORKERS} processes",
                    "MB",
                    [big_par],
                    notes=f"largest worker {big_worker:.0f} MB",
                ),
            ]
            result.ratios[f"{member} adapter in {WORKERS} processes / plain read"] = (
                med["processes"] / med["baseline"]
            )
            result.ratios[f"{member} adapter in {WORKERS} processes / one process"] = (
                med["processes"] / med["adapter"]
            )
            result.ratios[f"{member} peak RSS {count:,} / {small:,} rows, {WORKERS} processes"] = (
                big_par / small_par
            )
        if isinstance(adapter.file_format, CsvFormat):
            wall = max(med.get("processes", 0.0), med["adapter"])
            how = f"one process {med['adapter']:,.0f}/s ({med_cpu['adapter']:,.0f}/CPU-s)"
            if parallel:
                how += f", {WORKERS} processes {med['processes']:,.0f}/s"
            result.targets[f"{member} >= {CSV_TARGET:,} rows/s (CSV)"] = (
                f"{'met' if wall >= CSV_TARGET else 'missed'} ({how})"
            )
        path.unlink()
        small_path.unlink()
    result.parameters["load_average_after"] = round(os.getloadavg()[0], 2)
    return result

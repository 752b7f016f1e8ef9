"""Synthetic *native* export files: each member's national format, written in constant memory.

``write_export("CO-INPEC", "inpec.csv", count=100_000, seed=1)`` streams the synthetic canonical
profiles of ``adapters.samples.synthetic`` through the adapter's ``render``, so the file is exactly what
the adapter imports (and what the national system would import back). Rows are generated and
written one at a time: memory stays flat from 1 to 1,000,000 rows. The file appears under its
name only once complete (written beside it as ``<name>.part`` first).

    python -m adapters.samples.exports CO-INPEC var/exports --count 100000 --seed 1
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Final

from adapters.countries import COUNTRY_SPECS
from adapters.registry import get_adapter
from adapters.samples.synthetic import DEFAULT_AS_OF, generate_profiles

__all__ = ["MAX_EXPORT_ROWS", "default_file_name", "write_export"]

MAX_EXPORT_ROWS: Final = 1_000_000
_BUFFER: Final = 1 << 20


def default_file_name(member_id: str, count: int, seed: int, extension: str) -> str:
    return f"{member_id.lower()}-seed{seed}-{count}{extension}"


def write_export(member_id: str, path: str | Path, count: int, seed: int, *, start: int = 0,
                 id_error_rate: float = 0.0, as_of: date = DEFAULT_AS_OF) -> Path:
    """Write ``count`` synthetic rows of ``member_id`` in its national format; returns the file.

    ``path`` may be a directory (the file is named after member, seed and count). Rows are those
    of ``generate_profiles(member_id, count, seed, start=start)``, so the same arguments give a
    byte-identical file. ``id_error_rate`` corrupts that share of national ids, to exercise the
    checksum warnings.
    """
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_EXPORT_ROWS:
        raise ValueError(f"count must be a whole number from 1 to {MAX_EXPORT_ROWS:,}, got {count!r}")
    if member_id not in COUNTRY_SPECS:
        known = ", ".join(sorted(COUNTRY_SPECS))
        raise ValueError(f"no synthetic population for {member_id!r}; expected one of {known}")
    adapter = get_adapter(member_id)
    target = Path(path)
    if target.is_dir():
        target = target / default_file_name(member_id, count, seed, adapter.file_extension)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    rows = generate_profiles(member_id, count, seed, start=start, as_of=as_of, id_error_rate=id_error_rate)
    try:
        with partial.open("wb", buffering=_BUFFER) as stream:
            written = adapter.render(rows, stream)
        if written != count:
            raise RuntimeError(f"{member_id} adapter wrote {written} rows of {count}")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m adapters.samples.exports",
                                     description="Write a synthetic national export file.")
    parser.add_argument("member_id", choices=sorted(COUNTRY_SPECS))
    parser.add_argument("path", type=Path, help="file, or directory to create it in")
    parser.add_argument("--count", type=int, default=1000, help=f"rows, 1 to {MAX_EXPORT_ROWS:,}")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--id-error-rate", type=float, default=0.0)
    args = parser.parse_args(argv)
    try:
        out = write_export(args.member_id, args.path, args.count, args.seed, id_error_rate=args.id_error_rate)
    except ValueError as exc:
        parser.error(str(exc))
    sys.stdout.write(f"{out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

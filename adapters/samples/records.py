"""A member's sample non-personal records as JSON Lines: what the ``publish-records`` flow reads.

Synthetic integrity audits and one ethics-training aggregate (:mod:`adapters.samples.integrity`),
and the programme records the member published, or its labelled sample programme
(:mod:`adapters.samples.programmes`), one
``pxhub.v1.Record`` per line in protobuf's JSON mapping. Deterministic for (member, audits, seed).

    python -m adapters.samples.records CO-INPEC var/exports/co-inpec-records.jsonl --audits 2
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from google.protobuf import json_format

from adapters.samples.integrity import generate_ethics_training, generate_integrity_audits
from adapters.samples.members import MEMBER_IDS
from adapters.samples.programmes import records_for, sample_programmes_for
from pxhub.v1 import record_pb2

__all__ = ["sample_records", "write_records"]


def sample_records(member_id: str, audits: int = 1, seed: int = 2025) -> list[record_pb2.Record]:
    """``audits`` integrity audits, the ethics training and the programmes of ``member_id``.

    The programmes are the member's published ones, or its labelled sample when it has none.
    """
    records = [
        record_pb2.Record(integrity_audit=a) for a in generate_integrity_audits(member_id, audits, seed)
    ]
    records.append(record_pb2.Record(ethics_training=generate_ethics_training(member_id, seed)))
    programmes = [*records_for(member_id), *sample_programmes_for(member_id)]
    records.extend(record_pb2.Record(best_practice=p) for p in programmes)
    return records


def write_records(member_id: str, path: str | Path, audits: int = 1, seed: int = 2025) -> Path:
    """Write ``sample_records`` to ``path`` (a file, or a folder to name it in); returns the file."""
    target = Path(path)
    if target.is_dir():
        target = target / f"{member_id.lower()}-records.jsonl"
    target.parent.mkdir(parents=True, exist_ok=True)
    lines = (
        json_format.MessageToJson(r, indent=None, ensure_ascii=False)
        for r in sample_records(member_id, audits, seed)
    )
    partial = target.with_name(target.name + ".part")
    try:
        partial.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m adapters.samples.records",
        description="Write a member's sample audits, ethics training and programmes as JSON Lines.",
    )
    parser.add_argument("member_id", choices=MEMBER_IDS)
    parser.add_argument("path", type=Path, help="file, or directory to create it in")
    parser.add_argument("--audits", type=int, default=1, help="integrity audits to include (default 1)")
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args(argv)
    if args.audits < 0:
        parser.error(f"--audits must be 0 or more, got {args.audits}")
    sys.stdout.write(f"{write_records(args.member_id, args.path, args.audits, args.seed)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

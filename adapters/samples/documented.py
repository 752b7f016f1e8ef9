"""The documented sample export of each member: ten rows, four of them deliberately bad.

``adapters/countries/samples/<member>.<ext>`` are written by ``write_sample`` and committed; a
test regenerates them and compares, so the files, this plan and ``docs/adapters.md`` agree.

Rows 1–10 are synthetic people (nine nationals and one foreigner, seed 2025), written through
the adapter's format with four national values broken on purpose:

| row | what is wrong | expected report |
|---|---|---|
| 3 | admission date 31 February | ``BAD_DATE`` error on the admission-date field; record kept |
| 5 | offence code ``XX-999`` not in the national list | ``UNKNOWN_CODE`` warning; charge kept without ICCS |
| 7 | national id with a wrong check character (CO: a letter) | ``ID_INVALID_CHECKSUM`` warning |
| 9 | national inmate number empty | ``MISSING_REQUIRED`` error; no record |

Row 7 keeps the id with its validation status; the CO cédula has no check digit, so its row reports
``ID_INVALID_FORMAT`` instead.

    python -m adapters.samples.documented            # rewrite all seven
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Final

from adapters import ids
from adapters.contract import Reason
from adapters.countries import COUNTRY_SPECS
from adapters.mapping import ADMITTED_ON, DOCUMENTS, OFFENCES, SUBJECT_ID, NativeRecord
from adapters.national import NationalAdapter
from adapters.registry import get_adapter
from adapters.samples.synthetic import ProfileGenerator
from pxhub.v1 import inmate_profile_pb2 as pb

__all__ = ["SAMPLE_PLAN", "SAMPLE_SEED", "sample_bytes", "sample_rows", "write_sample"]

SAMPLE_SEED: Final = 2025
SAMPLE_ROWS: Final = 10
#: row number → (slot broken, reason the adapter reports, severity, record kept?)
SAMPLE_PLAN: Final[dict[int, tuple[str, str, str, bool]]] = {
    3: (ADMITTED_ON, Reason.BAD_DATE, "error", True),
    5: (OFFENCES, Reason.UNKNOWN_CODE, "warning", True),
    7: (DOCUMENTS, Reason.ID_INVALID_CHECKSUM, "warning", True),
    9: (SUBJECT_ID, Reason.MISSING_REQUIRED, "error", False),
}


def sample_rows(member_id: str) -> list[pb.InmateSecurityProfile]:
    """Nine nationals and (as row 4) one foreigner, in generation order."""
    spec = COUNTRY_SPECS[member_id]
    gen = ProfileGenerator(member_id, SAMPLE_SEED)
    nationals: list[pb.InmateSecurityProfile] = []
    foreigner: pb.InmateSecurityProfile | None = None
    i = 0
    while len(nationals) < SAMPLE_ROWS - 1 or foreigner is None:
        p = gen.profile(i)
        i += 1
        if p.identity.nationalities_iso2[0] == spec.iso2:
            if len(nationals) < SAMPLE_ROWS - 1:
                nationals.append(p)
        elif foreigner is None:
            foreigner = p
    return [*nationals[:3], foreigner, *nationals[3:]]


def _break(rec: NativeRecord, row: int, adapter: NationalAdapter) -> None:
    slot = SAMPLE_PLAN[row][0]
    if slot == ADMITTED_ON:
        rec[ADMITTED_ON] = "2024-02-31" if adapter.dialect.dates.style == "iso" else "31/02/2024"
    elif slot == OFFENCES:
        rec[OFFENCES] = [{"code": "XX-999", "organised": False}, *rec[OFFENCES][1:]]
    elif slot == DOCUMENTS:
        doc = dict(rec[DOCUMENTS][0])
        doc["number"] = _wrong_check(adapter.dialect.spec.id_type, ids.normalize(doc["number"]))
        rec[DOCUMENTS] = [doc, *rec[DOCUMENTS][1:]]
    elif slot == SUBJECT_ID:
        rec[SUBJECT_ID] = ""


def _wrong_check(doc_type: int, number: str) -> str:
    """The id with its check character changed (the CO cédula has none: a letter breaks its format)."""
    if doc_type == ids.CO_CC:
        return number[:-3] + "O" + number[-2:]
    if doc_type == ids.PE_DNI:
        base = number[:8]
        right = ids.pe_check_characters(base)
        return base + "-" + next(d for d in "0123456789" if d not in right)
    k = 8 if doc_type == ids.GT_CUI else len(number) - 1  # the GT check digit precedes the place code
    return f"{number[:k]}{(int(number[k]) + 1) % 10}{number[k + 1:]}"


def sample_bytes(member_id: str) -> bytes:
    """The sample export of ``member_id``, exactly as committed."""
    adapter = get_adapter(member_id)
    if not isinstance(adapter, NationalAdapter):
        raise TypeError(f"{member_id}: samples are written for the built-in adapters only")
    natives = []
    for row, profile in enumerate(sample_rows(member_id), 1):
        rec = adapter.mapper.flatten(profile)
        if row in SAMPLE_PLAN:
            _break(rec, row, adapter)
        natives.append(rec)
    out = io.BytesIO()
    adapter.file_format.write(natives, out, adapter.dialect.booleans, adapter.dialect.list_separator)
    return out.getvalue()


def write_sample(member_id: str, path: Path | None = None) -> Path:
    target = path or get_adapter(member_id).sample_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(sample_bytes(member_id))
    return target


if __name__ == "__main__":
    for member in sorted(COUNTRY_SPECS):
        print(write_sample(member))

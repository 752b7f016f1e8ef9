"""``NationalAdapter``: a country adapter made of a format (bytes ↔ native records) and a dialect.

The seven built-in adapters are instances of this class with their own format, field names and
code lists (``adapters.countries``). A third-party adapter may reuse it the same way, or
implement ``adapters.contract.CountryAdapter`` from scratch: the registry only checks the
protocol.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, Final

from adapters.contract import ParsedRow
from adapters.formats import CsvFormat, NationalFormat
from adapters.mapping import Dialect, ProfileMapper
from adapters.parallel import parse_csv_in_processes
from adapters.rows import map_rows
from pxhub.v1 import inmate_profile_pb2 as pb

__all__ = [
    "SAMPLES_DIR", "NationalAdapter",
]

#: Where the built-in adapters' documented sample exports live.
SAMPLES_DIR: Final = Path(__file__).parent / "countries" / "samples"


class NationalAdapter:
    """Implements ``CountryAdapter`` for one member from a ``Dialect`` and a ``NationalFormat``."""

    def __init__(self, member_id: str, *, dialect: Dialect, file_format: NationalFormat, format_name: str,
                 media_type: str, file_extension: str, sample: Path | None = None) -> None:
        if isinstance(file_format, CsvFormat) and file_format.list_separator != dialect.list_separator:
            raise ValueError(f"{member_id}: the CSV list separator differs from the dialect's")
        self.member_id = member_id
        self.format_name = format_name
        self.media_type = media_type
        self.file_extension = file_extension
        self.encoding = file_format.encoding
        self.dialect = dialect
        self.file_format = file_format
        self.mapper = ProfileMapper(member_id, dialect)
        self._sample = sample if sample is not None else SAMPLES_DIR / f"{member_id.lower()}{file_extension}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.member_id}: {self.format_name}>"

    def parse(self, stream: BinaryIO, *, workers: int | None = 1) -> Iterator[ParsedRow]:
        """Read a national export, one ``ParsedRow`` per row, in order and in bounded memory.

        ``workers`` other than 1 (``None``: one per CPU) maps a CSV export in that many processes
        (``adapters.parallel``); the rows are the same as read here, in the same order. Other
        formats are always read in this process.
        """
        if workers != 1 and isinstance(self.file_format, CsvFormat):
            workers = workers or os.cpu_count() or 1
            return parse_csv_in_processes(self.file_format, self.mapper, stream, workers)
        return map_rows(self.file_format.read_batches(stream), self.mapper, self.file_format.names)

    def render(self, records: Iterable[pb.InmateSecurityProfile], stream: BinaryIO) -> int:
        flatten = self.mapper.flatten
        return self.file_format.write((flatten(r) for r in records), stream, self.dialect.booleans,
                                      self.dialect.list_separator)

    def sample_path(self) -> Path:
        return self._sample

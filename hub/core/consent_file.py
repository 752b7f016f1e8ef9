"""A consent record written by a person: protobuf JSON with friendlier enum names and hex digests.

``pxhub consent register FILE`` reads ``pxhub.v1.ConsentRecord`` as protobuf JSON
(``docs/examples/consent.json``), with two allowances for people who write it by hand:

* enum values by their short name, in any case: ``CUSTODY_TRANSFER``, ``custody_transfer`` or
  ``PURPOSE_CUSTODY_TRANSFER`` (``purposes``, ``dataCategories``, ``legalBasis``);
* ``noticeSha256`` as the 64 hex characters ``sha256sum`` prints, or as protobuf JSON's base64.

Every problem names its field (``purposes[1]: 'CUSTODY' is not one of …``, ``noticeSha256 must be
64 hex characters, got 63``) and is raised as :class:`ConsentFileError`; nothing else escapes.
Pure: text in, a record out. :func:`hub.core.consent.check_record` then checks what 27560 requires.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any, Final

from google.protobuf import json_format
from google.protobuf.descriptor import EnumDescriptor, FieldDescriptor
from google.protobuf.timestamp_pb2 import Timestamp

from pxhub.v1 import consent_pb2

__all__ = ["ConsentFileError", "enum_value_name", "parse_consent_json"]

_HEX: Final = re.compile(r"[0-9a-fA-F]*")
_DIGEST_FIELD: Final = "notice_sha256"
_TIMESTAMP: Final = "google.protobuf.Timestamp"


class ConsentFileError(ValueError):
    """The consent file is not a consent record; the message names the field."""


def _prefix(enum: EnumDescriptor) -> str:
    """The prefix every value name of ``enum`` shares, from its zero value (``PURPOSE_UNSPECIFIED``)."""
    zero = enum.values_by_number[0].name
    return zero.removesuffix("UNSPECIFIED")


def enum_value_name(enum: EnumDescriptor, text: str, where: str) -> str:
    """The full value name for ``text``: full or short (prefix dropped), any case; never UNSPECIFIED."""
    prefix = _prefix(enum)
    name = text.strip().upper()
    for candidate in (name, prefix + name):
        if candidate in enum.values_by_name and not candidate.endswith("_UNSPECIFIED"):
            return candidate
    known = ", ".join(v.name.removeprefix(prefix) for v in enum.values if v.number != 0)
    raise ConsentFileError(f"{where}: {text!r} is not one of {known}")


def _field(name: str) -> FieldDescriptor | None:
    fields = consent_pb2.ConsentRecord.DESCRIPTOR.fields
    return next((f for f in fields if name in (f.json_name, f.name)), None)


def _enum_values(enum: EnumDescriptor, repeated: bool, key: str, value: Any) -> Any:
    if repeated:
        if not isinstance(value, list):
            raise ConsentFileError(f"{key} must be a list of names, e.g. [{_example(enum)!r}]")
        return [_one_enum(enum, f"{key}[{i}]", item) for i, item in enumerate(value)]
    return _one_enum(enum, key, value)


def _one_enum(enum: EnumDescriptor, where: str, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ConsentFileError(f"{where} must be a name such as {_example(enum)!r}")
    if isinstance(value, int):
        if value not in enum.values_by_number or value == 0:
            raise ConsentFileError(f"{where}: {value} is not a value of {enum.name}")
        return value
    return enum_value_name(enum, value, where)


def _example(enum: EnumDescriptor) -> str:
    return enum.values_by_number[1].name.removeprefix(_prefix(enum))


def _digest(key: str, value: Any) -> str:
    """``noticeSha256`` as protobuf JSON wants it (base64), from hex or base64 of 32 bytes."""
    if not isinstance(value, str):
        raise ConsentFileError(f"{key} must be 64 hex characters (the notice's SHA-256)")
    text = value.strip()
    if _HEX.fullmatch(text) and len(text) != 44:  # 44: the length of the base64 of 32 bytes
        if len(text) != 64:
            raise ConsentFileError(f"{key} must be 64 hex characters, got {len(text)}")
        return base64.b64encode(bytes.fromhex(text)).decode("ascii")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ConsentFileError(f"{key} must be 64 hex characters, got {len(text)}") from None
    if len(raw) != 32:
        raise ConsentFileError(f"{key} must be 64 hex characters, got {len(text)}")
    return text


def _normalised(key: str, value: Any) -> Any:
    """A field's value as protobuf JSON reads it (enum names in full, the digest in base64)."""
    field = _field(key)
    if field is None:
        raise ConsentFileError(f"{key!r} is not a field of a consent record")
    if value is None:
        return value
    if field.enum_type is not None:
        return _enum_values(field.enum_type, field.is_repeated, key, value)
    if field.name == _DIGEST_FIELD:
        return _digest(key, value)
    if field.message_type is not None and field.message_type.full_name == _TIMESTAMP:
        _check_time(key, value)
    return value


def _check_time(key: str, value: Any) -> None:
    problem = "" if isinstance(value, str) else f"got {type(value).__name__}"
    if not problem:
        try:
            Timestamp().FromJsonString(value)
        except ValueError:
            problem = f"got {value[:40]!r}"
    if problem:
        raise ConsentFileError(
            f"{key} must be an RFC 3339 time with its offset, e.g. 2025-03-01T08:00:00Z, {problem}"
        )


def parse_consent_json(text: str) -> consent_pb2.ConsentRecord:
    """The consent record in ``text``; raise :class:`ConsentFileError` naming the field at fault."""
    try:
        document = json.loads(text)
    except ValueError as error:
        raise ConsentFileError(f"not JSON: {error}") from None
    if not isinstance(document, dict):
        raise ConsentFileError("not a JSON object (a consent record is one object of named fields)")
    normalised = {key: _normalised(key, value) for key, value in document.items()}
    try:
        return json_format.ParseDict(normalised, consent_pb2.ConsentRecord())
    except json_format.ParseError as error:
        raise ConsentFileError(_parse_error_text(str(error))) from None
    except (ValueError, TypeError, OverflowError) as error:  # a value protobuf cannot hold
        raise ConsentFileError(str(error)) from None


def _parse_error_text(text: str) -> str:
    """protobuf's "Failed to parse validFrom field: …" as "validFrom: …"."""
    found = re.match(r"Failed to parse (\w+) field: (.*)", text, re.S)
    return f"{found.group(1)}: {found.group(2)}" if found else text

"""Pre-encoded protobuf fields ("fragments"): the fast path of building canonical records.

A fragment is the wire encoding of one field seen *from the root message*: for
``custody.admitted_on`` it is ``tag(custody) len( tag(admitted_on) len(<PartialDate>) )``.
Parsing a concatenation of fragments into a message (``MergeFromString``) sets every one of them
in a single call into the protobuf runtime: singular embedded messages that occur several times
are merged, repeated fields are appended in order (protobuf encoding rules, "Last One Wins" and
merging of embedded messages). National exports repeat the same dates, codes, facilities and
courts across thousands of rows, so the adapters cache fragments by the raw national text and a
row costs a few dictionary lookups instead of dozens of Python→C attribute calls.

Field numbers and wire types come from the message descriptors, never from literals, so a field
renumbered in ``proto/`` is picked up here (and an incompatible type change fails at import).
"""

from __future__ import annotations

from typing import Final

from google.protobuf.descriptor import Descriptor, FieldDescriptor

__all__ = ["FieldPath", "encode_varint", "frame_length", "split_frames"]

_VARINT: Final = 0
_LENGTH_DELIMITED: Final = 2
_SMALL: Final = tuple(bytes((n,)) for n in range(128))


def encode_varint(value: int) -> bytes:
    """Base-128 varint of a non-negative integer (negative enums are not used by pxhub)."""
    if 0 <= value < 128:
        return _SMALL[value]
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _tag(number: int, wire_type: int) -> bytes:
    return encode_varint((number << 3) | wire_type)


def frame_length(payload: bytes) -> bytes:
    """The varint length prefix of a length-delimited field."""
    n = len(payload)
    return _SMALL[n] if n < 128 else encode_varint(n)


_length = frame_length


def split_frames(data: bytes, tag: bytes) -> list[bytes]:
    """The payloads of consecutive length-delimited fields that all carry ``tag``: the reverse of
    joining ``tag + frame_length(p) + p`` for each payload. Anything else is a ``ValueError``."""
    payloads: list[bytes] = []
    pos, end, width = 0, len(data), len(tag)
    while pos < end:
        if data[pos:pos + width] != tag:
            raise ValueError(f"expected the field tag {tag.hex()} at byte {pos}")
        pos += width
        n = shift = 0
        while True:
            if pos >= end or shift > 63:
                raise ValueError(f"a length that does not end before byte {pos}")
            byte = data[pos]
            pos += 1
            n |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        if pos + n > end:
            raise ValueError(f"a field of {n} bytes at byte {pos} runs past the end ({end})")
        payloads.append(data[pos:pos + n])
        pos += n
    return payloads


class FieldPath:
    """A field reached from a root message by a dotted path, with its encoders.

    ``FieldPath(InmateSecurityProfile.DESCRIPTOR, "custody.admitted_on").message(date_bytes)``
    gives a fragment that sets ``custody.admitted_on`` when merged into a profile.
    """

    __slots__ = ("_parents", "field", "path", "tag")

    def __init__(self, root: Descriptor, path: str) -> None:
        self.path = path
        parents: list[bytes] = []
        descriptor = root
        parts = path.split(".")
        for i, name in enumerate(parts):
            field = descriptor.fields_by_name.get(name)
            if field is None:
                raise ValueError(f"{root.full_name} has no field {'.'.join(parts[: i + 1])}")
            if i < len(parts) - 1:
                if field.type != FieldDescriptor.TYPE_MESSAGE or field.is_repeated:
                    # each fragment under a repeated parent would append a new element
                    raise ValueError(f"{path}: {name} is not a singular message")
                parents.append(_tag(field.number, _LENGTH_DELIMITED))
                child = field.message_type
                assert child is not None  # a message field has a message type
                descriptor = child
            else:
                self.field = field
        delimited = (FieldDescriptor.TYPE_MESSAGE, FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_BYTES)
        wire = _LENGTH_DELIMITED if self.field.type in delimited else _VARINT
        if wire == _VARINT and self.field.type not in (
                FieldDescriptor.TYPE_ENUM, FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_UINT64,
                FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_BOOL):
            raise ValueError(f"{path}: fields of type {self.field.type} are not supported")
        self.tag = _tag(self.field.number, wire)
        self._parents = tuple(reversed(parents))

    def wrap(self, leaf: bytes) -> bytes:
        """An encoded leaf field (tag included) wrapped in its parent messages."""
        for parent in self._parents:
            leaf = parent + _length(leaf) + leaf
        return leaf

    def leaf_message(self, payload: bytes) -> bytes:
        return self.tag + _length(payload) + payload

    def leaf_string(self, text: str) -> bytes:
        data = text.encode("utf-8", "replace")
        return self.tag + _length(data) + data

    def leaf_varint(self, value: int) -> bytes:
        return self.tag + encode_varint(value)

    def message(self, payload: bytes) -> bytes:
        return self.wrap(self.leaf_message(payload))

    def string(self, text: str) -> bytes:
        """Written out rather than as ``wrap(leaf_string(...))``: a row calls it for each unique text."""
        data = text.encode("utf-8", "replace")
        n = len(data)
        leaf = self.tag + (_SMALL[n] if n < 128 else encode_varint(n)) + data
        for parent in self._parents:
            n = len(leaf)
            leaf = parent + (_SMALL[n] if n < 128 else encode_varint(n)) + leaf
        return leaf

    def varint(self, value: int) -> bytes:
        return self.wrap(self.leaf_varint(value))

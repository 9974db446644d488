"""Just enough of the protocol-buffers wire format to read and write a SentencePiece model.

A SentencePiece model file (``sentencepiece.bpe.model``) is one serialised ``ModelProto``
message. Rather than depend on the ``protobuf`` package at runtime, this module implements the
three pieces of the wire format that the model uses:

* **varints** – unsigned integers in little-endian groups of 7 bits, the high bit of each byte
  saying "more bytes follow"; used for field keys, enums, bools and ints;
* **32-bit fields** – the little-endian IEEE float of a piece's score;
* **length-delimited fields** – a varint length followed by that many bytes; used for strings,
  raw bytes and nested messages.

Every field starts with a *key*: ``(field_number << 3) | wire_type``. The reader below yields
``(field_number, wire_type, value)`` triples and skips nothing silently: an unknown wire type or
a truncated field raises ``ValueError``, which callers turn into a ``CheckpointError``.
"""

from __future__ import annotations

import struct
from typing import Iterator, Tuple, Union

WIRE_VARINT = 0
WIRE_FIXED64 = 1
WIRE_LENGTH_DELIMITED = 2
WIRE_FIXED32 = 5

FieldValue = Union[int, bytes]


# ----------------------------------------------------------------------------- writing


def encode_varint(value: int) -> bytes:
    """Encode a non-negative integer as a protobuf varint.

    Negative ``int32`` values are written as their 64-bit two's complement (10 bytes), which is
    what protobuf does for negative int32 fields.
    """
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while True:
        low_seven_bits = value & 0x7F
        value >>= 7
        if value:
            out.append(low_seven_bits | 0x80)
        else:
            out.append(low_seven_bits)
            return bytes(out)


def _key(field_number: int, wire_type: int) -> bytes:
    return encode_varint((field_number << 3) | wire_type)


def varint_field(field_number: int, value: int) -> bytes:
    """A field holding an integer, enum or bool (bools are written as 0/1)."""
    return _key(field_number, WIRE_VARINT) + encode_varint(int(value))


def float_field(field_number: int, value: float) -> bytes:
    """A ``float`` field: four little-endian IEEE-754 bytes."""
    return _key(field_number, WIRE_FIXED32) + struct.pack("<f", value)


def bytes_field(field_number: int, value: Union[bytes, str]) -> bytes:
    """A length-delimited field: a string (written as UTF-8), raw bytes or a nested message."""
    if isinstance(value, str):
        value = value.encode("utf-8")
    return _key(field_number, WIRE_LENGTH_DELIMITED) + encode_varint(len(value)) + value


# ----------------------------------------------------------------------------- reading


def _read_varint(data: bytes, position: int) -> Tuple[int, int]:
    """Decode the varint starting at ``position``; return ``(value, next_position)``."""
    value = 0
    shift = 0
    while True:
        if position >= len(data):
            raise ValueError("truncated varint")
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, position
        shift += 7
        if shift > 63:
            raise ValueError("varint longer than 10 bytes")


def iter_fields(data: bytes) -> Iterator[Tuple[int, int, FieldValue]]:
    """Yield ``(field_number, wire_type, value)`` for every field of one serialised message.

    ``value`` is an ``int`` for varints, the raw 4 or 8 bytes for fixed-width fields and the
    payload bytes for length-delimited fields (decode nested messages by calling this again).
    """
    position = 0
    while position < len(data):
        key, position = _read_varint(data, position)
        field_number, wire_type = key >> 3, key & 7
        if field_number == 0:
            raise ValueError("field number 0 is not valid")
        if wire_type == WIRE_VARINT:
            value, position = _read_varint(data, position)
        elif wire_type == WIRE_FIXED32 or wire_type == WIRE_FIXED64:
            width = 4 if wire_type == WIRE_FIXED32 else 8
            if position + width > len(data):
                raise ValueError("truncated fixed-width field")
            value = bytes(data[position : position + width])
            position += width
        elif wire_type == WIRE_LENGTH_DELIMITED:
            length, position = _read_varint(data, position)
            if position + length > len(data):
                raise ValueError("truncated length-delimited field")
            value = bytes(data[position : position + length])
            position += length
        else:
            raise ValueError(f"unsupported wire type {wire_type}")
        yield field_number, wire_type, value


def decode_float(raw: bytes) -> float:
    """Decode the four bytes of a ``float`` field."""
    return struct.unpack("<f", raw)[0]

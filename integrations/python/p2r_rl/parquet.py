"""A minimal Parquet writer (standard library only): one row group, uncompressed PLAIN pages, OPTIONAL
columns of int64, double, boolean or UTF-8 strings, as pandas.DataFrame.to_parquet writes TRL's
completions tables. It lets the package write a TRL-shaped `completions_{step:05d}.parquet` where
pandas/pyarrow are not installed (tests, replays). Format: apache/parquet-format, Thrift compact.
"""

from __future__ import annotations

import struct
from typing import Optional

# parquet.thrift enums
_BOOLEAN, _INT64, _DOUBLE, _BYTE_ARRAY = 0, 2, 5, 6
_UTF8 = 0
_OPTIONAL = 1
_PLAIN, _RLE = 0, 3
_UNCOMPRESSED = 0
_DATA_PAGE = 0
# Thrift compact protocol field types
_T_I32, _T_I64, _T_BINARY, _T_LIST, _T_STRUCT = 5, 6, 8, 9, 12


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 63)


class _Struct:
    """Thrift compact encoding of one struct: add fields in increasing id order, then bytes()."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.last = 0

    def _header(self, fid: int, ftype: int) -> None:
        delta = fid - self.last
        if 0 < delta <= 15:
            self.buf.append((delta << 4) | ftype)
        else:
            self.buf.append(ftype)
            self.buf += _varint(_zigzag(fid))
        self.last = fid

    def i32(self, fid: int, v: int) -> "_Struct":
        self._header(fid, _T_I32)
        self.buf += _varint(_zigzag(v))
        return self

    def i64(self, fid: int, v: int) -> "_Struct":
        self._header(fid, _T_I64)
        self.buf += _varint(_zigzag(v))
        return self

    def string(self, fid: int, v: str) -> "_Struct":
        data = v.encode("utf-8")
        self._header(fid, _T_BINARY)
        self.buf += _varint(len(data)) + data
        return self

    def struct(self, fid: int, v: "_Struct") -> "_Struct":
        self._header(fid, _T_STRUCT)
        self.buf += v.bytes()
        return self

    def list(self, fid: int, elem_type: int, items: list) -> "_Struct":
        self._header(fid, _T_LIST)
        n = len(items)
        self.buf.append((n << 4) | elem_type if n < 15 else 0xF0 | elem_type)
        if n >= 15:
            self.buf += _varint(n)
        for item in items:
            if elem_type == _T_STRUCT:
                self.buf += item.bytes()
            elif elem_type == _T_I32:
                self.buf += _varint(_zigzag(item))
            elif elem_type == _T_BINARY:
                data = item.encode("utf-8")
                self.buf += _varint(len(data)) + data
        return self

    def bytes(self) -> bytes:
        return bytes(self.buf) + b"\x00"


def _kind(values: list) -> int:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return _BOOLEAN
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return _INT64
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return _DOUBLE
    if all(isinstance(v, str) for v in present):
        return _BYTE_ARRAY
    raise TypeError("parquet: a column must hold only bools, ints, floats or strings (and None)")


def _def_levels(values: list) -> bytes:
    """Definition levels (1 present, 0 null) as one bit-packed RLE-hybrid run, length-prefixed."""
    groups = (len(values) + 7) // 8
    packed = bytearray(groups)
    for i, v in enumerate(values):
        if v is not None:
            packed[i // 8] |= 1 << (i % 8)
    body = _varint((groups << 1) | 1) + bytes(packed)
    return struct.pack("<I", len(body)) + body


def _plain(kind: int, present: list) -> bytes:
    if kind == _INT64:
        return b"".join(struct.pack("<q", v) for v in present)
    if kind == _DOUBLE:
        return b"".join(struct.pack("<d", float(v)) for v in present)
    if kind == _BOOLEAN:
        packed = bytearray((len(present) + 7) // 8)
        for i, v in enumerate(present):
            if v:
                packed[i // 8] |= 1 << (i % 8)
        return bytes(packed)
    out = bytearray()
    for v in present:
        data = v.encode("utf-8", "surrogatepass")
        out += struct.pack("<I", len(data)) + data
    return bytes(out)


def write_table(path: str, columns: dict[str, list], created_by: Optional[str] = "p2r_rl") -> None:
    """Writes `columns` (name -> values, all of one length) as a Parquet file."""
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"parquet: columns of different lengths {sorted(lengths)}")
    num_rows = lengths.pop() if lengths else 0
    out = bytearray(b"PAR1")
    schema = [_Struct().string(4, "schema").i32(5, len(columns))]
    chunks = []
    total = 0
    for name, values in columns.items():
        kind = _kind(values)
        element = _Struct().i32(1, kind).i32(3, _OPTIONAL).string(4, name)
        if kind == _BYTE_ARRAY:
            element.i32(6, _UTF8)
        schema.append(element)
        present = [v for v in values if v is not None]
        page = _def_levels(values) + _plain(kind, present)
        header = (
            _Struct()
            .i32(1, _DATA_PAGE)
            .i32(2, len(page))
            .i32(3, len(page))
            .struct(5, _Struct().i32(1, num_rows).i32(2, _PLAIN).i32(3, _RLE).i32(4, _RLE))
            .bytes()
        )
        offset = len(out)
        out += header + page
        size = len(header) + len(page)
        total += size
        meta = (
            _Struct()
            .i32(1, kind)
            .list(2, _T_I32, [_PLAIN, _RLE])
            .list(3, _T_BINARY, [name])
            .i32(4, _UNCOMPRESSED)
            .i64(5, num_rows)
            .i64(6, size)
            .i64(7, size)
            .i64(9, offset)
        )
        chunks.append(_Struct().i64(2, offset).struct(3, meta))
    row_group = _Struct().list(1, _T_STRUCT, chunks).i64(2, total).i64(3, num_rows)
    footer = _Struct().i32(1, 1).list(2, _T_STRUCT, schema).i64(3, num_rows).list(4, _T_STRUCT, [row_group])
    if created_by:
        footer.string(6, created_by)
    data = footer.bytes()
    out += data + struct.pack("<I", len(data)) + b"PAR1"
    with open(path, "wb") as f:
        f.write(out)

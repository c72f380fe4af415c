#!/usr/bin/env python3
"""Parse a .safetensors file with the Python standard library only (struct + json) and print what it
holds as one JSON object: metadata, and per tensor its name, dtype, shape, element count, the sum of
its values (a float64 sum, in order) and the SHA-256 of its bytes; plus the SHA-256 of the whole file.

It checks what the reference reader (huggingface/safetensors) checks: header length within the file,
UTF-8 JSON object header, string-only __metadata__, known dtypes, size = product(shape) x dtype size,
offsets contiguous from 0 to the end of the file (no overlaps, no holes). Exit status 1 and a message
on stderr when the file is invalid. Usage: python3 scripts/check_safetensors.py FILE
"""
import hashlib
import json
import struct
import sys

SIZES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2,
         "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8}
FORMATS = {"F32": "f", "F16": "e", "F64": "d", "I8": "b", "U8": "B", "I16": "h", "U16": "H",
           "I32": "i", "U32": "I", "I64": "q", "U64": "Q", "BOOL": "?"}


def fail(msg):
    print(f"check_safetensors: {msg}", file=sys.stderr)
    sys.exit(1)


def values(dtype, raw):
    if dtype == "BF16":
        n = len(raw) // 2
        return struct.unpack(f"<{n}f", b"".join(b"\0\0" + raw[2 * i:2 * i + 2] for i in range(n)))
    if dtype in FORMATS:
        return struct.unpack(f"<{len(raw) // SIZES[dtype]}{FORMATS[dtype]}", raw)
    return ()  # F8 types: no sum


def main(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        fail(f"{path}: {len(data)} bytes, too short for the header length")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        fail(f"{path}: header length {n} extends beyond the file ({len(data)} bytes)")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        fail(f"{path}: header is not UTF-8 JSON: {e}")
    if not isinstance(header, dict):
        fail(f"{path}: header is not a JSON object")
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        fail(f"{path}: __metadata__ must map strings to strings")
    buf = data[8 + n:]
    entries = sorted(header.items(), key=lambda kv: tuple(kv[1].get("data_offsets", (0, 0))))
    cursor = 0
    tensors = []
    for name, info in entries:
        dtype, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in SIZES:
            fail(f"tensor {name!r}: unknown dtype {dtype!r}")
        count = 1
        for d in shape:
            count *= d
        if end - begin != count * SIZES[dtype]:
            fail(f"tensor {name!r}: shape {shape} x {dtype} != data_offsets [{begin}, {end}]")
        if begin != cursor:
            fail(f"tensor {name!r}: begins at {begin}, expected {cursor} (overlap or hole)")
        if end > len(buf):
            fail(f"tensor {name!r}: ends at {end}, beyond the {len(buf)}-byte buffer")
        cursor = end
        raw = buf[begin:end]
        total = 0.0
        for v in values(dtype, raw):
            total += v
        tensors.append({"name": name, "dtype": dtype, "shape": shape, "count": count, "sum": total,
                        "sha256": hashlib.sha256(raw).hexdigest()})
    if cursor != len(buf):
        fail(f"{path}: {len(buf) - cursor} bytes after the last tensor belong to no tensor")
    print(json.dumps({"metadata": metadata, "tensors": tensors,
                      "sha256": hashlib.sha256(data).hexdigest()}, indent=1))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        fail("usage: python3 scripts/check_safetensors.py FILE")
    main(sys.argv[1])

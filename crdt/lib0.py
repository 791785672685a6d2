"""lib0 binary encoding (varUint, varInt, varUint8Array, varString) as used by Yjs.

pycrdt's own ``Encoder.write_var_string`` writes the code-point count instead of the
UTF-8 byte length (docs/protocols.md §4.3), so we keep our own.
"""

from __future__ import annotations

MAX_VARUINT_BYTES = 10  # a 64-bit value never needs more; anything longer is hostile


class DecodeError(ValueError):
    """The bytes do not follow the lib0 encoding."""


def write_var_uint(value: int) -> bytes:
    if value < 0:
        raise ValueError("varUint must be >= 0")
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def write_var_bytes(data: bytes) -> bytes:
    return write_var_uint(len(data)) + data


def write_var_string(text: str) -> bytes:
    return write_var_bytes(text.encode("utf-8"))


class Reader:
    """A cursor over one frame. Every read checks bounds and raises DecodeError."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def read_var_uint(self) -> int:
        data, pos = self.data, self.pos
        if pos < len(data) and data[pos] < 0x80:  # fast path: one byte
            self.pos = pos + 1
            return data[pos]
        value = 0
        shift = 0
        for i in range(MAX_VARUINT_BYTES):
            if pos + i >= len(data):
                raise DecodeError("truncated varUint")
            byte = data[pos + i]
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                self.pos = pos + i + 1
                return value
        raise DecodeError("varUint too long")

    def read_var_int(self) -> int:
        first = self._byte()
        value = first & 0x3F
        negative = bool(first & 0x40)
        shift = 6
        more = bool(first & 0x80)
        count = 1
        while more:
            if count >= MAX_VARUINT_BYTES:
                raise DecodeError("varInt too long")
            byte = self._byte()
            value |= (byte & 0x7F) << shift
            shift += 7
            more = bool(byte & 0x80)
            count += 1
        return -value if negative else value

    def read_var_bytes(self) -> bytes:
        length = self.read_var_uint()
        end = self.pos + length
        if end > len(self.data):
            raise DecodeError("length prefix runs past the end of the frame")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def read_var_string(self) -> str:
        raw = self.read_var_bytes()
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecodeError("string is not valid UTF-8") from exc

    def read_byte(self) -> int:
        return self._byte()

    def skip(self, count: int) -> None:
        if self.pos + count > len(self.data):
            raise DecodeError("unexpected end of frame")
        self.pos += count

    def read_rest(self) -> bytes:
        chunk = self.data[self.pos :]
        self.pos = len(self.data)
        return chunk

    def expect_end(self) -> None:
        if self.pos != len(self.data):
            raise DecodeError(f"{self.remaining()} unexpected trailing bytes")

    def _byte(self) -> int:
        if self.pos >= len(self.data):
            raise DecodeError("unexpected end of frame")
        byte = self.data[self.pos]
        self.pos += 1
        return byte

"""Opening evidence: read-only, hashed, decompressed transparently, as a stream of bytes.

Evidence is never opened for writing, and is opened with ``O_NOATIME`` where the system
allows it, so reading does not even change the access times.  Compressed files are
recognised by their magic bytes and decompressed at most ``READ_BLOCK`` bytes at a time
(``max_length``), so a decompression bomb never holds more than one block in memory; a
truncated or corrupt archive yields what could be read plus a warning, and a cap on
decompressed size stops the file.
"""

from __future__ import annotations

import bz2
import codecs
import errno
import hashlib
import lzma
import os
import stat
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from forensics.ingest_messages import note

READ_BLOCK = 1 << 20


#: Default cap on the decompressed size of one file.
DEFAULT_MAX_DECOMPRESSED = 32 << 30


@dataclass
class StreamStatus:
    """What happened while decompressing one file."""

    compression: str | None = None
    decompressed_bytes: int = 0
    #: bytes of the file itself read so far (compressed when it is compressed): progress
    raw_bytes: int = 0
    members: int = 1
    warnings: list[str] = field(default_factory=list)
    #: "lf" (the usual), "cr" (lone CR line ends, old Mac: lines are split on CR)
    line_ends: str = "lf"
    #: text encoding decoded to UTF-8 before reading ("utf-16-le"/"utf-16-be" from a BOM)
    encoding: str | None = None
    #: False when the system refused O_NOATIME for this file (its access time may change)
    noatime: bool = True


#: O_NOATIME where the system has it (Linux): reading leaves the access time as it was.
_NOATIME = getattr(os, "O_NOATIME", 0)


def _open_readonly(path: Path, status: StreamStatus | None = None):
    """Open for reading only; O_NOFOLLOW refuses a symlink swapped in after the walk.

    ``O_NOATIME`` is asked for first; the system refuses it (EPERM) to a user who does not
    own the file, and some file systems do not support it: the file is then opened without
    it, and ``status.noatime`` says so (its access time may have changed).
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    used = False
    fd = -1
    if _NOATIME:
        try:
            fd = os.open(path, flags | _NOATIME)
            used = True
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EINVAL, errno.EOPNOTSUPP):
                raise
    if fd < 0:
        fd = os.open(path, flags)
    if status is not None:
        status.noatime = status.noatime and used
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(f"{path} is not a regular file")
    return os.fdopen(fd, "rb", buffering=0)


def hash_file(path: Path) -> tuple[str, bool]:
    """SHA-256 of the file's bytes as received, and whether it was read with O_NOATIME."""
    h = hashlib.sha256()
    status = StreamStatus()
    with _open_readonly(path, status) as fh:
        while block := fh.read(READ_BLOCK):
            h.update(block)
    return h.hexdigest(), status.noatime


def sha256_file(path: Path) -> str:
    """SHA-256 of the file's bytes as received."""
    return hash_file(path)[0]


def sniff_compression(head: bytes) -> str | None:
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh"):
        return "bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    return None


def _decompressor(kind: str):
    if kind == "gzip":
        return zlib.decompressobj(wbits=31)
    if kind == "bzip2":
        return bz2.BZ2Decompressor()
    return lzma.LZMADecompressor()


def open_stream(path: Path, status: StreamStatus, max_bytes: int = DEFAULT_MAX_DECOMPRESSED) -> Iterator[bytes]:
    """Yield the file's content in blocks of at most ``READ_BLOCK`` bytes, decompressed
    when it is gzip, bzip2 or xz, as text whose lines end with ``\\n``.

    Multi-member (concatenated) archives are read whole.  A truncated or corrupt archive
    stops with a warning after yielding what could be read; so does the size cap.  A file
    whose first bytes only look like a compression header (a text log starting with
    ``BZh``) and that yields nothing when decompressed is read as it is, with a warning.

    Two text oddities are handled here, flagged on ``status`` and in a warning: a file
    with lone CR line ends (no LF in its first block) has each CR read as a line end (the
    byte offsets do not move), and a file starting with a UTF-16 byte order mark is
    decoded to UTF-8 (byte offsets are then those of the UTF-8 text).
    """
    yield from _as_text(_content(path, status, max_bytes), status)


def _content(path: Path, status: StreamStatus, max_bytes: int) -> Iterator[bytes]:
    with _open_readonly(path, status) as fh:
        kind = sniff_compression(fh.read(6))
    if kind is not None:
        produced = False
        for block in _decompressed(path, kind, status, max_bytes):
            produced = True
            yield block
        if produced or not status.warnings:
            status.compression = kind
            return
        status.warnings.append(note("stream.not_compressed", kind=kind))
    yield from _plain(path, status)


def _as_text(blocks: Iterator[bytes], status: StreamStatus) -> Iterator[bytes]:
    """Lone CR line ends become LF; UTF-16 with a BOM becomes UTF-8 (see ``open_stream``)."""
    first = next(blocks, None)
    if first is None:
        return
    if _utf16(first):
        status.encoding = "utf-16-le" if first.startswith(codecs.BOM_UTF16_LE) else "utf-16-be"
        status.warnings.append(note("stream.utf16", encoding=status.encoding.upper()))
        # backslashreplace: a lone surrogate or an odd last byte shows as \\xNN, never dropped
        decoder = codecs.getincrementaldecoder("utf-16")("backslashreplace")
        for block in _chain(first, blocks):
            text = decoder.decode(block)
            if text:
                yield text.encode("utf-8", "surrogatepass")
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail.encode("utf-8", "surrogatepass")
        return
    if b"\n" not in first and b"\r" in first:
        status.line_ends = "cr"
        status.warnings.append(note("stream.lone_cr"))
        for block in _chain(first, blocks):
            yield block.replace(b"\r", b"\n")
        return
    yield from _chain(first, blocks)


def _utf16(first: bytes) -> bool:
    """Does the file start with a UTF-16 byte order mark followed by valid UTF-16 text?

    A BOM alone, or followed by bytes that are not UTF-16 (a binary file that happens to
    start with FF FE), is not taken for text: the file is read as bytes.
    """
    if not first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    sample = first[: min(len(first), 4096)]
    sample = sample[: len(sample) // 2 * 2]
    if len(sample) < 4:
        return False
    codec = "utf-16-le" if first.startswith(codecs.BOM_UTF16_LE) else "utf-16-be"
    try:
        text = sample[2:].decode(codec)
    except UnicodeDecodeError as exc:
        # a surrogate pair cut by the end of the sample is not an error
        if exc.start < len(sample) - 2 - 4:
            return False
        text = sample[2 : 2 + exc.start].decode(codec)
    return "\x00" not in text


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def _plain(path: Path, status: StreamStatus) -> Iterator[bytes]:
    with _open_readonly(path, status) as fh:
        while block := fh.read(READ_BLOCK):
            status.decompressed_bytes += len(block)
            status.raw_bytes += len(block)
            yield block


def _decompressed(path: Path, kind: str, status: StreamStatus, max_bytes: int) -> Iterator[bytes]:
    """Decompress ``READ_BLOCK`` bytes of output at most per step (``max_length``).

    The cap is checked before each step is handed on, so memory never holds more than one
    block of output whatever the compression ratio (a few KB of bzip2 can expand to GB).
    """
    with _open_readonly(path, status) as fh:

        def read() -> bytes:
            block = fh.read(READ_BLOCK)
            status.raw_bytes += len(block)
            return block

        dec = _decompressor(kind)
        pending = b""  # compressed bytes read but not yet given to the decompressor
        more = False  # the last step filled its output: the decompressor may hold more
        members = 1
        while True:
            if not dec.eof and not pending and not more and (kind == "gzip" or dec.needs_input):
                pending = read()
                if not pending:
                    status.warnings.append(note("stream.truncated", kind=kind, n=status.decompressed_bytes))
                    return
            try:
                if kind == "gzip":
                    out = dec.decompress(pending, READ_BLOCK)
                    pending = dec.unconsumed_tail
                else:
                    out = dec.decompress(pending, max_length=READ_BLOCK)
                    pending = b""
            except (zlib.error, OSError, lzma.LZMAError, EOFError) as exc:
                status.warnings.append(note("stream.corrupt", kind=kind, n=status.decompressed_bytes, error=str(exc)))
                return
            more = len(out) >= READ_BLOCK
            if out:
                if status.decompressed_bytes + len(out) > max_bytes:
                    keep = max_bytes - status.decompressed_bytes
                    if keep > 0:
                        status.decompressed_bytes += keep
                        yield out[:keep]
                    status.warnings.append(note("stream.cap", n=max_bytes))
                    return
                status.decompressed_bytes += len(out)
                yield out
            if dec.eof:
                rest = dec.unused_data or read()
                if not rest:
                    status.members = members
                    return
                if kind == "gzip" and not rest.startswith(b"\x1f\x8b"):
                    if rest.strip(b"\x00"):
                        status.warnings.append(note("stream.trailing_garbage", kind=kind, n=len(rest)))
                    return
                members += 1
                dec = _decompressor(kind)
                pending, more = rest, False

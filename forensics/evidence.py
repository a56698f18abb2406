"""Evidence intake: walk a folder read-only, hash every file, decompress transparently.

Evidence is never opened for writing.  Symlinks that leave the root, FIFOs, sockets and
devices are listed as skipped (never opened, so nothing blocks).  Compressed files are
recognised by their magic bytes; a truncated or corrupt archive yields what could be read
plus a warning, and a cap on decompressed size stops bombs.
"""

from __future__ import annotations

import bz2
import hashlib
import lzma
import os
import re
import stat
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

READ_BLOCK = 1 << 20
#: Default cap on the decompressed size of one file.
DEFAULT_MAX_DECOMPRESSED = 32 << 30

_COMPRESSED_SUFFIX = re.compile(r"\.(gz|bz2|xz)$")
_ROTATION = [
    re.compile(r"^(?P<base>.+?)\.(?P<n>\d{1,3})$"),  # access.log.1, server_audit.log.9
    re.compile(r"^(?P<base>.+?)[-_.](?P<date>\d{8})(?:\d{2,6})?$"),  # access_log-20241027
    re.compile(r"^(?P<base>.+?)[-_.](?P<date>\d{4}-\d{2}-\d{2})$"),  # app.log.2024-10-27
]


@dataclass
class EvidenceFile:
    """One regular file of the evidence, with its identity and rotation position."""

    path: Path  # absolute
    relpath: str  # relative to the root, with '/'
    size: int
    sha256_before: str = ""
    sha256_after: str = ""
    source: str = ""  # rotation set key
    rotation_rank: tuple[int, str] = (0, "")  # sorts oldest first
    compression: str | None = None


@dataclass
class Skipped:
    """Something in the evidence folder that was not read, and why."""

    relpath: str
    reason: str


@dataclass
class StreamStatus:
    """What happened while decompressing one file."""

    compression: str | None = None
    decompressed_bytes: int = 0
    #: bytes of the file itself read so far (compressed when it is compressed): progress
    raw_bytes: int = 0
    members: int = 1
    warnings: list[str] = field(default_factory=list)


def relpath_of(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def walk(root: Path, exclude: list[str] | None = None) -> tuple[list[EvidenceFile], list[Skipped]]:
    """Regular files under ``root`` (sorted), and what was skipped.

    Directory symlinks are not descended (no loops); file symlinks are followed only when
    their target stays inside the root.  ``exclude`` holds globs relative to the root.
    """
    root = root.resolve()
    files: list[EvidenceFile] = []
    skipped: list[Skipped] = []
    matchers = [glob_regex(g) for g in exclude or []]
    candidates = [root] if root.is_file() else None
    if candidates is not None:
        st = root.stat()
        return [EvidenceFile(path=root, relpath=root.name, size=st.st_size)], []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        base = Path(dirpath)
        for name in list(dirnames):
            full = base / name
            if full.is_symlink():
                skipped.append(Skipped(relpath_of(full, root), "directory symlink not followed"))
                dirnames.remove(name)
        for name in sorted(filenames):
            full = base / name
            rel = relpath_of(full, root)
            if any(m.match(rel) for m in matchers):
                skipped.append(Skipped(rel, "excluded by the case config"))
                continue
            entry = _classify(full, rel, root)
            if isinstance(entry, Skipped):
                skipped.append(entry)
            else:
                files.append(entry)
    files.sort(key=lambda f: f.relpath)
    return files, skipped


def _classify(full: Path, rel: str, root: Path) -> EvidenceFile | Skipped:
    try:
        lst = os.lstat(full)
    except OSError as exc:
        return Skipped(rel, f"cannot stat: {exc.strerror}")
    target = full
    if stat.S_ISLNK(lst.st_mode):
        try:
            target = full.resolve(strict=True)
        except (OSError, RuntimeError):
            return Skipped(rel, "broken or looping symlink")
        if not target.is_relative_to(root):
            return Skipped(rel, "symlink pointing outside the evidence root not followed")
        lst = os.stat(target)
    mode = lst.st_mode
    if stat.S_ISFIFO(mode):
        return Skipped(rel, "FIFO skipped (never opened)")
    if stat.S_ISSOCK(mode):
        return Skipped(rel, "socket skipped")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return Skipped(rel, "device skipped")
    if not stat.S_ISREG(mode):
        return Skipped(rel, "not a regular file")
    return EvidenceFile(path=target, relpath=rel, size=lst.st_size)


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob relative to the root: ``**`` crosses folders, ``*`` and ``?`` do not."""
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j == -1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : j].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("^" + "".join(out) + "$")


def _open_readonly(path: Path):
    """Open for reading only; O_NOFOLLOW refuses a symlink swapped in after the walk."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(f"{path} is not a regular file")
    return os.fdopen(fd, "rb", buffering=0)


def sha256_file(path: Path) -> str:
    """SHA-256 of the file's bytes as received."""
    h = hashlib.sha256()
    with _open_readonly(path) as fh:
        while block := fh.read(READ_BLOCK):
            h.update(block)
    return h.hexdigest()


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
    """Yield the file's content in blocks, decompressed when it is gzip, bzip2 or xz.

    Multi-member (concatenated) archives are read whole.  A truncated or corrupt archive
    stops with a warning after yielding what could be read; so does the size cap.  A file
    whose first bytes only look like a compression header (a text log starting with
    ``BZh``) and that yields nothing when decompressed is read as it is, with a warning.
    """
    with _open_readonly(path) as fh:
        kind = sniff_compression(fh.read(6))
    if kind is not None:
        produced = False
        for block in _decompressed(path, kind, status, max_bytes):
            produced = True
            yield block
        if produced or not status.warnings:
            status.compression = kind
            return
        status.warnings.append(f"starts like {kind} but does not decompress: read as plain bytes")
    yield from _plain(path, status)


def _plain(path: Path, status: StreamStatus) -> Iterator[bytes]:
    with _open_readonly(path) as fh:
        while block := fh.read(READ_BLOCK):
            status.decompressed_bytes += len(block)
            status.raw_bytes += len(block)
            yield block


def _decompressed(path: Path, kind: str, status: StreamStatus, max_bytes: int) -> Iterator[bytes]:
    with _open_readonly(path) as fh:
        dec = _decompressor(kind)
        pending = b""
        members = 1
        while True:
            if pending:
                block, pending = pending, b""
            else:
                block = fh.read(READ_BLOCK)
                status.raw_bytes += len(block)
            if not block:
                if not dec.eof:
                    status.warnings.append(
                        f"{kind} stream truncated: read {status.decompressed_bytes} bytes, the rest is missing"
                    )
                return
            try:
                out = dec.decompress(block)
            except (zlib.error, OSError, lzma.LZMAError, EOFError) as exc:
                status.warnings.append(f"{kind} stream corrupt after {status.decompressed_bytes} bytes: {exc}")
                return
            if out:
                if status.decompressed_bytes + len(out) > max_bytes:
                    keep = max_bytes - status.decompressed_bytes
                    if keep > 0:
                        status.decompressed_bytes += keep
                        yield out[:keep]
                    status.warnings.append(f"decompression cap of {max_bytes} bytes reached: rest of the file not read")
                    return
                status.decompressed_bytes += len(out)
                yield out
            if dec.eof:
                rest = dec.unused_data or fh.read(READ_BLOCK)
                if not rest:
                    status.members = members
                    return
                if kind == "gzip" and not rest.startswith(b"\x1f\x8b"):
                    if rest.strip(b"\x00"):
                        status.warnings.append(f"trailing garbage after {kind} member ignored ({len(rest)}+ bytes)")
                    return
                members += 1
                dec = _decompressor(kind)
                pending = rest


def source_key(relpath: str) -> tuple[str, tuple[int, str]]:
    """Rotation set of a file, and a rank that sorts the set oldest first.

    ``access.log.2.gz`` < ``access.log.1`` < ``access.log`` (numbered: higher is older);
    ``access_log-20241026`` < ``access_log-20241027`` < ``access_log`` (dated: later is newer).
    """
    folder, _, name = relpath.rpartition("/")
    bare = _COMPRESSED_SUFFIX.sub("", name)
    for rx in _ROTATION:
        m = rx.match(bare)
        if not m:
            continue
        base = m.group("base")
        prefix = f"{folder}/" if folder else ""
        if "n" in m.groupdict() and m.group("n") is not None:
            return prefix + base, (-int(m.group("n")), "")
        return prefix + base, (-1, m.group("date"))
    return relpath if not _COMPRESSED_SUFFIX.search(name) else (f"{folder}/" if folder else "") + bare, (0, "")

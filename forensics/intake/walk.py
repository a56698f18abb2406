"""Walking the evidence: every file found, named and placed in its rotation set; nothing opened.

Symlinks that leave the root, FIFOs, sockets and devices are listed as skipped (never
opened, so nothing blocks); a folder or file that cannot be read is listed as skipped with
the system's reason; a second name of a file already read (a symlink inside the evidence,
a hard link) is listed as an alias and read once.  Opening, hashing and decompressing the
files is ``forensics.intake.stream``'s job.

A file name that is not valid UTF-8 is written with each undecodable byte as ``\\xNN``
(Python's ``backslashreplace``) and each backslash doubled, and flagged ``name_escaped``:
the original bytes can be rebuilt from it, and nothing downstream ever sees a string that
cannot be encoded.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from forensics.ingest_messages import note

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
    #: True when the name is not valid UTF-8 and ``relpath`` shows its bytes as ``\\xNN``
    name_escaped: bool = False
    #: other names of this same file (symlinks, hard links) that were not read again
    aliases: list[str] = field(default_factory=list)
    #: was every open of this file done with O_NOATIME (None: not opened yet)
    noatime: bool | None = None
    #: found under a symlink's name (``path`` is the target)
    symlink: bool = False


@dataclass
class Skipped:
    """Something in the evidence folder that was not read, and why."""

    relpath: str
    reason: str


def display_name(name: str) -> tuple[str, bool]:
    """A file name as text that can always be encoded, and whether it had to be escaped.

    Names come from the system as ``surrogateescape`` strings.  In a name that is not
    valid UTF-8, every backslash is doubled and every undecodable byte becomes ``\\xNN``
    (``backslashreplace``): with the ``name_escaped`` flag the original bytes can always be
    rebuilt.  Control characters stay as they are here (the manifest is JSON, which
    escapes them); terminals and the report escape them.
    """
    try:
        name.encode("utf-8")
        return name, False
    except UnicodeEncodeError:
        raw = os.fsencode(name).replace(b"\\", b"\\\\")
        return raw.decode("utf-8", "backslashreplace"), True


def relpath_of(path: Path, root: Path) -> str:
    return display_name(path.relative_to(root).as_posix())[0]


def walk(root: Path, exclude: list[str] | None = None) -> tuple[list[EvidenceFile], list[Skipped]]:
    """Regular files under ``root`` (sorted), and what was skipped.

    Directory symlinks are not descended (no loops); file symlinks are followed only when
    their target stays inside the root.  ``exclude`` holds globs relative to the root.
    """
    root = root.resolve()
    files: list[EvidenceFile] = []
    skipped: list[Skipped] = []
    matchers = [glob_regex(g) for g in exclude or []]
    if root.is_file():
        st = root.stat()
        name, escaped = display_name(root.name)
        return [EvidenceFile(path=root, relpath=name, size=st.st_size, name_escaped=escaped)], []

    def unreadable(exc: OSError) -> None:
        # os.walk cannot list this folder: say so rather than skip it in silence
        where = Path(exc.filename) if exc.filename else root
        rel = relpath_of(where, root) if where != root else "."
        skipped.append(Skipped(rel, note("walk.cannot_read_folder", error=str(exc.strerror or exc))))

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable, followlinks=False):
        dirnames.sort()
        base = Path(dirpath)
        for name in list(dirnames):
            full = base / name
            if full.is_symlink():
                skipped.append(Skipped(relpath_of(full, root), note("walk.dir_symlink")))
                dirnames.remove(name)
        for name in sorted(filenames):
            full = base / name
            rel = relpath_of(full, root)
            if any(m.match(rel) for m in matchers):
                skipped.append(Skipped(rel, note("walk.excluded")))
                continue
            entry = _classify(full, rel, root)
            if isinstance(entry, Skipped):
                skipped.append(entry)
            else:
                files.append(entry)
    files.sort(key=lambda f: f.relpath)
    skipped.sort(key=lambda sk: sk.relpath)
    return _fold_aliases(files, skipped)


def _fold_aliases(files: list[EvidenceFile], skipped: list[Skipped]) -> tuple[list[EvidenceFile], list[Skipped]]:
    """One file read once: a second name of it (symlink inside the root, hard link) is an alias.

    The name that is not a symlink wins (the first in path order among equals); the others
    are listed as skipped with the name they stand for, and on the file as ``aliases``.
    """
    by_identity: dict[tuple[int, int], list[EvidenceFile]] = {}
    for f in files:
        try:
            st = os.stat(f.path)
        except OSError:
            continue
        by_identity.setdefault((st.st_dev, st.st_ino), []).append(f)
    dropped: set[int] = set()
    for group in by_identity.values():
        if len(group) < 2:
            continue
        keep = min(group, key=lambda f: (f.symlink, f.relpath))
        for other in group:
            if other is keep:
                continue
            dropped.add(id(other))
            keep.aliases.append(other.relpath)
            if other.symlink:
                reason = note("walk.alias_symlink", kept=keep.relpath)
            else:
                reason = note("walk.alias_hard_link", kept=keep.relpath)
            skipped.append(Skipped(other.relpath, reason))
    if dropped:
        files = [f for f in files if id(f) not in dropped]
        skipped.sort(key=lambda sk: sk.relpath)
    return files, skipped


def _classify(full: Path, rel: str, root: Path) -> EvidenceFile | Skipped:
    try:
        lst = os.lstat(full)
    except OSError as exc:
        return Skipped(rel, note("walk.cannot_stat", error=str(exc.strerror)))
    target = full
    if stat.S_ISLNK(lst.st_mode):
        try:
            target = full.resolve(strict=True)
        except (OSError, RuntimeError):
            return Skipped(rel, note("walk.broken_symlink"))
        if not target.is_relative_to(root):
            return Skipped(rel, note("walk.outside_symlink"))
        lst = os.stat(target)
    mode = lst.st_mode
    if stat.S_ISFIFO(mode):
        return Skipped(rel, note("walk.fifo"))
    if stat.S_ISSOCK(mode):
        return Skipped(rel, note("walk.socket"))
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return Skipped(rel, note("walk.device"))
    if not stat.S_ISREG(mode):
        return Skipped(rel, note("walk.not_regular"))
    escaped = display_name(full.relative_to(root).as_posix())[1]
    return EvidenceFile(path=target, relpath=rel, size=lst.st_size, name_escaped=escaped, symlink=target != full)


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


def shown(path: Path | str) -> str:
    """A path as text that can always be printed and stored (undecodable bytes as ``\\xNN``)."""
    return display_name(str(path))[0]

"""How long freed memory is kept before it goes back to the system, for ``forensics ingest``.

Polars allocates with jemalloc (on Linux) and sets it to return freed pages after half a
second (``dirty_decay_ms:500,muzzy_decay_ms:1000``: polars' own defaults, chosen to keep its
resident memory low).  Ingest frees and allocates the same large buffers chunk after chunk
(lines, parsed columns, spilled parts); pages returned between two chunks are faulted in
again by the next: on the 10 M-event simulated case the kernel's share was a fifth of the
ingest's CPU time (25 of 123 CPU-s).  Keeping freed pages five seconds halves the page
faults and the kernel's share (about 11 CPU-s less), for about 300 MiB more at the peak:
about 6 % less CPU and 5 % less wall time over four alternated runs (the memory budget
still bounds what ingest holds; see docs/performance.md).

Only the ``ingest`` command gets it: correlation's frames are larger and held whole, and
the same setting raised its peak by 0.8 GiB (past the 4 GiB target at 10 M events); so
``investigate``, which runs both in one process, keeps polars' defaults.

jemalloc reads its options once, when polars loads: ``configure`` must run before the first
``import polars``, which is why ``forensics.cli`` imports this module first.  A setting the
user made (``_RJEM_MALLOC_CONF`` in the environment) is left as it is, and so is a process
where polars is already loaded (a notebook): there it could not take effect.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

#: jemalloc's environment variable as polars' build names it (its symbols are prefixed).
ENV = "_RJEM_MALLOC_CONF"
#: Freed pages kept five seconds before they are returned (polars: 0.5 and 1 s).
INGEST_OPTIONS = "dirty_decay_ms:5000,muzzy_decay_ms:5000"
#: The commands that get ``INGEST_OPTIONS``.
TUNED_COMMANDS = frozenset({"ingest"})


def options_for(argv: Sequence[str], environ: dict[str, str] | os._Environ[str], polars_loaded: bool) -> str | None:
    """The allocator options to set for this command line, or None to leave them alone."""
    if polars_loaded or ENV in environ:
        return None
    command = next((a for a in argv if not a.startswith("-")), None)
    return INGEST_OPTIONS if command in TUNED_COMMANDS else None


def configure(argv: Sequence[str] | None = None) -> str | None:
    """Set the allocator options for the command in ``argv`` (default: this process's); the options set, or None."""
    chosen = options_for(sys.argv[1:] if argv is None else argv, os.environ, "polars" in sys.modules)
    if chosen is not None:
        os.environ[ENV] = chosen
    return chosen


#: What ``configure`` set when ``forensics.cli`` imported this module (None: nothing).
APPLIED = configure()

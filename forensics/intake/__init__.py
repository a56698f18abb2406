"""Intake: from an evidence folder to ``events.parquet``, ``rejects.parquet`` and ``manifest.json``.

One job per module, in the order the data flows:

* ``walk``: every file of the evidence, named, placed in its rotation set (nothing opened);
* ``stream``: a file opened read-only (``O_NOATIME``), hashed, decompressed, as bytes;
* ``detect``: which parser reads a file (literals, then a parse score on a sample);
* ``reader``: bytes -> numbered lines (UTF-8 or latin-1, nothing dropped) -> records;
* ``references``: the files a parser needs beside its own, found among the walked files;
* ``parsing``: chunks parsed ahead in threads; a failing record costs only itself;
* ``accounting``: where every line went (event, blank, meta, reject), per file;
* ``enrichment``: provenance, ids, client IP, zone and ``related.*`` on every event;
* ``store`` and ``writer``: events held in memory up to a budget, then spilled; one ordered write;
* ``manifest``: what was read and what became of it, for every file and source;
* ``engine``: ``ingest``, which runs them in turn.

Time decisions (zones, DST, years, clock skew) are ``forensics.time``'s.
"""

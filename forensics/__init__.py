"""forensic-timeline: reconstruct an intrusion timeline from web, database and application logs.

The library is the product; the ``forensics`` command is a thin layer over the same calls,
with the same option names::

    import forensics
    case = forensics.investigate("sample_evidence", out="out", config="sample_evidence/case.toml")
    case.events, case.rejects, case.manifest, case.sessions, case.links, case.findings
    case.account("adm.interop"); case.timeline(); case.report()
    case = forensics.load("out")                  # open an output folder written earlier
    forensics.app.ingest_only("sample_evidence", out="out2")  # read only, no correlation

Names are imported on first use, so ``import forensics`` stays cheap for the command.
"""

from forensics._version import __version__ as __version__

#: Public name -> the module that defines it.
_PUBLIC = {
    "investigate": "forensics.app",
    "Options": "forensics.app",
    "ExitCode": "forensics.app",
    "AppError": "forensics.app",
    "UsageError": "forensics.app",
    "InputError": "forensics.app",
    "OutputRefused": "forensics.app",
    "ReportNotWritten": "forensics.app",
    "load": "forensics.case",
    "Case": "forensics.case",
    "AccountView": "forensics.case",
    "NotAnOutputFolder": "forensics.case",
    "EVENT_SCHEMA": "forensics.schema",
}

__all__ = sorted([*_PUBLIC, "__version__"])


def __getattr__(name: str):
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'forensics' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__

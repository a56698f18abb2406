"""forensic-timeline: reconstruct an intrusion timeline from web, database and application logs.

The library is the product; the ``forensics`` command is a thin layer over it::

    import forensics
    case = forensics.investigate("sample_evidence", config="sample_evidence/case.toml")
    case.events, case.rejects, case.manifest, case.sessions, case.findings
    case.account("adm.interop"); case.timeline(); case.report()
    forensics.load(paths, config=...)      # ingest only
"""

__version__ = "0.1.0"

from forensics.schema import EVENT_SCHEMA

__all__ = ["EVENT_SCHEMA", "Case", "__version__", "investigate", "load"]


def __getattr__(name: str):  # lazy: importing the package stays cheap for the CLI
    if name in {"Case", "investigate", "load"}:
        from forensics import case

        return getattr(case, name)
    raise AttributeError(name)

"""Correlation and detection: sessions, cross-source links, detectors, verdicts, exfiltration.

The public entry point is ``correlate(out_dir_or_events, config=None, accounts=())``; the
building blocks (``sessionize_web``, ``classify_ips``...) are pure functions of frames that
keep every row and add documented columns, so a notebook can ``.pipe()`` them on its own
selection of events.  What an application's URLs mean is its profile's job
(``forensics.apps.profile_for(name).label_activity(web)``), not correlation's, so no
application's function is exported from here.
"""

from forensics.correlate.ipcontext import IpContext, classify_ips
from forensics.correlate.pipeline import Correlation, correlate, prepare
from forensics.correlate.sessions import sessionize_app, sessionize_db, sessionize_web
from forensics.correlate.thresholds import DEFAULT, Thresholds

__all__ = [
    "DEFAULT",
    "Correlation",
    "IpContext",
    "Thresholds",
    "classify_ips",
    "correlate",
    "prepare",
    "sessionize_app",
    "sessionize_db",
    "sessionize_web",
]

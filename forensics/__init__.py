"""forensic-timeline: reconstruct an intrusion timeline from web, database and application logs."""

__version__ = "0.1.0"

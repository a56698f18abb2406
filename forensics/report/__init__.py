"""The attack-timeline report: one self-contained, safe, reproducible HTML file (see docs/report.md)."""

from forensics.report.inputs import ReportError
from forensics.report.report import Report, build_report, timeline_figure, write_report

__all__ = ["Report", "ReportError", "build_report", "timeline_figure", "write_report"]

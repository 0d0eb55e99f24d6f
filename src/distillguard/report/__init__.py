"""Report: render detections as one self-contained HTML page for a trust-and-safety analyst.

:func:`render_report` reads the contract files of a detections directory (``accounts.csv``,
``campaigns.json``, ``summary.json``) and writes ``report.html`` beside them.
"""

from distillguard.report.render import load_report_data, render_report

__all__ = ["load_report_data", "render_report"]

"""Report: render detections as one self-contained HTML page for a trust-and-safety analyst.

:func:`render_report` reads the contract files of a detections directory (``accounts.csv``,
``campaigns.json`` schema v1 or v2, ``summary.json``) and writes ``report.html`` beside them (or
where ``out`` says); ``distillguard report DIR`` does the same from the command line.
"""

from distillguard.report.render import load_report_data, render_html, render_report

__all__ = ["load_report_data", "render_html", "render_report"]

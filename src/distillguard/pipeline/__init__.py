"""Pipeline: wire the stages together — ingest, request signals, account behaviour, linkage,
campaigns — for the ``detect`` command and the Python API.

>>> from distillguard.pipeline import run_detect  # doctest: +SKIP
>>> detections = run_detect([Path("logs/")], Path("out/"))  # doctest: +SKIP
"""

from distillguard.pipeline.config import DetectConfig, config_from_dict, load_config
from distillguard.pipeline.detect import detect
from distillguard.pipeline.run import RunOptions, run_detect

__all__ = ["DetectConfig", "RunOptions", "config_from_dict", "detect", "load_config", "run_detect"]

"""One Spark session for the whole test run (start-up takes several seconds)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from distillguard.engine import java_available, spark_session


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    if not java_available():
        pytest.skip("Spark tests need a Java runtime (none on PATH or JAVA_HOME)")
    session = spark_session("local[2]")
    yield session
    session.stop()

"""``distillguard report DIR [--out FILE]``: re-render the page from a detections directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from distillguard.cli import main
from distillguard.engine import ENGINES
from distillguard.ingest import ADAPTERS
from tests.report.fixtures import write_v2


def test_report_rerenders_into_the_directory_or_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    det = tmp_path / "det"
    write_v2(det)
    assert main(["report", str(det)]) == 0
    page = det / "report.html"
    assert "cmp-7f3a" in page.read_text() and capsys.readouterr().out.strip() == str(page)
    other = tmp_path / "copy.html"
    assert main(["report", str(det), "--out", str(other), "--campaign-accounts", "5"]) == 0
    assert "top 5 by score shown" in other.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{missing}"], "not a directory"),
        (["{empty}"], "accounts.csv"),
        (["{det}", "--out", "{det}"], "must be a file path"),
        (["{det}", "--out", "{missing}/r.html"], "does not exist"),
        (["{det}", "--top-accounts", "-1"], "0 or more"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    det, empty = tmp_path / "det", tmp_path / "empty"
    write_v2(det)
    empty.mkdir()
    paths = {"det": det, "empty": empty, "missing": tmp_path / "missing"}
    assert main(["report", *[a.format(**paths) for a in args]]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("distillguard report: error:") and message in err
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "missing").exists()


def test_help_lists_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["detect", "--help"])
    out = capsys.readouterr().out
    assert "{" + ",".join(ADAPTERS) + "}" in out
    assert "{" + ",".join(ENGINES) + "}" in out and "{auto,bar,lines}" in out
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    assert "benchmark" in capsys.readouterr().out.split("--preset")[1]

"""What a long sync says about itself: pages, records, rate and time left."""

from __future__ import annotations

import pytest

from connector.cli.sync import ProgressBar
from connector.sync.progress import ProgressReport, duration_text


@pytest.mark.parametrize(("seconds", "text"), [(0.4, "0 s"), (45, "45 s"), (185, "3 min 05 s"),
                                               (7440, "2 h 04 min")])
def test_durations_read_short(seconds: float, text: str) -> None:
    assert duration_text(seconds) == text


def test_a_report_gives_pages_records_rate_and_time_left() -> None:
    report = ProgressReport(done=10, total=40, records=2_500, elapsed=20.0)
    assert report.percent == 25.0
    assert report.line() == ("10 of 40 pages (25%), 2,500 records, 125 records/s, "
                             "about 1 min 00 s left")


def test_the_last_report_says_no_time_left_and_an_empty_run_is_done() -> None:
    assert ProgressReport(4, 4, 90, 3.0).line() == "4 of 4 pages (100%), 90 records, 30 records/s"
    assert ProgressReport(0, 0, 0, 0.0).percent == 100.0
    assert ProgressReport(0, 5, 0, 0.0).seconds_left is None


def test_on_a_terminal_the_bar_is_redrawn_in_place(capsys: pytest.CaptureFixture[str]) -> None:
    bar = ProgressBar()
    bar.tty = True
    bar(ProgressReport(1, 4, 100, 1.0))
    bar(ProgressReport(4, 4, 400, 4.0))
    err = capsys.readouterr().err
    assert err.startswith("\r  [######..................] 1 of 4 pages (25%)")
    assert "\r  [########################] 4 of 4 pages (100%)" in err and err.endswith("\n")


def test_elsewhere_each_report_is_a_line(capsys: pytest.CaptureFixture[str]) -> None:
    bar = ProgressBar()
    bar.tty = False
    bar(ProgressReport(2, 4, 200, 1.0))
    assert capsys.readouterr().err == ("  synced 2 of 4 pages (50%), 200 records, 200 records/s, "
                                       "about 1 s left\n")

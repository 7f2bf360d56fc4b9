"""The live log measures new lines as Textual's Log does, only faster."""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import App, ComposeResult
from textual.widgets import Log

from nvwizard.tui.widgets.live_log import LiveLog, widest


def log_width(line: str) -> int:
    return cell_len(Log._process_line(line))


def test_widest_is_the_log_s_own_measure():
    samples = [
        ["Setting up nvidia-utils-595-server (595.45.04-0ubuntu0.24.04.1) ..."],
        ["short", "a much longer line of DKMS output: Building module(s)........ done."],
        ["tab\tseparated\tcolumns", "x"],
        ["\x1b[1mbold\x1b[0m escape"],
        ["wide 中文字符 line", "narrow"],
        ["é accented", "plain"],
        ["bell \x07 and nul \x00"],
    ]
    for lines in samples:
        assert widest(lines) == max(log_width(line) for line in lines), lines
    assert widest([]) == 0


def test_textual_log_still_has_the_hooks_live_log_relies_on():
    # If a Textual release renames these, LiveLog must follow (or go).
    assert callable(getattr(Log, "_update_size", None))
    assert callable(getattr(Log, "_update_maximum_width", None))


class LogApp(App):
    def compose(self) -> ComposeResult:
        yield LiveLog(max_lines=5)


async def test_live_log_keeps_the_bound_and_scrolls_as_wide_as_its_widest_line():
    app = LogApp()
    async with app.run_test(size=(40, 10)) as pilot:
        log = app.query_one(LiveLog)
        log.write_lines([f"line {n}" for n in range(8)] + ["x" * 70])
        assert log.virtual_size.width == 70  # measured in place, not by a worker later
        await pilot.pause()
        assert list(log.lines) == ["line 4", "line 5", "line 6", "line 7", "x" * 70]
        assert log.virtual_size.width == 70


class TwoLogsApp(App):
    def compose(self) -> ComposeResult:
        yield LiveLog(max_lines=5)
        yield Log(max_lines=5)


async def test_a_batch_longer_than_the_bound_shows_what_the_log_would_have_kept():
    """A long batch is cut to its newest lines before writing; what shows is the same as
    Textual's Log shows for all of it (a line break inside a line, an empty line)."""
    batch = [f"line {n}" for n in range(20)] + ["two\nparts", "", "last"]
    app = TwoLogsApp()
    async with app.run_test(size=(40, 10)) as pilot:
        live = app.query_one(LiveLog)
        plain = next(log for log in app.query(Log) if not isinstance(log, LiveLog))
        live.write_lines(batch)
        plain.write_lines(batch)
        await pilot.pause()
        assert list(live.lines) == list(plain.lines)
        assert list(live.lines) == ["line 18", "line 19", "two", "parts", "last"]
        live.write_lines(["dpkg \r(Reading database ... 5%\x1b[2K"])  # shown, never obeyed
        await pilot.pause()
        assert list(live.lines)[-1] == "dpkg \\r(Reading database ... 5%\\x1b[2K"

"""Progress of snapshots: one redrawn line on a terminal, whole lines in a log."""

import io

from ftrack_local.snapshot.progress import ProgressReport


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self):
        return True


def run_capture_events(report):
    report("resuming", work="/tmp/shot.partial")
    report("step", step="Task by project_id", number=3, steps=40, chunks=2, done=1)
    report("chunk", step="Task by project_id", done=2, chunks=2, rows=120)
    report("step", step="Status", number=4, steps=40, chunks=1, done=0)
    report("files", done=1, files=2)
    report("files", done=2, files=2)
    report("finished", path="/tmp/shot", types=12, entities=340, files=2)


def test_a_log_gets_whole_lines_only():
    stream = io.StringIO()
    report = ProgressReport(stream)
    assert not report.live
    run_capture_events(report)
    assert stream.getvalue() == (
        "Resuming the unfinished snapshot in /tmp/shot.partial\n"
        "component files: 2\n"
        "Snapshot written to /tmp/shot: 340 entities of 12 types, 2 component files.\n")


def test_a_verbose_log_gets_a_line_per_step():
    stream = io.StringIO()
    run_capture_events(ProgressReport(stream, verbose=True))
    lines = stream.getvalue().splitlines()
    assert "[3/40] Task by project_id: 2 queries (1 read before)" in lines
    assert "[4/40] Status: 1 query" in lines
    assert "\r" not in stream.getvalue()


def test_a_terminal_gets_one_line_redrawn_and_ends_it_before_a_message():
    stream = Terminal()
    report = ProgressReport(stream)
    assert report.live
    report("step", step="Status", number=4, steps=40, chunks=3, done=0)
    report("chunk", step="Status", done=1, chunks=3, rows=16)
    assert stream.getvalue() == "\r\033[K[4/40] Status: 3 queries\r\033[KStatus: 1/3 queries"
    report("finished", path="/tmp/shot", types=1, entities=16, files=0)
    assert stream.getvalue().endswith(
        "Status: 1/3 queries\nSnapshot written to /tmp/shot: 16 entities of 1 type, 0 component files.\n")


def test_a_terminal_shows_loading_and_its_summary():
    stream = Terminal()
    report = ProgressReport(stream)
    report("type", type="Status", entities=0)
    assert stream.getvalue() == ""
    report("files", done=3, files=3)
    report("type", type="Shot", entities=12)
    report("loaded", entities=12, types=1, files=3, seconds=0.31)
    assert stream.getvalue() == ("\r\033[Kcomponent files: 3/3\r\033[Kloaded 12 Shot\n"
                                 "Loaded 12 entities of 1 type and 3 component files in 0.3 s.\n")


def test_unknown_events_are_ignored():
    stream = Terminal()
    ProgressReport(stream)("something new", value=1)
    assert stream.getvalue() == ""

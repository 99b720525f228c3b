"""Progress of taking and loading snapshots, shown on a terminal.

:class:`ProgressReport` is the ``progress`` callback the command line gives
:class:`~.capture.Capture` and :func:`~.load.load`. On a terminal one line
is redrawn as queries finish; elsewhere (a CI log) only whole lines are
written, one per step.
"""

from __future__ import annotations

import sys
from typing import Any, Optional, TextIO


class ProgressReport:
    """Writes progress events to *stream* (standard error by default)."""

    def __init__(self, stream: Optional[TextIO] = None, verbose: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.verbose = verbose
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        self._open_line = False

    def __call__(self, event: str, **details: Any) -> None:
        """Show one event (see the events :class:`~.capture.Capture` and :func:`~.load.load` send)."""
        handler = getattr(self, "_on_" + event, None)
        if handler is not None:
            handler(**details)

    def _line(self, text: str) -> None:
        if self._open_line:
            self.stream.write("\n")
            self._open_line = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def _redraw(self, text: str) -> None:
        if self.live:
            self.stream.write("\r\033[K" + text)
            self.stream.flush()
            self._open_line = True

    def _on_resuming(self, work: str) -> None:
        self._line("Resuming the unfinished snapshot in {0}".format(work))

    def _on_step(self, step: str, number: int, steps: int, chunks: int, done: int) -> None:
        text = "[{0}/{1}] {2}: {3} quer{4}".format(number, steps, step, chunks, "y" if chunks == 1 else "ies")
        if done:
            text += " ({0} read before)".format(done)
        if self.live:
            self._redraw(text)
        elif self.verbose:
            self._line(text)

    def _on_chunk(self, step: str, done: int, chunks: int, rows: int) -> None:
        self._redraw("{0}: {1}/{2} queries".format(step, done, chunks))

    def _on_files(self, done: int, files: int) -> None:
        self._redraw("component files: {0}/{1}".format(done, files))
        if not self.live and done == files:
            self._line("component files: {0}".format(files))

    def _on_type(self, type: str, entities: int) -> None:
        if entities:
            self._redraw("loaded {0} {1}".format(entities, type))

    def _on_finished(self, path: str, types: int, entities: int, files: int) -> None:
        self._line("Snapshot written to {0}: {1} of {2}, {3}.".format(
            path, counted(entities, "entity", "entities"), counted(types, "type"), counted(files, "component file")))

    def _on_loaded(self, entities: int, types: int, files: int, seconds: float) -> None:
        self._line("Loaded {0} of {1} and {2} in {3:.1f} s.".format(
            counted(entities, "entity", "entities"), counted(types, "type"), counted(files, "component file"),
            seconds))


def counted(number: int, one: str, many: str = "") -> str:
    """*number* with its noun: ``1 type``, ``3 types``."""
    return "{0:,} {1}".format(number, one if number == 1 else (many or one + "s"))

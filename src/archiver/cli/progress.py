"""The live display of ``archiver poll`` on a terminal: one line per running source.

Each line shows the source, a bar of its article pages (done of those to fetch) and the URL
being fetched; a finished source leaves the display. Log lines are printed above the bars
(the archiver logger's handlers write through rich's console while the display is live),
never glued to them.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.text import Text

from archiver.logs import escape, get_logger
from archiver.models import PollReport

URL_WIDTH = 60


class ConsoleHandler(logging.Handler):
    """A log handler that prints each formatted line above rich's live display."""

    def __init__(self, console: Console, formatter: logging.Formatter | None) -> None:
        super().__init__()
        self.console = console
        if formatter is not None:
            self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.console.print(Text(self.format(record)), soft_wrap=True, highlight=False)
        except Exception:
            self.handleError(record)


class LiveDisplay:
    """``with LiveDisplay(total) as display: poll_now(..., display=display)``."""

    def __init__(self, total: int, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.total = total
        self.finished = 0
        self._progress = Progress(
            TextColumn("{task.fields[source]:<14}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TextColumn("{task.fields[url]}", style="dim"),
            console=self.console,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._tasks: dict[str, TaskID] = {}
        self._lock = threading.Lock()
        self._saved: list[logging.Handler] = []
        self._summary = self._progress.add_task("", total=total, source="sources", url="")

    def __enter__(self) -> LiveDisplay:
        logger = get_logger()
        self._saved = list(logger.handlers)
        formatter = self._saved[0].formatter if self._saved else None
        logger.handlers[:] = [ConsoleHandler(self.console, formatter)]
        self._progress.start()
        self._refresh_summary()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()
        get_logger().handlers[:] = self._saved

    def _refresh_summary(self) -> None:
        self._progress.update(
            self._summary, completed=self.finished, url=f"{len(self._tasks)} running"
        )

    def start(self, source: str) -> None:
        with self._lock:
            self._tasks[source] = self._progress.add_task(
                "", total=None, source=escape(source)[:14], url="reading the listing"
            )
            self._refresh_summary()

    def update(self, source: str, done: int, total: int, url: str | None) -> None:
        with self._lock:
            task = self._tasks.get(source)
            if task is None:
                return
            shown = escape(url or "")
            if len(shown) > URL_WIDTH:
                shown = shown[: URL_WIDTH - 1] + "…"
            self._progress.update(task, completed=done, total=total, url=shown)

    def finish(self, report: PollReport) -> None:
        with self._lock:
            task = self._tasks.pop(report.source, None)
            if task is not None:
                self._progress.remove_task(task)
            self.finished += 1
            self._refresh_summary()

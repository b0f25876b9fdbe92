"""One log line per unit of work, and the one terminal escaper every output path uses.

Log lines go to stderr, so whether they are text or JSON follows stderr (``--log-format``
overrides it): ``archiver poll > out.txt`` still logs text on the terminal.

Values from the web (titles, URLs, error texts) are untrusted: ``escape`` shows C0 and C1
control characters (ESC among them, so no ANSI sequence survives), DEL, lone surrogates,
line/paragraph separators and the bidi embeddings, overrides, isolates and marks as
escapes (``\\x1b``, ``\\u202e``), so a page can neither drive the terminal nor make a line
read as something it is not. ``archiver search``, ``show``, ``sources``, ``poll``, error
lines and the text log all go through it; JSON log lines keep the data faithful and carry
the same characters as JSON ``\\u`` escapes.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Any, TextIO

LOGGER = "archiver"
# C0 but tab, DEL + C1, the Arabic letter mark, LRM/RLM, line/paragraph separators,
# LRE/RLE/PDF/LRO/RLO, LRI/RLI/FSI/PDI, lone surrogates
_UNSAFE = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
    "\u2066-\u2069\ud800-\udfff]"
)
# the same but C0 (json.dumps escapes C0 in strings; outside them a newline is layout)
_JSON_UNSAFE = re.compile(
    "[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r"}
_LINE_BREAKING = re.compile("[\t\n\v\f\r]")


def _shown(match: re.Match[str]) -> str:
    ch = match.group(0)
    code = ord(ch)
    return _NAMED.get(ch) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def escape(text: object, *, oneline: bool = False) -> str:
    """``text`` safe for a terminal (None is ""). ``oneline``: tabs and line breaks become
    spaces and runs of whitespace one space first (table cells, search hits); otherwise a
    newline shows as ``\\n`` and a tab stays a tab (log lines, an article's fields)."""
    if text is None:
        return ""
    value = str(text)
    if oneline:
        value = _LINE_BREAKING.sub(" ", value)
    value = _UNSAFE.sub(_shown, value)
    return " ".join(value.split()) if oneline else value


def safe_json(text: str) -> str:
    """JSON text with the characters ``escape`` hides written as ``\\uXXXX`` (the same JSON
    value; json.dumps already escapes C0, and the rest only occur inside strings)."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def get_logger() -> logging.Logger:
    return logging.getLogger(LOGGER)


def event(
    logger: logging.Logger, message: str, *, level: int = logging.INFO, **fields: Any
) -> None:
    """Log one unit of work: ``message`` plus structured fields."""
    logger.log(level, message, extra={"fields": fields})


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "msg": record.getMessage(),
        }
        data.update(getattr(record, "fields", {}) or {})
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return safe_json(json.dumps(data, ensure_ascii=False, default=str))


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", {}) or {}
        parts = [
            self.formatTime(record, "%H:%M:%S"),
            record.levelname.lower().ljust(7),
            escape(record.getMessage()),
        ]
        parts += [f"{k}={_show(v)}" for k, v in fields.items() if v is not None]
        line = " ".join(parts)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _show(value: object) -> str:
    text = escape(value)
    return json.dumps(text, ensure_ascii=False) if (" " in text or not text) else text


def setup_logging(
    *, json_lines: bool | None = None, level: int = logging.INFO, stream: TextIO | None = None
) -> None:
    """Send archiver's log to ``stream`` (stderr); JSON lines when it is not a terminal."""
    stream = stream or sys.stderr
    if json_lines is None:
        isatty = getattr(stream, "isatty", None)
        json_lines = not (callable(isatty) and isatty())
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    logger = get_logger()
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False

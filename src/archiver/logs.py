"""One log line per unit of work: readable text on a terminal, JSON lines otherwise.

Values from the web (titles, URLs, error texts) are escaped: a control character or an ANSI
escape in a page never reaches the terminal or breaks a JSON line.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any, TextIO

LOGGER = "archiver"
_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x20), 0x7F] if c not in (0x09,)}
_CONTROL.update({0x0A: "\\n", 0x0D: "\\r"})
_C1 = {c: f"\\x{c:02x}" for c in range(0x80, 0xA0)}
# bidi embeddings/overrides/isolates and marks: they make a terminal line lie about its text
_BIDI = {
    c: f"\\u{c:04x}"
    for c in (0x61C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
}
# the same, DEL and C1 as JSON escapes (json.dumps already escapes C0)
_JSON_UNSAFE = {c: f"\\u{c:04x}" for c in (0x7F, *range(0x80, 0xA0), *_BIDI)}


def escape(text: object) -> str:
    """``text`` with control characters (C0, DEL, C1, ANSI ESC) shown as escapes."""
    return str(text).translate(_CONTROL).translate(_C1).translate(_BIDI)


def safe_json(text: str) -> str:
    """JSON text with DEL, C1 and bidi controls written as ``\\uXXXX`` (the same JSON value):
    raw, they would drive or mislead the terminal the output lands on."""
    return text.translate(_JSON_UNSAFE)


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
        return json.dumps(data, ensure_ascii=False, default=str)


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
    """Send archiver's log to ``stream`` (stderr); JSON when stdout is not a terminal."""
    stream = stream or sys.stderr
    if json_lines is None:
        json_lines = not sys.stdout.isatty()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    logger = get_logger()
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False

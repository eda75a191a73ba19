"""JSON-lines logging, with context from `extra={...}` as fields.

A child of `ioc up` logs to stderr, which its supervisor sends to `<data_dir>/logs/<name>.log`;
`ioc up` itself logs to `up.log` there, and keeps the terminal for short lines a person reads.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def __init__(self, process_name: str = "") -> None:
        super().__init__()
        self.process_name = process_name

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if self.process_name:
            line["proc"] = self.process_name
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def setup_logging(level: str = "INFO", process_name: str = "",
                  log_file: Path | None = None) -> None:
    """JSON lines on stderr, or appended to `log_file` (its folder is created) when given."""
    if log_file is None:
        handler: logging.Handler = logging.StreamHandler(sys.stderr)
    else:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(JsonFormatter(process_name))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.captureWarnings(True)  # a library's warning is a log line too, not a stray stderr one
    # Client libraries are chatty at INFO (Alembic announces each plugin it loads); their
    # warnings still come through.
    for noisy in ("uvicorn.access", "alembic", "werkzeug", "httpx", "amqtt", "transitions"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # kafka-python warns about every slow event-loop turn; its errors still come through.
    logging.getLogger("kafka").setLevel(logging.ERROR)

"""Log lines: readable text by default, one JSON object a line with ``LOG_FORMAT=json``.

Every line carries ``request_id`` (``-`` outside a request or a task that has one), and in
a Celery task ``task`` and ``task_id``. Each formatter passes its whole output through
``scrub_secrets``, so an Authorization header, a token field or an OAuth ``code`` in a URL
never reaches the log, whatever logged it (a message, its arguments, an ``extra`` field or
a traceback).
"""

import logging
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from core.observability.context import current_request_id, current_task
from core.observability.scrub import scrub_secrets

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(message)s %(request_id)s"
FORMATS = ("text", "json")


class RequestContextFilter(logging.Filter):
    """Stamps each record with the request id (and the task) of the context that logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        task = current_task()
        if task is not None:
            record.task, record.task_id = task
        return True


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = "-"
        return scrub_secrets(super().format(record))


class JsonFormatter(_JsonFormatter):
    """python-json-logger's formatter: ``timestamp`` (ISO 8601, UTC), ``level``, ``logger``,
    ``message``, ``request_id``, any ``extra`` fields, ``exc_info`` for tracebacks."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", True)
        kwargs.setdefault("defaults", {"request_id": "-"})
        super().__init__(*args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        return scrub_secrets(super().format(record))


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """The ``LOGGING`` setting for ``log_format`` ("text" or "json") at ``level``."""
    if log_format not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}")
    formatter: dict[str, Any] = (
        {"()": "core.observability.logs.JsonFormatter", "fmt": JSON_FIELDS}
        if log_format == "json"
        else {"()": "core.observability.logs.TextFormatter", "format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_context": {"()": "core.observability.logs.RequestContextFilter"}},
        "formatters": {"chorus": formatter},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "chorus", "filters": ["request_context"]}
        },
        "root": {"handlers": ["console"], "level": level},
        # SQL at DEBUG would print every query's parameters: keep it quiet unless asked.
        "loggers": {"django.db.backends": {"level": "INFO"}},
    }

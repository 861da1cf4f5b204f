"""Log lines: text or JSON, the request id on each, secrets scrubbed whatever carried them."""

import io
import json
import logging
import logging.config

import pytest

from core.observability.context import clean_request_id, current_request_id, request_id_bound
from core.observability.logs import logging_config
from core.observability.scrub import scrub_personal, scrub_secrets


@pytest.fixture
def emit():
    """Log through a handler configured exactly as LOGGING says (``logging_config``), into a buffer."""
    made = []

    def configure(log_format: str):
        config = logging_config(log_format=log_format, level="DEBUG")
        handler_config = config["handlers"]["console"]
        # dictConfig builds the formatter and filter from the same dotted paths production uses.
        logging.config.dictConfig({
            "version": 1, "disable_existing_loggers": False,
            "filters": config["filters"], "formatters": config["formatters"],
            "handlers": {"probe": {**handler_config, "stream": io.StringIO()}},
            "loggers": {"probe": {"handlers": ["probe"], "level": "DEBUG", "propagate": False}},
        })
        logger = logging.getLogger("probe")
        made.append(logger)
        return logger, logger.handlers[0].stream

    yield configure
    for logger in made:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)


def test_json_lines_parse_and_carry_the_request_id(emit):
    logger, stream = emit("json")
    with request_id_bound("req-7f3a"):
        logger.info("share %s queued", 42, extra={"share_id": 42})
    logger.warning("outside any request")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "share 42 queued" and first["level"] == "INFO" and first["logger"] == "probe"
    assert first["request_id"] == "req-7f3a" and first["share_id"] == 42
    assert first["timestamp"].endswith("+00:00")
    assert second["request_id"] == "-"


def test_json_tracebacks_stay_one_line_and_lose_their_secrets(emit):
    logger, stream = emit("json")
    try:
        raise RuntimeError("refresh failed: refresh_token=r3fr3sh-abc client_secret=s3cret")
    except RuntimeError:
        logger.exception("token refresh for account %s failed", 7)
    [line] = stream.getvalue().splitlines()
    record = json.loads(line)
    assert "RuntimeError" in record["exc_info"]
    assert "r3fr3sh-abc" not in line and "s3cret" not in line
    assert "refresh_token=[redacted]" in record["exc_info"]


def test_text_lines_are_readable_with_the_request_id(emit):
    logger, stream = emit("text")
    with request_id_bound("abc123"):
        logger.info("GET %s", "/callback?code=AUTHCODE&state=xyz&next=/feed")
    line = stream.getvalue().strip()
    assert " INFO probe [abc123] GET /callback?code=[redacted]&state=[redacted]&next=/feed" in line
    assert "AUTHCODE" not in line


def test_secrets_in_extra_fields_are_scrubbed_too(emit):
    logger, stream = emit("json")
    logger.info("calling the provider", extra={"headers": {"Authorization": "Bearer tok-123456789"}})
    line = stream.getvalue()
    assert "tok-123456789" not in line and "[redacted]" in line


def test_an_unknown_log_format_is_refused():
    with pytest.raises(ValueError, match="LOG_FORMAT must be one of text, json"):
        logging_config(log_format="xml", level="INFO")


@pytest.mark.parametrize("text, expected", [
    ("Authorization: Bearer eyJhbGciOi.J9x", "Authorization: [redacted]"),
    ("Bearer abcdefgh1234", "Bearer [redacted]"),
    ('{"access_token": "at-1", "expires_in": 3600}', '{"access_token": "[redacted]", "expires_in": 3600}'),
    ("password=hunter2&user=ann", "password=[redacted]&user=ann"),
    ("/sso/callback?state=s1&code=c2", "/sso/callback?state=[redacted]&code=[redacted]"),
    ("/unsubscribe?token=t-9", "/unsubscribe?token=[redacted]"),
    ("share 42 posted as urn:li:share:7", "share 42 posted as urn:li:share:7"),  # ids stay
    ("token validation failed; basic setup done", "token validation failed; basic setup done"),  # prose stays
    ("Task advocacy.share_post[3f6b1c52-5b0c-4d7e-9d7b-2f1f4a1e8a90] succeeded",
     "Task advocacy.share_post[3f6b1c52-5b0c-4d7e-9d7b-2f1f4a1e8a90] succeeded"),
])
def test_scrub_secrets(text, expected):
    assert scrub_secrets(text) == expected


def test_scrub_personal_also_takes_email_addresses():
    assert scrub_personal("no account for ann.lee+x@example.co.uk (token=abc)") == "no account for [email] (token=[redacted])"


@pytest.mark.parametrize("value, accepted", [
    ("3f6b1c525b0c4d7e9d7b2f1f4a1e8a90", True),
    ("req-42:a.b_c", True),
    ("x" * 128, True),
    ("x" * 129, False),
    ("", False),
    ("two words", False),
    ("evil\nINFO forged line", False),
    ('quote"d', False),
    (None, False),
])
def test_which_incoming_request_ids_are_accepted(value, accepted):
    assert (value is not None and clean_request_id(value) == value) is accepted


@pytest.mark.django_db
def test_each_request_gets_an_id_in_the_response_and_the_log(client, caplog):
    from core.observability.logs import RequestContextFilter

    caplog.handler.addFilter(RequestContextFilter())
    caplog.set_level(logging.WARNING, logger="django.request")
    first = client.get("/no-such-page/")
    second = client.get("/no-such-page/")
    assert first.status_code == 404
    ids = [first.headers["X-Request-ID"], second.headers["X-Request-ID"]]
    assert all(len(i) == 32 for i in ids) and ids[0] != ids[1]
    # Django's "Not Found" warning was logged inside the request, with its id.
    assert [r.request_id for r in caplog.records if r.name == "django.request"] == ids
    assert current_request_id() is None  # nothing leaks past the request


@pytest.mark.django_db
def test_a_sane_incoming_request_id_is_kept_and_a_forged_one_replaced(client):
    kept = client.get("/healthz", headers={"X-Request-ID": "lb-2024-abc"})
    assert kept.headers["X-Request-ID"] == "lb-2024-abc"
    replaced = client.get("/healthz", headers={"X-Request-ID": "a\r\nSet-Cookie: x"})
    assert replaced.headers["X-Request-ID"] != "a\r\nSet-Cookie: x" and len(replaced.headers["X-Request-ID"]) == 32

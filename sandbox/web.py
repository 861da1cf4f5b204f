"""A minimal request/response layer over WSGI, so handlers read like the API they fake.

``DropConnection`` is the one unusual piece: raising it makes the server close the socket
without writing a single byte, which is how "accepted, then the connection dropped" and
"hung past the client's timeout" are produced.
"""

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit, urlunsplit


class DropConnection(Exception):  # noqa: N818  (a signal to the server, not an error)
    """Close the connection without a response."""


class BadJson(ValueError):
    pass


class Request:
    """The parts of a WSGI environ the sandbox needs, parsed once."""

    def __init__(self, environ: dict[str, Any]) -> None:
        self.environ = environ
        self.method: str = environ.get("REQUEST_METHOD", "GET").upper()
        self.path: str = environ.get("PATH_INFO", "/") or "/"
        self.raw_query: str = environ.get("QUERY_STRING", "")
        self.query: dict[str, str] = {k: v[0] for k, v in parse_qs(self.raw_query, keep_blank_values=True).items()}
        length = int(environ.get("CONTENT_LENGTH") or 0)
        self.body: bytes = environ["wsgi.input"].read(length) if length > 0 else b""
        self.content_type: str = (environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
        self.headers: dict[str, str] = {
            key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            self.headers["content-type"] = environ["CONTENT_TYPE"]
        self._form: dict[str, str] | None = None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def form(self) -> dict[str, str]:
        if self._form is None:
            text = self.body.decode("utf-8", "replace") if self.content_type != "multipart/form-data" else ""
            self._form = {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}
        return self._form

    def params(self) -> dict[str, str]:
        """Query plus form fields (form wins): what an HTML form or OAuth client sent."""
        return {**self.query, **self.form}

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadJson(str(exc)) from exc

    def bearer(self) -> str | None:
        auth = self.header("authorization") or ""
        scheme, _, value = auth.partition(" ")
        if scheme.lower() != "bearer":
            return None
        return value.strip() or None

    def basic(self) -> tuple[str, str] | None:
        """(client_id, client_secret) from HTTP Basic; RFC 6749 form-encodes both parts."""
        auth = self.header("authorization") or ""
        scheme, _, value = auth.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None
        user, sep, password = decoded.partition(":")
        return (unquote(user.replace("+", " ")), unquote(password.replace("+", " "))) if sep else None

    def base_url(self, configured: str | None = None) -> str:
        if configured:
            return configured.rstrip("/")
        host = self.header("host") or f"{self.environ.get('SERVER_NAME')}:{self.environ.get('SERVER_PORT')}"
        return f"{self.environ.get('wsgi.url_scheme', 'http')}://{host}"


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    def status_line(self) -> str:
        try:
            phrase = HTTPStatus(self.status).phrase
        except ValueError:
            phrase = "Unknown"
        return f"{self.status} {phrase}"

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def with_headers(self, headers: Iterable[tuple[str, str]]) -> "Response":
        self.headers.extend(headers)
        return self


def json_response(status: int, payload: Any, headers: Iterable[tuple[str, str]] = ()) -> Response:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Response(status, body, [("Content-Type", "application/json; charset=utf-8"), *headers])


def empty_response(status: int, headers: Iterable[tuple[str, str]] = ()) -> Response:
    return Response(status, b"", [("Content-Length", "0"), *headers])


def html_response(status: int, html: str) -> Response:
    return Response(status, html.encode("utf-8"), [("Content-Type", "text/html; charset=utf-8")])


def redirect(location: str) -> Response:
    return Response(302, b"", [("Location", location), ("Content-Length", "0")])


def add_query(url: str, params: dict[str, str]) -> str:
    """Append parameters to a redirect URI that may already carry a query string."""
    parts = urlsplit(url)
    extra = urlencode(params, quote_via=quote)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))

"""Request-level guards that apply to every view.

``RejectNulBytesMiddleware``: a NUL character (``\\x00``, ``%00`` once decoded) has no
business in a URL path, a query string or a form field, and PostgreSQL cannot store or
even compare one (psycopg raises "A string literal cannot contain NUL (0x00)
characters"), so without this guard ``GET /r/abc%00``, a feed search for ``a%00b`` or a
share form with a NUL in its text ended in a 500. Refusing such requests here, before
any view or query runs, gives one clean 400 and guarantees nothing is stored.

JSON bodies are not inspected: DRF's ``CharField`` already refuses NUL characters with
a validation error in the API's own error shape. Under ``/api/`` the refusal itself is in
that shape too (JSON), and so is a form body too broken to parse (a multipart body
without its boundary), which Django would otherwise answer with its HTML 400 page. Uploaded files are not inspected
either (binary content legitimately contains NUL bytes; Django's multipart parser
already drops NUL characters from file names).
"""

from collections.abc import Callable, Iterable
from functools import wraps

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError

NUL = "\x00"
BAD_REQUEST_MESSAGE = "Bad request: the address or the form contains a NUL character, which Chorus does not accept."
UNPARSABLE_MESSAGE = "The request body could not be parsed: check it matches its Content-Type."
# Content types whose body Django parses into ``request.POST`` (and ``request.FILES``).
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(values: Iterable[str]) -> bool:
    return any(NUL in value for value in values)


def request_has_nul(request: HttpRequest) -> bool:
    """Whether the path, the query string or a form field (name or value) holds a NUL."""
    if NUL in request.path or NUL in request.path_info:
        return True
    query = request.GET
    if _has_nul(query.keys()) or any(_has_nul(query.getlist(key)) for key in query):
        return True
    if request.method == "POST" and (request.content_type or "").lower() in _FORM_TYPES:
        post = request.POST
        if _has_nul(post.keys()) or any(_has_nul(post.getlist(key)) for key in post):
            return True
    return False


class RejectNulBytesMiddleware:
    """Answer 400 "Bad request" to any request carrying a NUL character (see module doc)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            has_nul = request_has_nul(request)
        except MultiPartParserError:
            if not _is_api(request):
                raise  # Django's own 400 page
            return _api_bad_request(UNPARSABLE_MESSAGE)
        if has_nul:
            return bad_request_response(request)
        return self.get_response(request)


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def _api_bad_request(message: str) -> HttpResponse:
    """The API's one error shape (core.api), written here: no DRF in a middleware."""
    return JsonResponse({"error": {"code": "invalid", "message": message, "field": None}}, status=400)


def bad_request_response(request: HttpRequest | None = None) -> HttpResponse:
    if request is not None and _is_api(request):
        return _api_bad_request(BAD_REQUEST_MESSAGE)
    return HttpResponseBadRequest(BAD_REQUEST_MESSAGE, content_type="text/plain; charset=utf-8")


def refuse_nul_bytes(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The middleware's check for one view (defence in depth where a NUL would reach SQL)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request_has_nul(request):
            return bad_request_response(request)
        return view(request, *args, **kwargs)

    return wrapped

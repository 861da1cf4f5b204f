"""Cursor pages over an order of several columns (the feed's: pinned, priority, date, id).

DRF's ``CursorPagination`` positions on the *first* ordering column only and counts an
offset among rows that share its value (capped at 1,000 rows): right for ``-id``, wrong for
"pinned first", where every unpinned item shares one value. Here the cursor carries the
last row's value of *every* column and the next page is the rows strictly after it in the
order (keyset pagination: ``a < x OR (a = x AND b < y) OR ...``), so a page costs one
indexed query at any depth and an item published meanwhile never shifts a page.

The columns must not be null (order by a ``Coalesce`` annotation otherwise) and the last
one must be unique: the primary key is appended when the order does not end with it.
"""

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.utils.dateparse import parse_datetime
from rest_framework.request import Request
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core.api import ApiError, CursorPage

_PRIMARY_KEYS = {"pk", "id"}
_MAX_CURSOR = 1000  # characters; ours are well under 200
_MAX_INT = 2**63 - 1  # what a database column holds


def _invalid_cursor() -> ApiError:
    return ApiError("invalid", "This cursor is not valid: follow the next or previous link as given, "
                               "or start again without a cursor.", field="cursor")


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, bool | int | str):
        return value
    raise TypeError(f"cannot put a {type(value).__name__} in a cursor")


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"dt"} and isinstance(value["dt"], str):
        try:
            parsed = parse_datetime(value["dt"])
        except ValueError:
            parsed = None
        if parsed is None:
            raise _invalid_cursor()
        return parsed
    if isinstance(value, bool) or (isinstance(value, int) and -_MAX_INT <= value <= _MAX_INT):
        return value
    if isinstance(value, str) and len(value) <= _MAX_CURSOR:
        return value
    raise _invalid_cursor()


class KeysetCursorPage(CursorPage):
    """``next``/``previous`` links with an opaque ``cursor``; ``page_size`` up to 200.

    The order is the view's ``ordering`` (or the ``ordering`` query parameter, when the view
    has an ``OrderingFilter``), always ending with the primary key.
    """

    def get_ordering(self, request: Request, queryset: QuerySet, view: Any) -> tuple[str, ...]:
        ordering = tuple(super().get_ordering(request, queryset, view))
        if ordering[-1].lstrip("-") not in _PRIMARY_KEYS:
            ordering += (f"{'-' if ordering[-1].startswith('-') else ''}pk",)
        return ordering

    def paginate_queryset(self, queryset: QuerySet, request: Request, view: Any = None) -> list[Model]:
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, queryset, view)
        self.fields = [(term.lstrip("-"), term.startswith("-")) for term in self.ordering]
        position, reverse = self._decode(request)
        # Going back, walk the order backwards from the first row of the page.
        order = [f"{'-' if descending != reverse else ''}{name}" for name, descending in self.fields]
        queryset = queryset.order_by(*order)
        if position is not None:
            try:
                queryset = queryset.filter(self._after(position, reverse=reverse))
            except (ValidationError, ValueError, TypeError):  # a value of the wrong type for its column
                raise _invalid_cursor() from None
        rows = list(queryset[: self.page_size + 1])
        more = len(rows) > self.page_size
        self.page = rows[: self.page_size]
        if reverse:
            self.page.reverse()
            self.has_next, self.has_previous = True, more
        else:
            self.has_next, self.has_previous = more, position is not None
        self.display_page_controls = self.has_next or self.has_previous
        return self.page

    def paginate_sorted(self, rows: Sequence[Any], request: Request, view: Any = None, *,
                        complete: bool) -> list[Any] | None:
        """``paginate_queryset`` over ``rows`` already in the order, each a tuple of the
        order's columns that also names them (a namedtuple with a ``pk``): the same page,
        links and errors, without a query. ``complete``: ``rows`` is the whole list, else
        its first rows only. None when the page reaches past ``rows`` (or the order is not
        all descending, or the cursor's values do not compare with the rows'): ask the
        database then."""
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, None, view)
        self.fields = [(term.lstrip("-"), term.startswith("-")) for term in self.ordering]
        if not all(descending for _, descending in self.fields):
            return None
        position, reverse = self._decode(request)
        try:
            # Descending: the rows after a position are the tuples less than it, the rows
            # before it the greater ones (all at the start of ``rows``, up to ``start``).
            key = tuple(position) if position is not None else None
            if key is None:
                start = 0
            elif reverse:
                start = next((i for i, row in enumerate(rows) if not row > key), len(rows))
            else:
                start = next((i for i, row in enumerate(rows) if row < key), len(rows))
        except TypeError:  # e.g. a naive date against aware ones: the database decides
            return None
        if reverse:
            # The rows before the position are rows[:start]; the page is the last of them.
            if start == len(rows) and not complete:
                return None
            self.page = list(rows[max(0, start - self.page_size): start])
            self.has_next, self.has_previous = True, start > self.page_size
        else:
            end = start + self.page_size + 1
            if end > len(rows) and not complete:
                return None
            page = list(rows[start: end])
            more = len(page) > self.page_size
            self.page = page[: self.page_size]
            self.has_next, self.has_previous = more, position is not None
        self.display_page_controls = self.has_next or self.has_previous
        return self.page

    def _after(self, position: Sequence[Any], *, reverse: bool) -> Q:
        """Rows strictly after ``position`` in the order (before it when ``reverse``)."""
        condition = Q(pk__in=[])
        equal = Q()
        for (name, descending), value in zip(self.fields, position, strict=True):
            lookup = "lt" if descending != reverse else "gt"
            condition |= equal & Q(**{f"{name}__{lookup}": value})
            equal &= Q(**{name: value})
        return condition

    def _position_of(self, row: Model) -> list[Any]:
        return [_encode_value(row.pk if name == "pk" else getattr(row, name)) for name, _ in self.fields]

    def _link(self, row: Model, *, reverse: bool) -> str:
        payload = {"p": self._position_of(row), **({"r": 1} if reverse else {})}
        token = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()
        return replace_query_param(self.base_url, self.cursor_query_param, token.rstrip("="))

    def _decode(self, request: Request) -> tuple[list[Any] | None, bool]:
        token = request.query_params.get(self.cursor_query_param)
        if token is None:
            return None, False
        if len(token) > _MAX_CURSOR:
            raise _invalid_cursor()
        try:
            payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise _invalid_cursor() from None
        if not isinstance(payload, dict) or not isinstance(payload.get("p"), list):
            raise _invalid_cursor()
        position = [_decode_value(v) for v in payload["p"]]
        if len(position) != len(self.fields):  # a cursor of another order (e.g. ``ordering`` changed)
            raise _invalid_cursor()
        return position, payload.get("r") == 1

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        if not self.page:  # walked back past the start: the first page
            return remove_query_param(self.base_url, self.cursor_query_param)
        return self._link(self.page[-1], reverse=False)

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        if not self.page:  # walked past the end: back to the first page
            return remove_query_param(self.base_url, self.cursor_query_param)
        return self._link(self.page[0], reverse=True)

"""The analytics page's CSV exports through the API: the same tables, built by the same
functions (``analytics.views.exports.TABLES``), streamed row by row (``core.csv_stream``)."""

from collections.abc import Iterator
from typing import Any

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.views import APIView

from analytics.apis.marketing_params import DASHBOARD_PERMISSIONS, AnalyticsQuerySerializer, read_query
from analytics.views.exports import TABLES
from core.api import ApiError
from core.csv_stream import csv_lines


class FirstRenderer(BaseContentNegotiation):
    """The answer is CSV whatever the client accepts (``Accept: text/csv`` included); an
    error is JSON in the one error shape, never a 406."""

    def select_parser(self, request: Request, parsers: list) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: list, format_suffix: str | None = None) -> tuple:
        return renderers[0], renderers[0].media_type


def _with_bom(rows: Iterator[str]) -> Iterator[str]:
    # A byte-order mark, as on the page's exports, so spreadsheet programs read UTF-8.
    yield "\ufeff"
    yield from rows


class ExportView(APIView):
    permission_classes = DASHBOARD_PERMISSIONS
    content_negotiation_class = FirstRenderer

    @extend_schema(
        tags=["Analytics"], summary="Export a table as CSV", operation_id="analytics_export",
        description=(
            "One of the analytics page's tables as a CSV file (UTF-8 with a byte-order mark), streamed: "
            f"{', '.join(f'`{name}`' for name in TABLES)}. The same filters as the other analytics endpoints; "
            "the file is exactly the page's export for the same filters. Cells that start like a spreadsheet "
            "formula are prefixed with `'`."
        ),
        parameters=[
            OpenApiParameter("table", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(TABLES),
                             description="Which table."),
            AnalyticsQuerySerializer,
        ],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The CSV file.", examples=[
            OpenApiExample("teams.csv", value=(
                "team,enrolled_advocates,active_advocates,participation_rate_percent,shares,clicks,"
                "unique_clicks,engagements,potential_reach\r\nSales,30,12,40.0,50,400,300,90,21000\r\n"
            )),
        ])},
    )
    def get(self, request: Request, table: str) -> StreamingHttpResponse:
        builder = TABLES.get(table)
        if builder is None:
            raise ApiError("not_found", f"No such table. Tables: {', '.join(TABLES)}.", http_status=404,
                           field="table")
        f = read_query(request, AnalyticsQuerySerializer)["filters"]
        response = StreamingHttpResponse(_with_bom(csv_lines(builder(f))), content_type="text/csv; charset=utf-8")
        name = f"chorus-{table}-{f.period.start:%Y%m%d}-{f.period.end:%Y%m%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

"""The employee CSV import as an upload: the admin's import (``accounts.services.imports``),
with its checks, its all-or-nothing rule, its invitations and its "only check" step."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.apis.people_access import perms_required
from accounts.apis.people_serializers import Flag
from accounts.services.imports import ImportReport, employees_import, employees_parse_csv


class PeopleImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="UTF-8 CSV with a header row: `email` and `name` required; `team` (name or slug of an "
                  "existing team), `location`, `title` and `timezone` (an IANA name such as `Europe/Berlin`; "
                  "empty: the company default time zone) optional.",
    )
    invite = Flag(default=True, help_text="Email an invitation to every imported employee (default true).")
    dry_run = Flag(default=False, help_text="Only check the file: import nothing (the admin's preview).")


class PeopleImportRowSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="Line in the file (the header is line 1).")
    email = serializers.EmailField()
    name = serializers.CharField()
    team = serializers.CharField(source="team.name", allow_null=True, default=None)
    location = serializers.CharField()
    title = serializers.CharField()
    timezone = serializers.CharField(help_text="The row's time zone, or the company default if it had none.")


class PeopleImportRowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="Line in the file (the header is line 1; 0: the whole file).")
    email = serializers.CharField(help_text="The row's email, if it has one.")
    message = serializers.CharField()


class PeopleImportReportSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(help_text="True: the file was only checked, nothing was imported.")
    invited = serializers.BooleanField(help_text="Invitations were sent to the people created.")
    created = serializers.IntegerField(help_text="People created (0 for a dry run).")
    rows = PeopleImportRowSerializer(many=True, help_text="The rows of the file, all valid: created, or to be.")


class PeopleImportErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="`invalid_csv`: problems in the file, listed in `rows`; `invalid`: the "
                                           "request itself (no file, a bad flag...), with no `rows`.")
    message = serializers.CharField()
    field = serializers.CharField(allow_null=True)
    rows = PeopleImportRowErrorSerializer(many=True, required=False,
                                          help_text="Every problem in the file, by line (`invalid_csv` only).")


class PeopleImportErrorSerializer(serializers.Serializer):
    error = PeopleImportErrorDetailSerializer()


ROW = {"line": 2, "email": "ann.lee@example.com", "name": "Ann Lee", "team": "Sales", "location": "London",
       "title": "Account executive", "timezone": "Europe/London"}


class PeopleImportView(GenericAPIView):
    permission_classes = perms_required("accounts.add_user")
    parser_classes = [MultiPartParser, FormParser]
    serializer_class = PeopleImportUploadSerializer
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        tags=["People"], summary="Import people from a CSV file", operation_id="people_import",
        description=(
            "The admin's employee import as a `multipart/form-data` upload. Every row is checked first: if "
            "any row has a problem (an email taken or repeated, a missing name, an unknown team, a file too "
            "large or not UTF-8...), the answer is a 400 listing every problem by line and **nobody is "
            "imported**. Otherwise everyone is created with the Advocate role and no usable password, and "
            "(unless `invite` is false) gets an invitation email. `dry_run` only checks the file (200). "
            "Needs `accounts.add_user` (Admins)."
        ),
        request={"multipart/form-data": PeopleImportUploadSerializer},
        responses={
            201: PeopleImportReportSerializer,
            200: OpenApiResponse(PeopleImportReportSerializer, description="A dry run: the file is valid."),
            400: OpenApiResponse(PeopleImportErrorSerializer, description="Problems in the file; nothing imported."),
        },
        examples=[
            OpenApiExample("Imported", response_only=True, status_codes=["201"],
                           value={"dry_run": False, "invited": True, "created": 1, "rows": [ROW]}),
            OpenApiExample("Checked", response_only=True, status_codes=["200"],
                           value={"dry_run": True, "invited": False, "created": 0, "rows": [ROW]}),
            OpenApiExample("Problems", response_only=True, status_codes=["400"], value={"error": {
                "code": "invalid_csv", "message": "1 problem in the file: nothing was imported.", "field": "file",
                "rows": [{"line": 3, "email": "bob@example.com",
                          "message": "An employee with this email already exists."}]}}),
        ],
    )
    def post(self, request: Request) -> Response:
        upload = self.get_serializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data["file"].read()
        dry_run, invite = upload.validated_data["dry_run"], upload.validated_data["invite"]
        report = employees_parse_csv(data) if dry_run else employees_import(data=data, invite=invite)
        if not report.ok:
            return Response({"error": _problems(report)}, status=status.HTTP_400_BAD_REQUEST)
        answer = {"dry_run": dry_run, "invited": invite and not dry_run, "created": report.created,
                  "rows": report.rows}
        return Response(PeopleImportReportSerializer(answer).data,
                        status=status.HTTP_200_OK if dry_run else status.HTTP_201_CREATED)


def _problems(report: ImportReport) -> dict:
    count = len(report.errors)
    message = f"{count} problem{'s' if count != 1 else ''} in the file: nothing was imported."
    rows = PeopleImportRowErrorSerializer(report.errors, many=True).data
    return {"code": "invalid_csv", "message": message, "field": "file", "rows": rows}

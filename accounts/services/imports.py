"""Employee CSV import: validate every row first, then import all rows or none.

Columns (header row, any order, case-insensitive): ``email`` and ``name`` are
required; ``team``, ``location``, ``title`` and ``timezone`` are optional. Teams must
exist; a time zone is an IANA name ("Europe/Berlin"), and a row without one gets the
company default (``CompanyDefaults.default_timezone``, set in the admin's programme
settings), so digests arrive at the employee's local hour.
"""

import csv
import io
import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower

from accounts.models import CompanyDefaults, Team, User
from accounts.roles import ADVOCATE
from accounts.services.invitations import invitations_mark_pending
from core import audit

REQUIRED_COLUMNS = ("email", "name")
OPTIONAL_COLUMNS = ("team", "location", "title", "timezone")
_ALIASES = {"full_name": "name", "job_title": "title", "e-mail": "email", "time_zone": "timezone",
            "time zone": "timezone", "tz": "timezone"}


@dataclass
class RowError:
    line: int  # 1-based line number in the file (the header is line 1)
    message: str
    email: str = ""


@dataclass
class EmployeeRow:
    line: int
    email: str
    name: str
    team: Team | None
    location: str
    title: str
    timezone: str


@dataclass
class ImportReport:
    rows: list[EmployeeRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    created: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def employees_parse_csv(data: bytes) -> ImportReport:
    """Check a CSV upload completely; never writes anything."""
    report = ImportReport()
    max_bytes = settings.EMPLOYEE_IMPORT_MAX_BYTES
    if len(data) > max_bytes:
        report.errors.append(
            RowError(0, f"The file is too large ({len(data):,} bytes; the limit is {max_bytes:,}).")
        )
        return report
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        report.errors.append(
            RowError(line, "The file is not UTF-8 text. Save it as 'CSV UTF-8' and upload it again.")
        )
        return report
    if not text.strip():
        report.errors.append(RowError(0, "The file is empty."))
        return report

    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except csv.Error as exc:
        report.errors.append(RowError(1, f"The header row cannot be read: {exc}"))
        return report
    columns = [_ALIASES.get(h.strip().lower(), h.strip().lower()) for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        report.errors.append(
            RowError(1, f"Missing column(s): {', '.join(missing)}. Expected: email, name, team, location, title, timezone.")
        )
        return report

    teams = {t.name.lower(): t for t in Team.objects.all()}
    teams.update({t.slug.lower(): t for t in teams.values()})
    existing = set(
        User.objects.annotate(e=Lower("email")).values_list("e", flat=True)
    )
    default_tz = CompanyDefaults.load().default_timezone
    seen: dict[str, int] = {}
    max_rows = settings.EMPLOYEE_IMPORT_MAX_ROWS
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(report.rows) + len(report.errors) >= max_rows:
                report.errors.append(RowError(line, f"Too many rows: the limit is {max_rows:,} per file."))
                break
            if len(values) > len(columns):
                report.errors.append(RowError(line, "This row has more values than the header has columns."))
                continue
            record = dict(zip(columns, (v.strip() for v in values), strict=False))
            _check_row(line, record, teams, existing, seen, report, default_tz=default_tz)
    except csv.Error as exc:
        report.errors.append(RowError(reader.line_num, f"The CSV cannot be read here: {exc}"))
    if not report.rows and not report.errors:
        report.errors.append(RowError(0, "The file has a header but no employees."))
    return report


def _check_row(
    line: int,
    record: dict[str, str],
    teams: dict[str, Team],
    existing: set[str],
    seen: dict[str, int],
    report: ImportReport,
    *,
    default_tz: str = "UTC",
) -> None:
    email = record.get("email", "").lower()
    name = record.get("name", "")
    problems = []
    if not email:
        problems.append("email is missing")
    else:
        try:
            validate_email(email)
        except ValidationError:
            problems.append(f"'{email}' is not a valid email address")
        else:
            if email in seen:
                problems.append(f"duplicate of line {seen[email]} in this file")
            elif email in existing:
                problems.append("an employee with this email already exists")
    if not name:
        problems.append("name is missing")
    elif len(name) > 200:
        problems.append("name is longer than 200 characters")
    team_name = record.get("team", "")
    team = None
    if team_name:
        team = teams.get(team_name.lower())
        if team is None:
            problems.append(f"unknown team '{team_name}' (create it first)")
    for col, limit in (("location", 120), ("title", 200)):
        if len(record.get(col, "")) > limit:
            problems.append(f"{col} is longer than {limit} characters")
    tz = _timezone(record.get("timezone", ""))
    if tz is None:
        problems.append(f"unknown time zone '{record['timezone']}' (use a name like Europe/Berlin)")
    if email and email not in seen:
        seen[email] = line
    if problems:
        text = "; ".join(problems)
        report.errors.append(RowError(line, text[0].upper() + text[1:] + ".", email))
        return
    report.rows.append(
        EmployeeRow(line, email, name, team, record.get("location", ""), record.get("title", ""), tz or default_tz)
    )


_ZONES = {z.lower(): z for z in zoneinfo.available_timezones()}


def _timezone(value: str) -> str | None:
    """The IANA name for ``value`` ("" when empty: the default applies), None if unknown.
    Case does not matter ("europe/berlin"); spaces may stand for underscores ("America/New York")."""
    value = value.strip().replace(" ", "_")
    if not value:
        return ""
    return _ZONES.get(value.lower())


def employees_import(*, data: bytes, invite: bool = True) -> ImportReport:
    """Import every row of a valid CSV, or nothing; invitations go out after commit."""
    report = employees_parse_csv(data)
    if not report.ok:
        return report
    with transaction.atomic():
        users = User.objects.bulk_create(
            [
                User(
                    email=row.email,
                    full_name=row.name,
                    team=row.team,
                    location=row.location,
                    job_title=row.title,
                    timezone=row.timezone,
                    password=make_password(None),  # unusable until accepted
                )
                for row in report.rows
            ]
        )
        created = list(User.objects.filter(email__in=[u.email for u in users]).select_related("team"))
        ids = [u.pk for u in created]
        advocate = Group.objects.get(name=ADVOCATE)
        User.groups.through.objects.bulk_create(
            [User.groups.through(user_id=pk, group_id=advocate.pk) for pk in ids]
        )
        audit.record_many(
            audit.entry(
                u, event="import", action=audit.CREATE,
                changes={"email": ["", u.email], "full_name": ["", u.full_name], "team": ["", u.team],
                         "location": ["", u.location], "job_title": ["", u.job_title], "timezone": ["", u.timezone],
                         "roles": ["", ADVOCATE]},
                extra={"invited": invite, "rows": len(created)},
            )
            for u in created
        )
        if invite:
            invitations_mark_pending(user_ids=ids)
    report.created = len(ids)
    return report

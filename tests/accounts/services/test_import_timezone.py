"""Imported employees get a time zone: their row's, else the company default."""

import pytest

from accounts.models import CompanyDefaults, User
from accounts.services.imports import employees_import, employees_parse_csv

pytestmark = pytest.mark.django_db


def test_the_row_time_zone_or_the_company_default():
    CompanyDefaults.objects.update_or_create(pk=1, defaults={"default_timezone": "Europe/London"})
    report = employees_import(data=(
        b"email,name,timezone\n"
        b"ann@example.com,Ann,Europe/Berlin\n"
        b"bob@example.com,Bob,\n"
        b"cy@example.com,Cy,america/new york\n"
    ), invite=False)
    assert report.ok and report.created == 3
    zones = dict(User.objects.values_list("email", "timezone"))
    assert zones == {"ann@example.com": "Europe/Berlin", "bob@example.com": "Europe/London",
                     "cy@example.com": "America/New_York"}


def test_without_the_column_everyone_gets_the_default():
    CompanyDefaults.objects.update_or_create(pk=1, defaults={"default_timezone": "Asia/Tokyo"})
    employees_import(data=b"email,name\nann@example.com,Ann\n", invite=False)
    assert User.objects.get(email="ann@example.com").timezone == "Asia/Tokyo"


def test_the_default_default_is_utc():
    employees_import(data=b"email,name\nann@example.com,Ann\n", invite=False)
    assert User.objects.get(email="ann@example.com").timezone == "UTC"


def test_an_unknown_time_zone_is_a_row_error_and_nothing_is_imported():
    report = employees_parse_csv(b"email,name,time zone\nann@example.com,Ann,Mars/Olympus\nbob@example.com,Bob,UTC\n")
    assert [(e.line, e.message) for e in report.errors] == [
        (2, "Unknown time zone 'Mars/Olympus' (use a name like Europe/Berlin).")
    ]
    report = employees_import(data=b"email,name,timezone\nann@example.com,Ann,Mars/Olympus\n", invite=False)
    assert not report.ok and not User.objects.filter(email="ann@example.com").exists()


def test_the_api_report_shows_each_rows_time_zone(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.roles import ADMIN
    from tests.factories import UserFactory

    client.force_login(UserFactory(roles=[ADMIN]))
    upload = SimpleUploadedFile("p.csv", b"email,name,timezone\nann@example.com,Ann,Europe/Paris\nbo@example.com,Bo,\n")
    response = client.post("/api/v1/people/import/", {"file": upload, "dry_run": "true"})
    assert response.status_code == 200, response.content
    assert [r["timezone"] for r in response.json()["rows"]] == ["Europe/Paris", "UTC"]

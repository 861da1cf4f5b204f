import pytest
from django.core import mail

from accounts.models import User
from accounts.roles import ADVOCATE
from accounts.services.imports import employees_import, employees_parse_csv
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = "email,name,team,location,title\n"


@pytest.fixture(autouse=True)
def teams():
    TeamFactory(name="Sales")
    TeamFactory(name="Engineering")


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return (header + "\n".join(rows) + "\n").encode()


def test_valid_import_creates_advocates_and_sends_invitations(django_capture_on_commit_callbacks):
    data = csv_bytes(
        "ann@example.com,Ann Lee,Sales,London,Account Executive",
        "BOB@Example.com,Bob Ray,engineering,Berlin,Engineer",
        "cat@example.com,Cat Fox,,,",
    )
    with django_capture_on_commit_callbacks(execute=True):
        report = employees_import(data=data)
    assert report.ok and report.created == 3
    bob = User.objects.get(email="bob@example.com")
    assert bob.team.name == "Engineering" and bob.location == "Berlin" and bob.job_title == "Engineer"
    assert not bob.has_usable_password()
    assert bob.has_role(ADVOCATE) and not bob.is_staff
    assert bob.advocate_opted_in_at is None  # opting in happens when the invitation is accepted
    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.com", "bob@example.com", "cat@example.com"]
    assert all(User.objects.filter(invitation_sent_at__isnull=False).values_list("pk", flat=True))
    assert "/accounts/invitation/" in mail.outbox[0].body
    assert mail.outbox[0].alternatives[0][1] == "text/html"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("not-an-email,Ann,Sales,,", "not a valid email address"),
        (",Ann,Sales,,", "email is missing"),
        ("ann@example.com,,Sales,,", "name is missing"),
        ("ann@example.com,Ann,Marketing,,", "unknown team 'Marketing'"),
        ("taken@example.com,Ann,Sales,,", "already exists"),
        ("ann@example.com,Ann,Sales,,," + "x,y", "more values than the header"),
    ],
)
def test_each_bad_row_kind_is_reported_and_nothing_is_imported(row, message):
    UserFactory(email="taken@example.com")
    before = User.objects.count()
    data = csv_bytes("good@example.com,Good Row,Sales,,", row)
    report = employees_import(data=data)
    assert not report.ok
    assert report.created == 0
    assert [e.line for e in report.errors] == [3]
    assert message.lower() in report.errors[0].message.lower()
    assert User.objects.count() == before
    assert mail.outbox == []


def test_duplicate_within_file_names_the_first_line():
    report = employees_parse_csv(csv_bytes("a@example.com,A,,,", "b@example.com,B,,,", "A@example.com,A2,,,"))
    assert [(e.line, e.message) for e in report.errors] == [(4, "Duplicate of line 2 in this file.")]


def test_every_bad_row_is_reported_not_just_the_first():
    report = employees_parse_csv(csv_bytes("bad,A,,,", "ok@example.com,B,,,", "worse,,Nope,,"))
    assert [e.line for e in report.errors] == [2, 4]
    assert "name is missing" in report.errors[1].message and "unknown team" in report.errors[1].message


def test_missing_column():
    report = employees_import(data=csv_bytes("a@example.com,Sales", header="email,team\n"))
    assert not report.ok
    assert "Missing column(s): name" in report.errors[0].message
    assert User.objects.count() == 0


def test_not_utf8_is_refused_with_the_line():
    data = HEADER.encode() + "zoë@example.com,Zoë,,,\n".encode("latin-1")
    report = employees_import(data=data)
    assert not report.ok
    assert "not UTF-8" in report.errors[0].message and report.errors[0].line == 2
    assert User.objects.count() == 0


def test_utf8_with_bom_and_accents_is_fine():
    data = "\ufeff".encode() + csv_bytes("zoe@example.com,Zoë Ångström,Sales,Malmö,Ingenjör")
    report = employees_import(data=data, invite=False)
    assert report.ok and User.objects.get(email="zoe@example.com").full_name == "Zoë Ångström"


def test_too_large_is_refused_before_parsing(settings):
    settings.EMPLOYEE_IMPORT_MAX_BYTES = 100
    report = employees_import(data=csv_bytes(*[f"p{i}@example.com,P {i},,," for i in range(10)]))
    assert not report.ok and "too large" in report.errors[0].message
    assert User.objects.count() == 0


def test_too_many_rows(settings):
    settings.EMPLOYEE_IMPORT_MAX_ROWS = 3
    report = employees_parse_csv(csv_bytes(*[f"p{i}@example.com,P {i},,," for i in range(5)]))
    assert not report.ok and "Too many rows" in report.errors[-1].message


def test_empty_file_and_header_only():
    assert "empty" in employees_parse_csv(b"").errors[0].message
    assert "no employees" in employees_parse_csv(HEADER.encode()).errors[0].message

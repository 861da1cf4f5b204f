import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import User
from accounts.roles import ADMIN
from tests.factories import TeamFactory, UserFactory, curator

pytestmark = pytest.mark.django_db

URL = reverse("admin:accounts_user_import")


def upload(client, content: bytes, **extra):
    data = {"file": SimpleUploadedFile("people.csv", content, content_type="text/csv"), **extra}
    return client.post(URL, data)


def test_admin_sees_per_row_report_and_nothing_is_imported(client):
    TeamFactory(name="Sales")
    client.force_login(UserFactory(roles=[ADMIN]))
    response = upload(client, b"email,name,team\nok@example.com,Ok,Sales\nbad,Bad,Nope\n")
    assert response.status_code == 400
    html = response.content.decode()
    assert "nothing was imported" in html
    assert "not a valid email address" in html and "unknown team" in html
    assert not User.objects.filter(email="ok@example.com").exists()


def test_admin_imports_a_valid_file(client):
    TeamFactory(name="Sales")
    client.force_login(UserFactory(roles=[ADMIN]))
    response = upload(client, b"email,name,team\nok@example.com,Ok,Sales\n", send_invitations="on")
    assert response.status_code == 302
    assert User.objects.get(email="ok@example.com").team.name == "Sales"


def test_validate_only_imports_nothing(client):
    client.force_login(UserFactory(roles=[ADMIN]))
    response = upload(client, b"email,name\nok@example.com,Ok\n", validate_only="on")
    assert response.status_code == 200 and "are valid" in response.content.decode()
    assert not User.objects.filter(email="ok@example.com").exists()


def test_curator_cannot_import_employees(client):
    client.force_login(curator())
    response = upload(client, b"email,name\nok@example.com,Ok\n")
    assert response.status_code == 403
    assert not User.objects.filter(email="ok@example.com").exists()

"""Every in-page reference points at something: ``aria-describedby``, ``aria-labelledby``,
``aria-controls`` and ``href="#…"`` name ids the page has. Django 5 links a field to
``<id>_helptext`` by itself, so a help text rendered without that id leaves a screen reader
pointing at nothing (seen on preferences and password change)."""

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from tests.factories import UserFactory, advocate, published_item

ADVOCATE_PAGES = [
    "home", "my_shares", "connections", "suggest", "my_impact", "leaderboard", "notifications",
    "preferences", "password_change", "my_data", "account_delete", "api_tokens",
]
STAFF_PAGES = ["analytics_dashboard", "admin:accounts_user_import"]
ARIA_REFERENCES = ("aria-describedby", "aria-labelledby", "aria-controls")


def dangling_references(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    ids = {tag["id"] for tag in soup.find_all(id=True)}
    missing = []
    for attribute in ARIA_REFERENCES:
        for tag in soup.find_all(attrs={attribute: True}):
            missing += [f"{attribute}={ref}" for ref in tag[attribute].split() if ref not in ids]
    for tag in soup.find_all("a", href=True):
        href = tag["href"]
        if href.startswith("#") and len(href) > 1 and href[1:] not in ids:
            missing.append(f"href={href}")
    return missing


def test_the_checker_sees_a_dangling_help_text_reference():
    assert dangling_references('<input aria-describedby="id_x_helptext"><small>help</small>') == [
        "aria-describedby=id_x_helptext"
    ]
    assert dangling_references('<input aria-describedby="h"><small id="h">help</small><a href="#h">x</a>') == []


@pytest.mark.django_db
@pytest.mark.parametrize("name", ADVOCATE_PAGES)
def test_advocate_pages_reference_only_ids_they_have(client, name):
    published_item()
    client.force_login(advocate(email="ann@example.com"))
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert dangling_references(response.content.decode()) == []


@pytest.mark.django_db
@pytest.mark.parametrize("name", STAFF_PAGES)
def test_staff_pages_reference_only_ids_they_have(client, name):
    client.force_login(UserFactory(email="root@example.com", is_staff=True, is_superuser=True))
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert dangling_references(response.content.decode()) == []

"""Fixtures of the identity tests: a SCIM token and a SCIM client that uses it."""

import pytest

from identity.scim.tokens import scim_token_create
from tests.identity.scim_support import Scim


@pytest.fixture
def scim_token():
    return scim_token_create(name="Entra ID")


@pytest.fixture
def scim(scim_token) -> Scim:
    return Scim(scim_token.plain)

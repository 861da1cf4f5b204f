import pytest

from tests.factories import TeamFactory


@pytest.fixture
def sales():
    return TeamFactory(name="Sales")


@pytest.fixture
def engineering():
    return TeamFactory(name="Engineering")

"""factory_boy factories shared by the tests."""

import factory
from django.utils import timezone

from accounts.models import Team, User
from accounts.roles import ADVOCATE, APPROVER, CURATOR
from accounts.services.users import user_set_roles


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    team = factory.SubFactory(TeamFactory)
    advocate_opted_in_at = factory.LazyFunction(timezone.now)
    password = factory.django.Password("correct horse battery")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create:
            user_set_roles(user=self, roles=extracted if extracted is not None else [ADVOCATE])


def advocate(**kwargs) -> User:
    return UserFactory(roles=[ADVOCATE], **kwargs)


def curator(**kwargs) -> User:
    return UserFactory(roles=[CURATOR, ADVOCATE], **kwargs)


def approver(**kwargs) -> User:
    return UserFactory(roles=[APPROVER, ADVOCATE], **kwargs)

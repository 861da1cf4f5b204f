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


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "content.Campaign"

    name = factory.Sequence(lambda n: f"Campaign {n}")
    slug = factory.Sequence(lambda n: f"campaign-{n}")
    status = "active"


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "content.Topic"
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")


class ContentItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "content.ContentItem"
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Item {n}")
    url = factory.Sequence(lambda n: f"https://news.example.com/articles/{n}")
    summary = "A useful article."
    status = "draft"

    @factory.post_generation
    def texts(self, create, extracted, **kwargs):
        if create:
            from content.models import ShareText

            default = [("linkedin", "Worth a read."), ("x", "Read this")]
            for pos, (network, text) in enumerate(default if extracted is None else extracted):
                ShareText.objects.create(item=self, network=network, text=text, position=pos)


def published_item(**kwargs):
    kwargs.setdefault("published_at", timezone.now())
    return ContentItemFactory(status="published", **kwargs)


class SocialAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "advocacy.SocialAccount"

    user = factory.SubFactory(UserFactory)
    network = "linkedin"
    remote_id = factory.Sequence(lambda n: f"member{n}")
    handle = factory.Sequence(lambda n: f"member{n}")
    display_name = "A Member"
    access_token = factory.Sequence(lambda n: f"access-token-{n}")
    expires_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(days=50))
    scopes = "openid profile email w_member_social"
    audience_size = 500

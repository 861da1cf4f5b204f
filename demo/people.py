"""Demo people: an admin, a curator, an approver and ~25 employees in 4 teams."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import NotificationPreference, Team, User
from accounts.roles import ADMIN, ADVOCATE, APPROVER, CURATOR
from accounts.services.users import user_set_roles

DEMO_PASSWORD = "chorus-demo"  # noqa: S105  (printed by seed_demo on purpose)

TEAMS = {
    "Sales": "Account executives and sales engineers",
    "Engineering": "Product and platform engineering",
    "Customer Success": "Onboarding, support and renewals",
    "Leadership": "Executives and programme sponsors",
}

STAFF = [
    ("admin@chorus.example", "Ada Admin", "IT Programme Owner", "Leadership", [ADMIN, ADVOCATE], True),
    ("curator@chorus.example", "Cora Curator", "Content Marketing Manager", "Leadership", [CURATOR, ADVOCATE], False),
    ("approver@chorus.example", "Arun Approver", "Head of Marketing", "Leadership", [APPROVER, ADVOCATE], False),
]

# (name, title, team, location, timezone, language, preference)
EMPLOYEES = [
    ("Emma Employee", "Account Executive", "Sales", "London", "Europe/London", "en", "instant"),
    ("Liam Carter", "Sales Engineer", "Sales", "London", "Europe/London", "en", "instant"),
    ("Sofia Rossi", "Regional Sales Director", "Sales", "Milan", "Europe/Rome", "en", "daily"),
    ("Noah Schmidt", "Account Executive", "Sales", "Berlin", "Europe/Berlin", "de", "weekly"),
    ("Mia Dubois", "Business Development Rep", "Sales", "Paris", "Europe/Paris", "fr", "in_app"),
    ("Ethan Brooks", "Account Executive", "Sales", "New York", "America/New_York", "en", "instant"),
    ("Olivia Chen", "Sales Operations Lead", "Sales", "Singapore", "Asia/Singapore", "en", "weekly"),
    ("Lucas Silva", "Staff Engineer", "Engineering", "Lisbon", "Europe/Lisbon", "en", "instant"),
    ("Hana Sato", "Engineering Manager", "Engineering", "Tokyo", "Asia/Tokyo", "en", "weekly"),
    ("Jonas Weber", "Backend Engineer", "Engineering", "Berlin", "Europe/Berlin", "de", "in_app"),
    ("Priya Nair", "Principal Engineer", "Engineering", "London", "Europe/London", "en", "instant"),
    ("Mateo García", "Frontend Engineer", "Engineering", "Madrid", "Europe/Madrid", "es", "daily"),
    ("Grace Kim", "Site Reliability Engineer", "Engineering", "New York", "America/New_York", "en", "none"),
    ("Tom Becker", "Data Engineer", "Engineering", "Berlin", "Europe/Berlin", "de", "weekly"),
    ("Chloe Martin", "Customer Success Manager", "Customer Success", "Paris", "Europe/Paris", "fr", "instant"),
    ("Daniel Evans", "Onboarding Specialist", "Customer Success", "London", "Europe/London", "en", "weekly"),
    ("Aisha Bello", "Support Team Lead", "Customer Success", "London", "Europe/London", "en", "instant"),
    ("Ravi Patel", "Customer Success Manager", "Customer Success", "New York", "America/New_York", "en", "daily"),
    ("Elena Petrova", "Solutions Consultant", "Customer Success", "Berlin", "Europe/Berlin", "en", "in_app"),
    ("Samuel Ortiz", "Renewals Manager", "Customer Success", "Madrid", "Europe/Madrid", "es", "weekly"),
    ("Claire Dupont", "Chief Executive Officer", "Leadership", "London", "Europe/London", "en", "weekly"),
    ("Marcus Johnson", "Chief Revenue Officer", "Leadership", "New York", "America/New_York", "en", "instant"),
    ("Yuki Tanaka", "VP Engineering", "Leadership", "Tokyo", "Asia/Tokyo", "en", "weekly"),
    ("Ingrid Larsen", "VP Customer Success", "Leadership", "London", "Europe/London", "en", "daily"),
    ("Peter Novak", "Account Executive", "Sales", "Berlin", "Europe/Berlin", "de", "instant"),
]
# Not everyone has joined: adoption is a metric, so the demo has a funnel.
NOT_YET_ENROLLED = {"Peter Novak", "Tom Becker", "Samuel Ortiz"}


@dataclass
class Login:
    email: str
    role: str


def _email(name: str) -> str:
    first, *rest = name.lower().replace("í", "i").split(" ")
    return f"{first}.{rest[-1]}@chorus.example" if rest else f"{first}@chorus.example"


@transaction.atomic
def seed_people() -> list[Login]:
    """Create the demo teams and people; safe to run again (nothing is duplicated)."""
    teams = {}
    for name, description in TEAMS.items():
        teams[name], _ = Team.objects.get_or_create(name=name, defaults={"description": description})
    now = timezone.now()
    logins = []
    for email, name, title, team, roles, superuser in STAFF:
        user, created = User.objects.get_or_create(
            email=email,
            defaults={
                "full_name": name, "job_title": title, "team": teams[team], "location": "London",
                "timezone": "Europe/London", "advocate_opted_in_at": now,
                "invitation_accepted_at": now, "is_superuser": superuser,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            user_set_roles(user=user, roles=roles)
        logins.append(Login(email, " + ".join(r for r in roles if r != ADVOCATE)))
    for name, title, team, location, tz, language, preference in EMPLOYEES:
        enrolled = name not in NOT_YET_ENROLLED
        user, created = User.objects.get_or_create(
            email=_email(name),
            defaults={
                "full_name": name, "job_title": title, "team": teams[team], "location": location,
                "timezone": tz, "language": language,
                "notification_preference": NotificationPreference(preference),
                "advocate_opted_in_at": now if enrolled else None,
                "invited_at": now, "invitation_sent_at": now,
                "invitation_accepted_at": now if enrolled else None,
            },
        )
        if created:
            if enrolled:
                user.set_password(DEMO_PASSWORD)
            else:
                user.set_unusable_password()
            user.save(update_fields=["password"])
            user_set_roles(user=user, roles=[ADVOCATE])
    logins.append(Login(_email(EMPLOYEES[0][0]), "Advocate (employee)"))
    return logins

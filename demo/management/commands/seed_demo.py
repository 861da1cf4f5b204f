"""Load the demo data; running it again changes nothing that exists."""

from django.core.management.base import BaseCommand

from demo.activity import seed_activity
from demo.content import seed_content
from demo.people import DEMO_PASSWORD, seed_people


class Command(BaseCommand):
    help = "Create demo teams, people, content and a few weeks of activity (idempotent) and print the demo logins."

    def handle(self, *args, **options) -> None:
        logins = seed_people()
        items = seed_content()
        if items:
            self.stdout.write(f"Created {items} demo content items in 3 campaigns.")
        shares = seed_activity()
        if shares:
            self.stdout.write(f"Created {shares} demo shares with clicks and engagement over the last 4 weeks.")
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Log in at the portal with:"))
        for login in logins:
            self.stdout.write(f"  {login.email:<32} {DEMO_PASSWORD:<14} {login.role}")

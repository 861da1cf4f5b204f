"""Make a personal API token for someone, for scripts and CI.

    manage.py create_api_token --email ann@example.com --name "CI" --scope read --days 30

The token is printed once, alone on stdout (``TOKEN=$(manage.py create_api_token ...)``);
what it is goes to stderr. Like a token made in the portal it acts as its owner, with
their permissions, and is listed (and revocable) on their API tokens page.
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import ApiTokenScope, User
from accounts.services.api_tokens import MAX_LIFETIME, ApiTokenError, api_token_create


class Command(BaseCommand):
    help = "Make a personal API token for a person and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="The owner's email (the token acts as them).")
        parser.add_argument("--name", required=True, help="What will use it, e.g. 'CI'.")
        parser.add_argument("--scope", choices=ApiTokenScope.values, default=ApiTokenScope.READ,
                            help="read (the default) or read_write.")
        parser.add_argument("--days", type=int, default=30,
                            help=f"Days until it expires, 1 to {MAX_LIFETIME.days} (default 30).")

    def handle(self, *args, **options) -> None:
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        if user is None:
            raise CommandError(f"No account has the email {options['email']!r}.")
        try:
            new = api_token_create(user=user, name=options["name"], scope=options["scope"],
                                   expires_in_days=options["days"])
        except ApiTokenError as exc:
            raise CommandError(str(exc)) from None
        token = new.token
        self.stderr.write(
            f"Token “{token.name}” for {user.email}: {token.get_scope_display().lower()}, "
            f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC. It is shown once; keep it secret."
        )
        self.stdout.write(new.plain)

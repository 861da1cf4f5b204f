"""Print a new VAPID key pair for Web Push (set them as VAPID_PRIVATE_KEY / VAPID_PUBLIC_KEY).

Keep the pair: browsers subscribed with the public key, so a new pair means every device
must turn push on again."""

from django.core.management.base import BaseCommand

from notifications.services.push import vapid_pair_generate


class Command(BaseCommand):
    help = "Generate a VAPID key pair for Web Push and print it as environment variables."

    def handle(self, *args, **options) -> None:
        private, public = vapid_pair_generate()
        self.stdout.write(f"VAPID_PRIVATE_KEY={private}\nVAPID_PUBLIC_KEY={public}\n")
        self.stderr.write("Keep VAPID_PRIVATE_KEY secret (a secret manager, or .env readable by Chorus only).")

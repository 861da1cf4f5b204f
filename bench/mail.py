"""The benchmark's email backend: builds every message's MIME bytes, as SMTP would, and
discards them (the mail provider is not what is measured)."""

from django.core.mail.backends.base import BaseEmailBackend


class DiscardingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        for message in email_messages:
            message.message().as_bytes()
        return len(email_messages)

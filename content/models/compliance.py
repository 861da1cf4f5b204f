from django.db import models


class ComplianceSettings(models.Model):
    """Programme-wide guardrails (a single row, edited in admin)."""

    blocked_words = models.TextField(
        blank=True,
        help_text="One word or phrase per line. Shares containing them (whole words, any case) are refused.",
    )
    default_disclosure = models.CharField(
        max_length=60,
        blank=True,
        help_text='Added to every share unless the item sets its own, e.g. "#employee".',
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "compliance settings"
        verbose_name_plural = "compliance settings"

    def __str__(self) -> str:
        return "Compliance settings"

    @classmethod
    def load(cls) -> "ComplianceSettings":
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj

    @property
    def blocked_word_list(self) -> list[str]:
        return [w.strip() for w in self.blocked_words.splitlines() if w.strip()]

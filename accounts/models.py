"""People: users (email login), teams and their preferences."""

import secrets
import zoneinfo

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.functional import cached_property
from django.utils.text import slugify


def timezone_choices() -> list[tuple[str, str]]:
    """IANA zones for pickers (kept out of the model so migrations don't churn with tzdata)."""
    zones = sorted(tz for tz in zoneinfo.available_timezones() if "/" in tz and not tz.startswith("Etc/"))
    return [("UTC", "UTC")] + [(tz, tz.replace("_", " ")) for tz in zones]


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"Unknown time zone: {value}")


class Team(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=140, unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = slugify(self.name)[:140]
        super().save(*args, **kwargs)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> "User":
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str) -> "User":
        return self.get(email__iexact=username)


class NotificationPreference(models.TextChoices):
    INSTANT_EMAIL = "instant", "Email me as soon as there is new content"
    IN_APP = "in_app", "Only show it in Chorus"
    DAILY = "daily", "A daily digest email"
    WEEKLY = "weekly", "Only the weekly digest"
    NONE = "none", "No notifications"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


def _new_nonce() -> str:
    return secrets.token_urlsafe(12)


class User(AbstractBaseUser, PermissionsMixin):
    """An employee. Advocates are employees who opted in (``advocate_opted_in_at``)."""

    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    job_title = models.CharField(max_length=200, blank=True)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    location = models.CharField(max_length=120, blank=True, db_index=True)
    timezone = models.CharField(
        max_length=64, default="UTC", validators=[validate_timezone]
    )
    language = models.CharField(max_length=10, default="en")

    advocate_opted_in_at = models.DateTimeField(null=True, blank=True, db_index=True)
    leaderboard_opt_out = models.BooleanField(
        default=False, help_text="Hide me from leaderboards (my points still count for my team)."
    )
    notification_preference = models.CharField(
        max_length=10,
        choices=NotificationPreference.choices,
        default=NotificationPreference.INSTANT_EMAIL,
    )
    digest_weekday = models.PositiveSmallIntegerField(
        choices=Weekday.choices, default=Weekday.MONDAY
    )
    digest_hour = models.PositiveSmallIntegerField(
        default=9, help_text="Local hour (0-23) at which the weekly digest arrives."
    )

    invited_at = models.DateTimeField(null=True, blank=True)
    invitation_sent_at = models.DateTimeField(null=True, blank=True)
    invitation_accepted_at = models.DateTimeField(null=True, blank=True)
    # Changing the nonce invalidates every invitation link sent before.
    invitation_nonce = models.CharField(max_length=32, default=_new_nonce, editable=False)

    is_staff = models.BooleanField(
        default=False, help_text="Can log in to the marketing admin (Curators, Approvers, Admins)."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=dj_timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["full_name", "email"]
        indexes = [models.Index(fields=["team", "advocate_opted_in_at"])]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()
        if not 0 <= self.digest_hour <= 23:
            raise ValidationError({"digest_hour": "Choose an hour between 0 and 23."})

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return (self.full_name.split(" ")[0] if self.full_name else self.email.split("@")[0])

    @property
    def is_advocate(self) -> bool:
        return self.advocate_opted_in_at is not None and self.is_active

    @cached_property
    def role_names(self) -> frozenset[str]:
        return frozenset(self.groups.values_list("name", flat=True))

    def has_role(self, *roles: str) -> bool:
        """True if the user holds any of ``roles`` (superusers hold them all)."""
        return self.is_superuser or bool(self.role_names.intersection(roles))


class CompanyDefaults(models.Model):
    """Company-wide defaults for new accounts (one row). Edited in the admin's programme
    settings; kept here because the accounts layer (the CSV import) reads it."""

    default_timezone = models.CharField(
        "default time zone", max_length=64, default="UTC", validators=[validate_timezone],
        help_text="New employees get this time zone unless their import row names one; "
        "digests arrive at their local hour.",
    )

    class Meta:
        verbose_name = verbose_name_plural = "company defaults"

    def __str__(self) -> str:
        return "Company defaults"

    @classmethod
    def load(cls) -> "CompanyDefaults":
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


class ApiTokenScope(models.TextChoices):
    READ = "read", "Read only"
    READ_WRITE = "read_write", "Read and write"


class ApiToken(models.Model):
    """A personal API token: acts as its owner, with their permissions, within its scope.

    The token is shown once when made; only its SHA-256 is kept (it is 32 random bytes,
    so a fast hash is enough). ``prefix`` (in the token, not secret) finds the row.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What it is for, e.g. “Intranet widget”.")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    scope = models.CharField(max_length=10, choices=ApiTokenScope.choices, default=ApiTokenScope.READ)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "personal API token"

    def __str__(self) -> str:
        return f"{self.name} (chorus_{self.prefix}_…)"

    @property
    def is_read_only(self) -> bool:
        return self.scope == ApiTokenScope.READ

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or dj_timezone.now())

    def status(self, now=None) -> str:
        """"revoked", "expired" or "active" (the owner's state aside)."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.is_expired(now) else "active"

    def is_usable(self, now=None) -> bool:
        return self.status(now) == "active" and self.user.is_active

"""Content items: what marketing asks employees to share."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from accounts.models import Team
from content.text_rules import link_with_scheme, validate_http_url
from networks import display_name


class Network(models.TextChoices):
    # Labels are the adapters' display names (networks is the one place they are written).
    LINKEDIN = "linkedin", display_name("linkedin")
    X = "x", display_name("x")


class ContentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    SCHEDULED = "scheduled", "Scheduled"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"
    EXPIRED = "expired", "Expired"


class ContentType(models.TextChoices):
    COMPANY_NEWS = "company_news", "Company news"
    THOUGHT_LEADERSHIP = "thought_leadership", "Thought leadership"
    CUSTOMER_STORY = "customer_story", "Customer story / reference"
    INDUSTRY_ARTICLE = "industry_article", "Industry article"
    EVENT = "event", "Event"
    JOB_OPENING = "job_opening", "Job opening"
    PRODUCT = "product", "Product"
    CAMPAIGN_COLLATERAL = "campaign_collateral", "Campaign collateral"


class PreviewStatus(models.TextChoices):
    NONE = "none", "No link"
    PENDING = "pending", "Fetching…"
    OK = "ok", "Fetched"
    FAILED = "failed", "Failed"


def _encode_list(values: list[str]) -> str:
    """Store a small list as ``,a,b,`` so one indexed LIKE finds a member on any database."""
    cleaned = sorted({v.strip().lower() for v in values if v and v.strip() and "," not in v})
    return f",{','.join(cleaned)}," if cleaned else ""


def _decode_list(value: str) -> list[str]:
    return [v for v in value.strip(",").split(",") if v]


class ContentItem(models.Model):
    title = models.CharField(max_length=300)
    url = models.URLField("link", max_length=2000, blank=True, help_text="Optional: text-only posts are fine.")
    summary = models.TextField(blank=True)
    image = models.ImageField(upload_to="content/%Y/%m/", blank=True)
    content_type = models.CharField(
        max_length=24, choices=ContentType.choices, default=ContentType.COMPANY_NEWS, db_index=True
    )
    topics = models.ManyToManyField("content.Topic", blank=True, related_name="items")
    campaign = models.ForeignKey(
        "content.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )
    hashtags = models.CharField(max_length=300, blank=True, help_text="Suggested hashtags, e.g. #cloud #security")

    # Link preview (filled in by a background task; always editable by hand).
    preview_title = models.CharField(max_length=300, blank=True)
    preview_description = models.TextField(blank=True)
    preview_image_url = models.URLField(max_length=2000, blank=True)
    preview_site_name = models.CharField(max_length=200, blank=True)
    canonical_url = models.URLField(max_length=2000, blank=True, db_index=True)
    preview_status = models.CharField(max_length=8, choices=PreviewStatus.choices, default=PreviewStatus.NONE)
    preview_error = models.CharField(max_length=500, blank=True)
    preview_fetched_at = models.DateTimeField(null=True, blank=True)

    # Targeting: everyone, or all of the set dimensions (teams / locations / languages).
    target_everyone = models.BooleanField(default=True)
    target_teams = models.ManyToManyField(Team, blank=True, related_name="+")
    target_locations = models.CharField(max_length=1000, blank=True, editable=False)
    target_languages = models.CharField(max_length=200, blank=True, editable=False)

    priority = models.SmallIntegerField(default=0, help_text="Higher comes first.")
    pinned = models.BooleanField(default=False, help_text="Keep at the top of the feed.")
    status = models.CharField(
        max_length=10, choices=ContentStatus.choices, default=ContentStatus.DRAFT, db_index=True
    )
    publish_at = models.DateTimeField(null=True, blank=True, db_index=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)

    # Compliance.
    text_locked = models.BooleanField(default=False, help_text="Advocates must share the suggested text as is.")
    disclosure = models.CharField(
        max_length=60, blank=True, help_text="Added to every share of this item (overrides the global default)."
    )
    allow_linkedin = models.BooleanField("may be shared on LinkedIn", default=True)
    allow_x = models.BooleanField("may be shared on X", default=True)

    # Provenance.
    feed_source = models.ForeignKey(
        "content.FeedSource", null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )
    feed_guid = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-pinned", "-priority", "-published_at", "-created_at"]
        permissions = [
            ("approve_contentitem", "Can approve content"),
            ("publish_contentitem", "Can publish and schedule content"),
        ]
        indexes = [
            models.Index(fields=["status", "published_at"]),
            models.Index(fields=["feed_source", "feed_guid"]),
        ]

    def __str__(self) -> str:
        return self.display_title

    def clean_fields(self, exclude=None) -> None:
        """Field validation, plus: the link is an http(s) web address (``URLField`` alone
        also accepts ``ftp:``), since it is what ``/r/<code>`` sends people to."""
        errors: dict = {}
        if self.url:
            self.url = link_with_scheme(self.url)  # "example.com/post" is https://example.com/post
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if self.url and "url" not in errors and "url" not in (exclude or ()):
            try:
                self.url = validate_http_url(self.url, max_length=2000)
            except ValidationError as exc:
                errors["url"] = exc.error_list
        if errors:
            raise ValidationError(errors)

    # Targeting lists are stored encoded; these accessors are the only way in and out.
    @property
    def target_location_list(self) -> list[str]:
        return _decode_list(self.target_locations)

    @target_location_list.setter
    def target_location_list(self, values: list[str]) -> None:
        self.target_locations = _encode_list(values)

    @property
    def target_language_list(self) -> list[str]:
        return _decode_list(self.target_languages)

    @target_language_list.setter
    def target_language_list(self, values: list[str]) -> None:
        self.target_languages = _encode_list(values)

    @property
    def networks(self) -> list[str]:
        return [n for n, allowed in ((Network.LINKEDIN, self.allow_linkedin), (Network.X, self.allow_x)) if allowed]

    @property
    def is_live(self) -> bool:
        now = timezone.now()
        return self.status == ContentStatus.PUBLISHED and (self.expires_at is None or self.expires_at > now)

    @property
    def display_title(self) -> str:
        """The title employees see (feed, emails, API, the posted link card): the curator's,
        else the one fetched from the link (the title is optional when there is a link),
        else the link's domain while the fetch is under way."""
        return self.title or self.preview_title or self.domain

    @property
    def display_image_url(self) -> str:
        """For emails: our stored copy, else the article's own image (mail clients proxy it)."""
        if self.image:
            return self.image.url
        return self.preview_image_url

    @property
    def portal_image_url(self) -> str:
        """For Chorus's own pages: only our stored copy. Hot-linking the article's image would
        tell a third party who reads the feed, and the Content-Security-Policy allows images
        from our own origin only."""
        return self.image.url if self.image else ""

    @property
    def domain(self) -> str:
        return (urlsplit(self.url).hostname or "").removeprefix("www.") if self.url else ""


class ShareText(models.Model):
    """One suggested text for one network. Advocates are offered different variants."""

    item = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="share_texts")
    network = models.CharField(max_length=10, choices=Network.choices)
    text = models.TextField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["network", "position", "pk"]
        verbose_name = "suggested share text"

    def __str__(self) -> str:
        return f"{self.get_network_display()}: {self.text[:40]}"


class ContentChange(models.Model):
    """Who changed what on an item, and when (the item's history)."""

    item = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="changes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=40)
    changes = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.action} by {self.user or 'system'} at {self.at:%Y-%m-%d %H:%M}"

"""Serializers of content items and their suggested texts (staff API).

Write serializers only parse and document the input: the rules (required title, an
http(s) link, expiry after publication, at least one network, targeting, consequences of
an edit, texts that fit their network) are the admin form's and the services', applied by
:mod:`content.apis.editing`.
"""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from content.models import ContentItem, ContentType, Network, ShareText


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date-time that names its offset (a bare local time is ambiguous)."""

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and parsed.tzinfo is None:
                raise serializers.ValidationError("Use an ISO 8601 date-time with a time zone offset.")
        return super().to_internal_value(value)


class ShareTextSerializer(serializers.ModelSerializer):
    """One suggested text for one network (advocates are offered the variants in turn)."""

    class Meta:
        model = ShareText
        fields = ["id", "network", "text", "position"]
        read_only_fields = ["id"]
        extra_kwargs = {"position": {"required": False}}


class ShareTextInputSerializer(serializers.Serializer):
    """A suggested text in an item's ``texts`` (the whole list: rows left out are removed)."""

    id = serializers.IntegerField(required=False, allow_null=True,
                                  help_text="An existing text of this item, to change it in place; omit for a new one.")
    network = serializers.ChoiceField(choices=Network.choices)
    text = serializers.CharField(max_length=10000)
    position = serializers.IntegerField(required=False, default=0, min_value=0, max_value=32767)


class ContentItemSerializer(serializers.ModelSerializer):
    """A content item as staff see it (every status)."""

    topics = serializers.PrimaryKeyRelatedField(many=True, read_only=True, help_text="Topic ids.")
    target_teams = serializers.PrimaryKeyRelatedField(many=True, read_only=True, help_text="Team ids.")
    target_locations = serializers.ListField(child=serializers.CharField(), source="target_location_list",
                                             read_only=True)
    target_languages = serializers.ListField(child=serializers.CharField(), source="target_language_list",
                                             read_only=True)
    image_url = serializers.SerializerMethodField()
    # Plain strings, "" when there is none (as in the advocate's API): the model's URLField
    # would document them as `format: uri`, which "" is not.
    url = serializers.CharField(read_only=True, help_text="The article; empty for a text-only post.")
    preview_image_url = serializers.CharField(read_only=True, help_text="The preview's image; empty if none.")
    canonical_url = serializers.CharField(read_only=True,
                                          help_text="The page's canonical address, once fetched; empty if none.")
    networks = serializers.ListField(child=serializers.CharField(), read_only=True,
                                     help_text="Where it may be shared: `linkedin`, `x`.")
    texts = ShareTextSerializer(source="share_texts", many=True, read_only=True)
    pending_revision = serializers.IntegerField(
        source="pending_revision_id", read_only=True, allow_null=True, default=None,
        help_text="The id of the change waiting for an Approver, if any (the item shows the approved version).",
    )

    class Meta:
        model = ContentItem
        fields = [
            "id", "title", "url", "summary", "image_url", "content_type", "topics", "campaign", "hashtags",
            "preview_status", "preview_error", "preview_title", "preview_description", "preview_image_url",
            "preview_site_name", "canonical_url", "preview_fetched_at",
            "target_everyone", "target_teams", "target_locations", "target_languages",
            "priority", "pinned", "status", "publish_at", "expires_at", "published_at",
            "text_locked", "disclosure", "allow_linkedin", "allow_x", "networks", "texts",
            "pending_revision", "created_by", "approved_by", "approved_at", "created_at", "updated_at",
        ]
        read_only_fields = fields

    def get_image_url(self, item: ContentItem) -> str:
        """Chorus's stored copy of the image ("" if none)."""
        return item.image.url if item.image else ""


class ContentItemWriteSerializer(serializers.Serializer):
    """What a create, PUT or PATCH may send. PATCH changes only what it names; PUT sets every
    field (those left out take their defaults); ``texts``, when sent, is the whole list."""

    title = serializers.CharField(required=False, allow_blank=True)
    url = serializers.CharField(required=False, allow_blank=True, help_text="An http(s) link; empty: a text post.")
    summary = serializers.CharField(required=False, allow_blank=True)
    content_type = serializers.ChoiceField(choices=ContentType.choices, required=False)
    topics = serializers.ListField(child=serializers.IntegerField(), required=False, help_text="Topic ids.")
    campaign = serializers.IntegerField(required=False, allow_null=True, help_text="A campaign id, or null.")
    hashtags = serializers.CharField(required=False, allow_blank=True)
    preview_title = serializers.CharField(required=False, allow_blank=True)
    preview_description = serializers.CharField(required=False, allow_blank=True)
    preview_image_url = serializers.CharField(required=False, allow_blank=True)
    preview_site_name = serializers.CharField(required=False, allow_blank=True)
    target_everyone = serializers.BooleanField(required=False)
    target_teams = serializers.ListField(child=serializers.IntegerField(), required=False, help_text="Team ids.")
    target_locations = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    target_languages = serializers.ListField(child=serializers.ChoiceField(choices=settings.LANGUAGES),
                                             required=False)
    priority = serializers.IntegerField(required=False)
    pinned = serializers.BooleanField(required=False)
    publish_at = AwareDateTimeField(required=False, allow_null=True)
    expires_at = AwareDateTimeField(required=False, allow_null=True)
    text_locked = serializers.BooleanField(required=False)
    disclosure = serializers.CharField(required=False, allow_blank=True)
    allow_linkedin = serializers.BooleanField(required=False)
    allow_x = serializers.BooleanField(required=False)
    texts = ShareTextInputSerializer(many=True, required=False)
    confirm_consequences = serializers.BooleanField(
        required=False, default=False,
        help_text="Set to true to make a change that reaches beyond the item (links already posted, the "
                  "text lock, the disclosure, the networks), once you have read the 409 that lists them.",
    )


class WorkflowScheduleSerializer(serializers.Serializer):
    publish_at = AwareDateTimeField(help_text="When to publish (in the future, before the item expires).")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="",
                                 help_text="Kept in the item's history (optional).")


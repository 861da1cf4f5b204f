"""Admin: the email delivery log, the development Outbox, digest previews and test
digests, Slack and Microsoft Teams webhooks per team."""

from collections.abc import Callable

from csp.decorators import csp
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from accounts.models import User
from content.models import ContentItem
from core.admin import ReadOnlyAdminMixin
from core.queueing import enqueue
from notifications.emails import RenderedEmail
from notifications.models import (
    ContentFanout,
    DeliveryKind,
    DeliveryStatus,
    EmailDelivery,
    Notification,
    OutboxMessage,
    SlackAnnouncement,
    TeamsAnnouncement,
    TeamSlackWebhook,
    TeamsWebhook,
    validate_slack_webhook_url,
    validate_teams_webhook_url,
)
from notifications.outbox import outbox_enabled, outbox_get, outbox_list
from notifications.services.digests import digest_preview, digest_send_test
from notifications.services.fanout import new_content_template, personal_values


def email_document(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """An email's HTML as a document of its own, for the preview iframes: its own CSP
    (settings.CSP_EMAIL_DOCUMENT: the email's inline styles, nothing that runs), framable by
    Chorus pages only. The admin page around the iframe keeps the strict policy."""
    return xframe_options_sameorigin(csp(settings.CSP_EMAIL_DOCUMENT)(view))


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The delivery log: every email Chorus sent, skipped or failed to send."""

    list_display = ("created_at", "kind", "to_email", "subject_short", "status_pill", "attempts", "sent_at", "period")
    list_filter = ("kind", "status", ("created_at", admin.DateFieldListFilter), "unsubscribed_at")
    search_fields = ("to_email", "user__email", "user__full_name", "subject", "period")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in EmailDelivery._meta.fields]
    actions = ["retry_now"]
    change_list_template = "admin/notifications/emaildelivery/change_list.html"
    read_only_may_delete = True

    @admin.display(description="subject")
    def subject_short(self, obj: EmailDelivery) -> str:
        return (obj.subject or "—")[:70]

    @admin.display(description="status", ordering="status")
    def status_pill(self, obj: EmailDelivery) -> str:
        known = {DeliveryStatus.SENT, DeliveryStatus.SKIPPED, DeliveryStatus.RETRYING, DeliveryStatus.FAILED}
        colour = obj.status if obj.status in known else "other"  # .chorus-status-* in css/admin.css
        title = obj.error or ""
        return format_html(
            '<strong class="chorus-status-{}" title="{}">{}</strong>', colour, title, obj.get_status_display()
        )

    @admin.action(description="Retry the selected failed emails now", permissions=["view"])
    def retry_now(self, request: HttpRequest, queryset) -> None:
        count = queryset.filter(status__in=[DeliveryStatus.RETRYING, DeliveryStatus.FAILED]).update(
            status=DeliveryStatus.RETRYING, next_attempt_at=timezone.now()
        )
        enqueue("notify.retry_due")
        self.message_user(request, f"{count} email(s) will be retried within a minute.")

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("test-digest/", wrap(require_POST(self.test_digest_view)), name="notifications_test_digest"),
            path("preview/", wrap(self.preview_view), name="notifications_digest_preview"),
            path("preview/html/", wrap(email_document(self.preview_html_view)),
                 name="notifications_digest_preview_html"),
            *super().get_urls(),
        ]

    def test_digest_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise Http404
        delivery = digest_send_test(user=request.user)
        if delivery is not None and delivery.status == DeliveryStatus.SENT:
            where = " Open the Outbox to see it." if outbox_enabled() else ""
            messages.success(request, f"Test digest sent to {delivery.to_email}.{where}")
        else:
            error = delivery.error if delivery is not None else "not claimed"
            messages.error(request, f"The test digest could not be sent: {error}")
        return HttpResponseRedirect(_same_site(request, request.POST.get("next", ""))
                                    or reverse("admin:notifications_emaildelivery_changelist"))

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """The digest (or new-content email) a given advocate would get right now."""
        if not self.has_view_permission(request):
            raise Http404
        form = PreviewForm(request.GET or None)
        context = {
            **self.admin_site.each_context(request), "title": "Preview an email", "form": form,
            "opts": self.model._meta,
        }
        if form.is_valid():
            rendered, note = _preview(form)
            html_url = f"{reverse('admin:notifications_digest_preview_html')}?{request.GET.urlencode()}"
            context.update(preview_user=form.cleaned_data["user"], rendered=rendered, note=note, html_url=html_url)
        return TemplateResponse(request, "admin/notifications/preview.html", context)

    def preview_html_view(self, request: HttpRequest) -> HttpResponse:
        """The previewed email's HTML part alone, for the preview page's iframe."""
        if not self.has_view_permission(request):
            raise Http404
        form = PreviewForm(request.GET)
        if not form.is_valid():
            raise Http404("Nothing to preview.")
        rendered, _note = _preview(form)
        return HttpResponse(rendered.html)


def _preview(form: "PreviewForm") -> tuple[RenderedEmail, str]:
    """The email a valid ``form`` asks for, and a note on what it shows."""
    user = form.cleaned_data["user"]
    kind = form.cleaned_data["kind"]
    if kind == "new_content":
        item = form.cleaned_data["item"]
        rendered = new_content_template(item).personalise(personal_values(user, item.pk, None))
        return rendered, f"The email {user.email} gets when “{item.display_title}” is published."
    digest, rendered = digest_preview(user=user, kind=kind)
    note = f"{digest.new_count} new, {len(digest.items)} shown. " + (
        "Would be skipped: nothing new." if not digest.new_count else ""
    )
    return rendered, note


class PreviewForm(forms.Form):
    email = forms.EmailField(label="Advocate's email")
    kind = forms.ChoiceField(choices=[
        (DeliveryKind.WEEKLY_DIGEST.value, "Weekly digest"),
        (DeliveryKind.DAILY_DIGEST.value, "Daily digest"),
        ("new_content", "New-content email"),
    ])
    item = forms.IntegerField(label="Item id (new-content email)", required=False, min_value=1)

    def clean(self):
        data = super().clean()
        user = User.objects.filter(email__iexact=(data.get("email") or "").strip()).first()
        if data.get("email") and user is None:
            self.add_error("email", "No employee has this email address.")
        data["user"] = user
        if data.get("kind") == "new_content":
            data["item"] = ContentItem.objects.filter(pk=data.get("item") or 0).first()
            if data["item"] is None:
                self.add_error("item", "Give the id of an existing content item.")
        return data


@admin.register(OutboxMessage)
class OutboxAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Development mail (``EMAIL_FILE_PATH``) listed and rendered: what employees receive."""

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("", wrap(self.changelist_view), name="notifications_outboxmessage_changelist"),
            path("message/<str:key>/", wrap(self.message_view), name="notifications_outbox_message"),
            path("message/<str:key>/html/", wrap(email_document(self.message_html_view)),
                 name="notifications_outbox_message_html"),
        ]

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise Http404
        search = request.GET.get("q", "")[:100]
        entries = outbox_list(limit=1000, search=search) if outbox_enabled() else []
        page = Paginator(entries, 50).get_page(request.GET.get("page"))
        return TemplateResponse(request, "admin/notifications/outbox.html", {
            **self.admin_site.each_context(request), "title": "Outbox (development mail)", "page": page,
            "enabled": outbox_enabled(), "search": search, "opts": self.model._meta,
        })

    def message_view(self, request: HttpRequest, key: str) -> HttpResponse:
        if not self.has_view_permission(request) or not outbox_enabled():
            raise Http404
        entry = outbox_get(key)
        if entry is None:
            raise Http404("No such message.")
        return TemplateResponse(request, "admin/notifications/outbox_message.html", {
            **self.admin_site.each_context(request), "title": entry.subject, "entry": entry,
            "opts": self.model._meta,
        })

    def message_html_view(self, request: HttpRequest, key: str) -> HttpResponse:
        """The message's HTML part alone, for the message page's iframe."""
        if not self.has_view_permission(request) or not outbox_enabled():
            raise Http404
        entry = outbox_get(key)
        if entry is None or not entry.html:
            raise Http404("No such message.")
        return HttpResponse(entry.html)


class ChannelWebhookForm(forms.ModelForm):
    """A team's chat-channel webhook; the URL is a secret, typed in and never shown again."""

    validate_url: Callable[[str], None]
    url_help = ""
    url = forms.CharField(label="Incoming webhook URL", required=False, widget=forms.PasswordInput(render_value=False))

    class Meta:
        fields = ["team", "url", "is_active"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["url"].help_text = self.url_help + " Stored encrypted and never shown again; leave empty to " \
                                                       "keep the current one."

    def clean_url(self) -> str:
        value = (self.cleaned_data.get("url") or "").strip()
        if not value:
            if self.instance.pk and self.instance.url:
                return self.instance.url
            raise forms.ValidationError("Paste the webhook URL.")
        type(self).validate_url(value)
        return value


class SlackWebhookForm(ChannelWebhookForm):
    validate_url = staticmethod(validate_slack_webhook_url)
    url_help = ("From Slack: Apps → Incoming Webhooks → Add to channel. Starts with "
                "https://hooks.slack.com/services/.")

    class Meta(ChannelWebhookForm.Meta):
        model = TeamSlackWebhook


class TeamsWebhookForm(ChannelWebhookForm):
    validate_url = staticmethod(validate_teams_webhook_url)
    url_help = ("From Teams: the channel's ⋯ → Workflows → “Post to a channel when a webhook request is "
                "received”, then copy the URL the workflow shows.")

    class Meta(ChannelWebhookForm.Meta):
        model = TeamsWebhook


class ChannelWebhookAdmin(admin.ModelAdmin):
    """A team's Slack or Teams channel: the URL masked, its last post and error."""

    list_display = ("team", "masked", "is_active", "last_posted_at", "last_error")
    list_filter = ("is_active",)
    readonly_fields = ("masked", "last_posted_at", "last_error", "created_at")
    list_select_related = ("team",)

    @admin.display(description="webhook")
    def masked(self, obj) -> str:
        return obj.masked_url

    def get_fields(self, request: HttpRequest, obj=None):
        return ["team", "url", "is_active", *(["masked", "last_posted_at", "last_error"] if obj else [])]


@admin.register(TeamSlackWebhook)
class TeamSlackWebhookAdmin(ChannelWebhookAdmin):
    form = SlackWebhookForm


@admin.register(TeamsWebhook)
class TeamsWebhookAdmin(ChannelWebhookAdmin):
    form = TeamsWebhookForm


@admin.register(ContentFanout)
class ContentFanoutAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("item", "status", "recipients", "chunks", "created_at", "dispatched_at")
    list_filter = ("status",)
    list_select_related = ("item",)
    readonly_fields = ("item", "status", "recipients", "chunks", "created_at", "dispatched_at")
    read_only_may_delete = True


class ChannelAnnouncementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A channel's delivery log: what was announced in which team's channel."""

    list_display = ("updated_at", "item", "team", "status", "attempts", "error")
    list_filter = ("status", "webhook__team")
    search_fields = ("item__title",)
    list_select_related = ("item", "webhook__team")
    readonly_fields = ("webhook", "item", "status", "attempts", "error", "created_at", "updated_at")
    date_hierarchy = "updated_at"
    read_only_may_delete = True

    @admin.display(description="team", ordering="webhook__team__name")
    def team(self, obj) -> str:
        return obj.webhook.team.name


@admin.register(SlackAnnouncement)
class SlackAnnouncementAdmin(ChannelAnnouncementAdmin):
    pass


@admin.register(TeamsAnnouncement)
class TeamsAnnouncementAdmin(ChannelAnnouncementAdmin):
    pass


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "kind", "title", "read_at")
    list_filter = ("kind",)
    search_fields = ("user__email", "title")
    list_select_related = ("user",)


def _same_site(request: HttpRequest, target: str) -> str:
    """``target`` when it is a path on this site, else "" (no open redirect via ``next``)."""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""

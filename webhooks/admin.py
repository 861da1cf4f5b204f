"""Admin: webhook endpoints (events, secret shown once, rotate, send a test event) and the
delivery log (status, event type, each attempt's status code, time and answer).

Only whoever may change endpoints (the Admin role) manages them; the custom views check
that model permission.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from core.admin import ReadOnlyAdminMixin
from webhooks.models import SUBSCRIBABLE, EventType, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.services.deliveries import deliveries_resend
from webhooks.services.endpoints import (
    endpoint_reactivate,
    endpoint_rotate_secret,
    endpoint_url_problem,
)
from webhooks.services.events import test_event_send
from webhooks.signing import new_secret

EVENT_CHOICES = [(value, EventType(value).label) for value in SUBSCRIBABLE]


class WebhookEndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(choices=EVENT_CHOICES, widget=forms.CheckboxSelectMultiple,
                                       help_text="The events sent to this URL.")

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events", "is_active"]
        help_texts = {
            "url": "An https:// address on the public internet that accepts POSTs. Chorus checks it now and again "
                   "at every delivery; private and internal addresses are refused.",
        }

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        problem = endpoint_url_problem(url)
        if problem:
            raise forms.ValidationError(problem)
        return url


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ("number", "started_at", "status_code", "duration_ms", "error", "response_body")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ("endpoint", "event_list", "is_active", "last_success_at", "consecutive_failures",
                    "disabled_reason")
    list_filter = ("is_active",)
    search_fields = ("url", "description")
    change_form_template = "admin/webhooks/webhookendpoint/change_form.html"
    health = ("signing_secret", "last_success_at", "consecutive_failures", "failing_since", "disabled_at",
              "disabled_reason", "created_at")
    readonly_fields = health

    @admin.display(description="endpoint", ordering="url")
    def endpoint(self, obj: WebhookEndpoint) -> str:
        return str(obj)

    @admin.display(description="events")
    def event_list(self, obj: WebhookEndpoint) -> str:
        return ", ".join(obj.events or []) or "—"

    @admin.display(description="signing secret")
    def signing_secret(self, obj: WebhookEndpoint) -> str:
        return f"{obj.masked_secret} (shown once, when made; use “Rotate secret” for a new one)"

    def get_fields(self, request: HttpRequest, obj=None):
        return ["url", "description", "events", "is_active", *(self.health if obj else [])]

    def save_model(self, request: HttpRequest, obj: WebhookEndpoint, form, change: bool) -> None:
        if not change:
            obj.secret = new_secret()
        turned_on = change and "is_active" in form.changed_data and obj.is_active
        super().save_model(request, obj, form, change)
        if turned_on:
            endpoint_reactivate(endpoint=obj)

    def response_add(self, request: HttpRequest, obj: WebhookEndpoint, post_url_continue=None) -> HttpResponse:
        return self._secret_page(request, obj, "Webhook endpoint added")

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/send-test/", wrap(require_POST(self.send_test_view)),
                 name="webhooks_webhookendpoint_send_test"),
            path("<int:pk>/rotate-secret/", wrap(require_POST(self.rotate_secret_view)),
                 name="webhooks_webhookendpoint_rotate_secret"),
            *super().get_urls(),
        ]

    def _endpoint_to_change(self, request: HttpRequest, pk: int) -> WebhookEndpoint:
        endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
        if not self.has_change_permission(request, endpoint):
            raise PermissionDenied
        return endpoint

    def send_test_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        endpoint = self._endpoint_to_change(request, pk)
        delivery = test_event_send(endpoint=endpoint)
        messages.success(request, f"A test event ({delivery.event.webhook_id}) is on its way to {endpoint}; "
                                  "its result appears here in a few seconds.")
        log = reverse("admin:webhooks_webhookdelivery_changelist")
        return HttpResponseRedirect(f"{log}?endpoint__id__exact={endpoint.pk}&event__type=webhook.test")

    def rotate_secret_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        endpoint = self._endpoint_to_change(request, pk)
        endpoint_rotate_secret(endpoint=endpoint)
        return self._secret_page(request, endpoint, "New signing secret")

    def _secret_page(self, request: HttpRequest, endpoint: WebhookEndpoint, title: str) -> HttpResponse:
        """The one time the secret is shown: not cached, not stored in messages or cookies."""
        response = TemplateResponse(request, "admin/webhooks/webhookendpoint/secret.html", {
            **self.admin_site.each_context(request), "title": title, "opts": self.model._meta,
            "original": endpoint, "secret": endpoint.secret, "previous_until": endpoint.previous_secret_until,
        })
        response["Cache-Control"] = "no-store"
        return response


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The delivery log: every event sent to every endpoint, with each attempt."""

    list_display = ("created_at", "event_type", "endpoint", "status_pill", "attempts", "last_status_code",
                    "next_attempt_at", "last_error")
    list_filter = ("status", "event__type", "endpoint")
    list_select_related = ("event", "endpoint")
    search_fields = ("event__uid",)
    date_hierarchy = "created_at"
    fields = ("endpoint", "event_type", "webhook_id", "status", "attempts", "next_attempt_at", "delivered_at",
              "last_status_code", "last_error", "created_at", "payload")
    readonly_fields = fields
    inlines = [AttemptInline]
    actions = ["send_again"]
    read_only_may_delete = True

    @admin.display(description="event", ordering="event__type")
    def event_type(self, obj: WebhookDelivery) -> str:
        return obj.event.type

    @admin.display(description="webhook-id")
    def webhook_id(self, obj: WebhookDelivery) -> str:
        return obj.event.webhook_id

    @admin.display(description="status", ordering="status")
    def status_pill(self, obj: WebhookDelivery) -> str:
        colour = {"succeeded": "sent", "failed": "failed", "pending": "retrying" if obj.attempts else "other"}
        return format_html('<strong class="chorus-status-{}" title="{}">{}</strong>',
                           colour.get(obj.status, "other"), obj.last_error, obj.get_status_display())

    @admin.display(description="body sent")
    def payload(self, obj: WebhookDelivery) -> str:
        try:
            pretty = json.dumps(json.loads(obj.event.body), indent=2, ensure_ascii=False)
        except ValueError:
            pretty = obj.event.body
        return format_html("<pre>{}</pre>", pretty)

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("webhooks.change_webhookendpoint")

    @admin.action(description="Send the selected failed deliveries again", permissions=["resend"])
    def send_again(self, request: HttpRequest, queryset) -> None:
        count = deliveries_resend(delivery_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} failed delivery(ies) will be sent again, with the same webhook-id.")

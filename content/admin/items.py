"""Content items in admin: list with badges and thumbnails, live post previews, the workflow."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from content.admin.forms import (
    ContentItemForm,
    ScheduleForm,
    ShareTextForm,
    ShareTextInlineFormSet,
    tracked_link_example,
)
from content.admin.link_preview import link_preview_view
from content.models import (
    ComplianceSettings,
    ContentChange,
    ContentItem,
    ContentRevision,
    ContentStatus,
    ContentSuggestion,
    Network,
    PreviewStatus,
    RevisionStatus,
    ShareText,
    SuggestionStatus,
)
from content.services.duplicate import content_duplicate
from content.services.items import content_deletable, content_item_save, content_texts_logged
from content.services.revisions import FIELDS as REVISION_FIELDS
from content.services.revisions import (
    M2M_FIELDS,
    NeedsConfirmation,
    RevisionError,
    needs_revision,
    pending_revision,
    revision_approve,
    revision_consequences,
    revision_diff,
    revision_propose,
    revision_reject,
    texts_of,
)
from content.services.workflow import (
    TRANSITIONS,
    NotAllowed,
    WorkflowError,
    allowed_transitions,
    content_publish,
    content_schedule,
    content_transition,
)

STATUS_COLOURS = {
    "draft": "grey", "in_review": "amber", "approved": "blue", "scheduled": "purple",
    "published": "green", "archived": "grey", "expired": "red",
}


def status_badge(status: str, label: str) -> str:
    return format_html('<span class="chorus-badge chorus-badge-{}">{}</span>', STATUS_COLOURS.get(status, "grey"), label)


class NetworkFilter(admin.SimpleListFilter):
    title = "network"
    parameter_name = "network"

    def lookups(self, request, model_admin):
        return Network.choices

    def queryset(self, request, queryset):
        if self.value() == "linkedin":
            return queryset.filter(allow_linkedin=True)
        if self.value() == "x":
            return queryset.filter(allow_x=True)
        return queryset


class ShareTextInline(admin.TabularInline):
    model = ShareText
    form = ShareTextForm
    formset = ShareTextInlineFormSet
    extra = 0
    min_num = 0
    verbose_name = "suggested share text"
    verbose_name_plural = "Suggested share texts — add several per network; each advocate is offered a different one"


class ContentChangeInline(admin.TabularInline):
    model = ContentChange
    extra = 0
    can_delete = False
    fields = ("at", "user", "action", "changes", "note")
    readonly_fields = fields
    verbose_name_plural = "History"
    max_num = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ContentItem)
class ContentItemAdmin(admin.ModelAdmin):
    form = ContentItemForm
    inlines = [ShareTextInline, ContentChangeInline]
    list_display = ("thumb", "title_col", "status_col", "campaign", "content_type", "when", "networks_col", "pinned")
    list_display_links = ("thumb", "title_col")
    list_filter = ("status", "campaign", "topics", "content_type", "target_teams", NetworkFilter, "pinned",
                   "preview_status")
    search_fields = ("title", "url", "summary", "preview_title", "share_texts__text")
    date_hierarchy = "created_at"
    list_select_related = ("campaign",)
    list_per_page = 50
    autocomplete_fields = ("campaign",)
    filter_horizontal = ("topics", "target_teams")
    readonly_fields = ("status_col", "preview_status", "preview_error", "preview_fetched_at", "canonical_url",
                       "created_by", "approved_by", "approved_at", "published_at", "created_at", "updated_at",
                       "feed_source")
    actions = ["action_submit", "action_publish", "action_schedule", "action_archive", "action_duplicate"]
    change_form_template = "admin/content/contentitem/change_form.html"
    change_list_template = "admin/content/contentitem/change_list.html"
    fieldsets = (
        ("Content", {"fields": ("title", "url", "summary", "image", "content_type", "topics", "campaign",
                                "hashtags")}),
        ("Link preview", {
            "fields": ("preview_status", "preview_error", "preview_title", "preview_description",
                       "preview_image_url", "preview_site_name", "canonical_url", "preview_fetched_at"),
            "description": "Filled in automatically from the link; edit any field by hand.",
        }),
        ("Who sees it", {"fields": ("target_everyone", "target_teams", "target_locations_text",
                                    "target_languages_choice")}),
        ("When", {"fields": ("priority", "pinned", "publish_at", "expires_at")}),
        ("Compliance", {"fields": ("text_locked", "disclosure", "allow_linkedin", "allow_x")}),
        ("Workflow", {"fields": ("status_col", "created_by", "approved_by", "approved_at", "published_at",
                                 "feed_source", "created_at", "updated_at")}),
    )

    class Media:
        css = {"all": ["css/admin.css", "css/admin-governance.css"]}
        js = ["js/share-counter.js", "js/admin-preview.js", "js/admin-link-preview.js"]

    # ----- list columns -----
    @admin.display(description="")
    def thumb(self, obj: ContentItem) -> str:
        url = obj.portal_image_url
        if url:
            return format_html('<img src="{}" alt="" class="chorus-thumb" loading="lazy">', url)
        return format_html('<span class="chorus-thumb chorus-thumb-empty" aria-hidden="true">{}</span>',
                           (obj.title[:1] or "?").upper())

    @admin.display(description="title", ordering="title")
    def title_col(self, obj: ContentItem) -> str:
        return format_html('{}<br><small class="chorus-muted">{}</small>', obj.display_title,
                           obj.domain or "text post")

    @admin.display(description="status", ordering="status")
    def status_col(self, obj: ContentItem) -> str:
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="when", ordering="publish_at")
    def when(self, obj: ContentItem) -> str:
        if obj.status == ContentStatus.PUBLISHED and obj.published_at:
            return format_html("published {}", timezone.localtime(obj.published_at).strftime("%d %b %H:%M"))
        if obj.status == ContentStatus.SCHEDULED and obj.publish_at:
            return format_html("at {}", timezone.localtime(obj.publish_at).strftime("%d %b %H:%M"))
        return "—"

    @admin.display(description="networks")
    def networks_col(self, obj: ContentItem) -> str:
        allowed = ((obj.allow_linkedin, Network.LINKEDIN), (obj.allow_x, Network.X))
        return " · ".join(network.label for ok, network in allowed if ok)

    # ----- saving -----
    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def save_model(self, request: HttpRequest, obj: ContentItem, form, change: bool) -> None:
        if change and needs_revision(ContentItem.objects.get(pk=obj.pk), request.user):
            # A curator's edit of a live item: nothing is saved here; save_related turns
            # the form into a pending revision and the approved version stays live.
            request._chorus_revision = True
            return
        content_item_save(item=obj, user=request.user, consequences=form.confirmed_consequences)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        item: ContentItem = form.instance
        if getattr(request, "_chorus_revision", False):
            self._propose_revision(request, form, formsets)
            return
        texts_before = texts_of(item) if change else []
        super().save_related(request, form, formsets, change)
        if change:
            content_texts_logged(item=item, user=request.user, before=texts_before)

    def _propose_revision(self, request: HttpRequest, form, formsets) -> None:
        item: ContentItem = form.instance  # holds the form's values, unsaved
        live = ContentItem.objects.get(pk=item.pk)
        image = item.image
        if image and not image._committed:  # a new upload: store it for the approver
            image.save(image.name, image.file, save=False)
        changed = set(form.changed_data)
        derived = {"target_locations_text": "target_locations", "target_languages_choice": "target_languages",
                   "campaign": "campaign_id"}
        names = {derived.get(name, name) for name in changed}
        fields = {f: getattr(item, f) for f in REVISION_FIELDS if f in names}
        m2m = {f: [o.pk for o in form.cleaned_data.get(f, [])] for f in M2M_FIELDS if f in changed}
        texts = None
        for formset in formsets:
            if formset.model is ShareText and formset.has_changed():
                texts = [
                    {"id": f.instance.pk, "network": f.cleaned_data["network"], "text": f.cleaned_data["text"],
                     "position": f.cleaned_data.get("position") or 0}
                    for f in formset.forms
                    if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("text")
                ]
        try:
            request._chorus_revision = revision_propose(item=live, user=request.user, fields=fields, m2m=m2m,
                                                        texts=texts)
        except RevisionError as exc:
            request._chorus_revision_error = str(exc)

    def construct_change_message(self, request, form, formsets, add=False):
        if getattr(request, "_chorus_revision", False):  # the formsets were not saved
            return [{"changed": {"fields": ["proposed a revision"]}}]
        return super().construct_change_message(request, form, formsets, add)

    def log_change(self, request, obj, message):
        if getattr(request, "_chorus_revision", False):
            message = "Proposed a revision (waiting for an Approver)."
        return super().log_change(request, obj, message)

    def response_change(self, request: HttpRequest, obj: ContentItem) -> HttpResponse:
        if not getattr(request, "_chorus_revision", False):
            return super().response_change(request, obj)
        error = getattr(request, "_chorus_revision_error", None)
        if error:
            messages.error(request, error)
        elif isinstance(request._chorus_revision, ContentRevision):
            messages.success(request, "Your changes are waiting for an Approver. Until then employees keep "
                                      "seeing the approved version (feed, emails, tracked links).")
        else:
            messages.info(request, "Nothing changed.")
        return HttpResponseRedirect(reverse("admin:content_contentitem_change", args=[obj.pk]))

    # ----- deleting: what employees have seen or shared is archived, not deleted -----
    def _protected(self, obj: ContentItem) -> bool:
        return not content_deletable(obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and self._protected(obj):
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        protected = [item for item in queryset if self._protected(item)]
        if protected:
            self.message_user(request, f"{len(protected)} item(s) were published or shared and were kept: "
                                       "archive them instead.", messages.WARNING)
        super().delete_queryset(request, queryset.exclude(pk__in=[i.pk for i in protected]))

    # ----- workflow (buttons on the item page) -----
    def get_urls(self):
        return [
            path("review/", self.admin_site.admin_view(self.review_queue_view), name="content_contentitem_review"),
            path("<int:pk>/link-preview/", self.admin_site.admin_view(self.link_preview_view),
                 name="content_contentitem_link_preview"),
            path("<int:pk>/transition/<str:name>/", self.admin_site.admin_view(self.transition_view),
                 name="content_contentitem_transition"),
            path("revision/<int:pk>/<str:decision>/", self.admin_site.admin_view(self.revision_view),
                 name="content_contentrevision_decide"),
        ] + super().get_urls()

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["workflow_transitions"] = [
                t for t in allowed_transitions(obj, request.user) if t.name != "schedule"
            ]
            context["can_schedule"] = any(t.name == "schedule" for t in allowed_transitions(obj, request.user))
            context["schedule_form"] = ScheduleForm(initial={"publish_at": obj.publish_at})
            context["pending_revision"] = pending_revision(obj)
        context["consequences"] = getattr(context.get("adminform") and context["adminform"].form,
                                          "consequences", [])
        compliance = ComplianceSettings.load()
        context["tracked_link_example"] = tracked_link_example()
        context["default_disclosure"] = compliance.default_disclosure
        return super().render_change_form(request, context, add, change, form_url, obj)

    def link_preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return link_preview_view(self, request, pk)

    def response_add(self, request: HttpRequest, obj: ContentItem, post_url_continue=None) -> HttpResponse:
        """Saved with a link: stay on the item, where the fetched preview fills in live."""
        plain_save = not any(key in request.POST for key in ("_continue", "_addanother", "_popup"))
        if plain_save and obj.preview_status == PreviewStatus.PENDING:
            added = f"“{obj.title}” was added." if obj.title else "The item was added."
            messages.success(request, f"{added} The link preview is being fetched and appears below when it "
                                      "is ready.")
            return HttpResponseRedirect(reverse("admin:content_contentitem_change", args=[obj.pk]))
        return super().response_add(request, obj, post_url_continue)

    def transition_view(self, request: HttpRequest, pk: int, name: str) -> HttpResponse:
        return _transition(self, request, pk, name)

    def review_queue_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        items = (
            ContentItem.objects.filter(status=ContentStatus.IN_REVIEW)
            .select_related("campaign", "created_by")
            .annotate(n_texts=Count("share_texts"))
            .order_by("updated_at")
        )
        suggestions = ContentSuggestion.objects.filter(status=SuggestionStatus.PENDING).select_related(
            "suggested_by", "item"
        )
        revisions = [
            {"revision": r, "diff": revision_diff(r), "consequences": revision_consequences(r)}
            for r in ContentRevision.objects.filter(status=RevisionStatus.PENDING)
            .select_related("item", "proposed_by").order_by("proposed_at")
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Review queue",
            "opts": self.model._meta,
            "items": items,
            "revisions": revisions,
            "suggestions": suggestions,
            "can_approve": request.user.has_perm("content.approve_contentitem"),
        }
        return TemplateResponse(request, "admin/content/review_queue.html", context)

    def revision_view(self, request: HttpRequest, pk: int, decision: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        revision = get_object_or_404(ContentRevision.objects.select_related("item"), pk=pk)
        back = reverse("admin:content_contentitem_review")
        try:
            if decision == "approve":
                revision_approve(revision=revision, user=request.user,
                                 confirmed=bool(request.POST.get("confirm_consequences")))
                messages.success(request, f"The revision of “{revision.item}” is live.")
            elif decision == "reject":
                revision_reject(revision=revision, user=request.user, note=request.POST.get("note", ""))
                messages.success(request, f"The revision of “{revision.item}” was rejected; the approved "
                                          "version stays.")
            else:
                return HttpResponse("Unknown decision.", status=400)
        except NeedsConfirmation as exc:
            messages.error(request, "Not approved yet: " + " ".join(c.message for c in exc.consequences)
                           + " Tick “I understand” to approve it.")
        except RevisionError as exc:
            if not request.user.has_perm("content.approve_contentitem"):
                return HttpResponse(str(exc), status=403)
            messages.error(request, str(exc))
        except ValidationError as exc:
            messages.error(request, "The revision cannot be applied: " + "; ".join(exc.messages))
        return HttpResponseRedirect(back)

    # ----- bulk actions -----
    def _bulk(self, request: HttpRequest, queryset: QuerySet, run, verb: str) -> None:
        done, problems = 0, []
        for item in queryset:
            try:
                with transaction.atomic():
                    if run(item) is not False:
                        done += 1
            except WorkflowError as exc:
                problems.append(str(exc))
        if done:
            self.message_user(request, f"{done} item(s) {verb}.", messages.SUCCESS)
        for problem in problems[:10]:
            self.message_user(request, problem, messages.ERROR)

    @admin.action(description="Submit for review")
    def action_submit(self, request, queryset):
        self._bulk(request, queryset, lambda i: content_transition(item=i, user=request.user, name="submit"),
                   "submitted for review")

    @admin.action(description="Approve and publish now")
    def action_publish(self, request, queryset):
        self._bulk(request, queryset, lambda i: content_publish(item=i, user=request.user), "published")

    @admin.action(description="Schedule (at each item's “publish at” time)")
    def action_schedule(self, request, queryset):
        def run(item: ContentItem):
            if not item.publish_at:
                raise WorkflowError(f"“{item.title}” has no “publish at” time. Set one first.")
            return content_schedule(item=item, user=request.user, publish_at=item.publish_at)

        self._bulk(request, queryset, run, "scheduled")

    @admin.action(description="Archive")
    def action_archive(self, request, queryset):
        self._bulk(request, queryset, lambda i: content_transition(item=i, user=request.user, name="archive"),
                   "archived")

    @admin.action(description="Duplicate as new drafts")
    def action_duplicate(self, request, queryset):
        copies = [content_duplicate(item=item, user=request.user) for item in queryset]
        self.message_user(request, f"{len(copies)} draft cop{'y' if len(copies) == 1 else 'ies'} created.",
                          messages.SUCCESS)


def _transition(model_admin: ContentItemAdmin, request: HttpRequest, pk: int, name: str) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    item = get_object_or_404(ContentItem, pk=pk)
    change_url = reverse("admin:content_contentitem_change", args=[item.pk])
    back = request.POST.get("next") or change_url
    # Same-site paths only: "//evil.example" and "https://evil.example" start like paths.
    if not back.startswith("/") or not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = change_url
    if name not in TRANSITIONS:
        messages.error(request, "Unknown action.")
        return HttpResponseRedirect(back)
    note = request.POST.get("note", "")[:2000]
    try:
        if name == "publish":
            if content_publish(item=item, user=request.user, note=note):
                messages.success(request, f"“{item.title}” is published. Targeted advocates will be told.")
            else:
                messages.warning(request, f"“{item.title}” was already published.")
        elif name == "schedule":
            form = ScheduleForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Choose a valid date and time to schedule.")
                return HttpResponseRedirect(back)
            content_schedule(item=item, user=request.user, publish_at=form.cleaned_data["publish_at"], note=note)
            when = timezone.localtime(item.publish_at).strftime("%d %b %Y %H:%M %Z")
            messages.success(request, f"“{item.title}” will be published on {when}.")
        else:
            content_transition(item=item, user=request.user, name=name, note=note)
            messages.success(request, f"“{item.title}”: {TRANSITIONS[name].label.lower()} done.")
    except NotAllowed as exc:
        return HttpResponse(str(exc), status=403)
    except WorkflowError as exc:
        messages.error(request, str(exc))
    return HttpResponseRedirect(back)

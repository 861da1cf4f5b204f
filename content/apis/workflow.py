"""The workflow actions on an item: ``POST /api/v1/content/items/<id>/<action>/``.

One action per transition of :data:`content.services.workflow.TRANSITIONS` (the admin's
buttons), each needing the transition's permission and calling the same service; plus
"duplicate" (the admin's bulk action). What the service refuses (a move the item's status does
not allow, a time in the past, ...) is a 400 ``workflow_refused`` with its message.
"""

from collections.abc import Callable

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from content.apis.base import WorkflowNoteSerializer
from content.apis.item_serializers import ContentItemSerializer, WorkflowScheduleSerializer
from content.models import ContentItem
from content.services.duplicate import content_duplicate
from content.services.workflow import (
    TRANSITIONS,
    NotAllowed,
    WorkflowError,
    content_publish,
    content_schedule,
    content_transition,
)
from core.api import ApiError, require_perm

TAG = "Content: items"
ITEM_EXAMPLE = {
    "id": 204, "title": "Our 2026 security report", "url": "https://www.example.com/reports/security-2026",
    "summary": "What 400 security leads told us.", "image_url": "", "content_type": "thought_leadership",
    "topics": [2], "campaign": 5, "hashtags": "#security", "preview_status": "ok", "preview_error": "",
    "preview_title": "The 2026 security report", "preview_description": "What 400 security leads told us.",
    "preview_image_url": "https://www.example.com/img/report.png", "preview_site_name": "Example",
    "canonical_url": "https://www.example.com/reports/security-2026", "preview_fetched_at": "2026-03-02T09:01:00Z",
    "target_everyone": True, "target_teams": [], "target_locations": [], "target_languages": [],
    "priority": 0, "pinned": False, "status": "published", "publish_at": None, "expires_at": None,
    "published_at": "2026-03-02T10:00:00Z", "text_locked": False, "disclosure": "", "allow_linkedin": True,
    "allow_x": True, "networks": ["linkedin", "x"],
    "texts": [{"id": 81, "network": "linkedin", "text": "Our new report is out.", "position": 0},
              {"id": 82, "network": "x", "text": "New: the 2026 security report", "position": 0}],
    "pending_revision": None, "created_by": 7, "approved_by": 3, "approved_at": "2026-03-02T10:00:00Z",
    "created_at": "2026-03-02T09:00:00Z", "updated_at": "2026-03-02T10:00:00Z",
}

# What each action does, for the schema (the permissions and state rules are the service's).
_ACTIONS: dict[str, str] = {
    "submit": "A draft goes to review (`in_review`). Needs `content.change_contentitem`.",
    "return_to_draft": "Send an item in review, approved or scheduled back to draft — how a reviewer turns "
                       "an item down: say why in `note`. Needs `content.change_contentitem`.",
    "approve": "Approve a draft or an item in review (`approved`: ready to be scheduled or published). Needs "
               "`content.approve_contentitem` (Approvers, Admins).",
    "schedule": "Approve (if needed) and publish automatically at `publish_at` (in the future, before the "
                "item expires). Needs `content.publish_contentitem` and `content.approve_contentitem`.",
    "publish": "Approve (if needed) and publish now: targeted advocates are told. Needs "
               "`content.publish_contentitem` and `content.approve_contentitem`.",
    "archive": "Withdraw the item from the feed (any status but archived). What employees have seen or "
               "shared is archived, never deleted. Needs `content.change_contentitem`.",
    "restore": "An archived or expired item back to draft. Needs `content.change_contentitem`.",
}


def _transition_action(name: str) -> Callable:
    transition = TRANSITIONS[name]
    body_class = WorkflowScheduleSerializer if name == "schedule" else WorkflowNoteSerializer
    request_example = ({"publish_at": "2026-03-09T09:00:00+01:00", "note": "Monday morning"} if name == "schedule"
                       else {"note": "Please check the figures in paragraph 2."} if name == "return_to_draft"
                       else {"note": ""})

    def run(self, request: Request, pk: int | None = None) -> Response:
        require_perm(request, transition.permission)
        item = self.get_object()
        body = body_class(data=request.data)
        body.is_valid(raise_exception=True)
        note = body.validated_data["note"]
        try:
            if name == "publish":
                if not content_publish(item=item, user=request.user, note=note):
                    raise WorkflowError(f"“{item.title}” was published by someone else meanwhile.")
            elif name == "schedule":
                content_schedule(item=item, user=request.user, publish_at=body.validated_data["publish_at"],
                                 note=note)
            else:
                content_transition(item=item, user=request.user, name=name, note=note)
        except NotAllowed as exc:
            raise ApiError("permission_denied", str(exc), http_status=403) from None
        except WorkflowError as exc:
            raise ApiError("workflow_refused", str(exc)) from None
        return Response(self.item_data(item.pk))

    # The router maps POST to the function's name: name it after the action first.
    run.__name__ = run.__qualname__ = name
    schema = extend_schema(
        tags=[TAG], summary=transition.label, operation_id=f"content_items_{name}",
        description=_ACTIONS[name] + " Answers the item. What the workflow refuses (a move the item's status "
                                     "does not allow, or that someone else made meanwhile) is a 400 "
                                     "`workflow_refused` saying why.",
        request=body_class, responses={200: ContentItemSerializer},
        examples=[OpenApiExample(transition.label, request_only=True, value=request_example),
                  OpenApiExample("The item", response_only=True,
                                 value={**ITEM_EXAMPLE, "status": str(transition.target)})],
    )
    path = name.replace("_", "-")
    return schema(action(detail=True, methods=["post"], url_path=path, url_name=path)(run))


class WorkflowActions:
    """Mixed into the items viewset (which provides ``get_object`` and ``item_data``)."""

    submit = _transition_action("submit")
    return_to_draft = _transition_action("return_to_draft")
    approve = _transition_action("approve")
    schedule = _transition_action("schedule")
    publish = _transition_action("publish")
    archive = _transition_action("archive")
    restore = _transition_action("restore")

    @extend_schema(
        tags=[TAG], summary="Duplicate as a new draft", operation_id="content_items_duplicate",
        description="A new draft with the same content, texts, topics and targeting (the admin's \"Duplicate "
                    "as new drafts\"). Needs `content.add_contentitem`.",
        request=None, responses={201: ContentItemSerializer},
        examples=[OpenApiExample("The copy", response_only=True, status_codes=["201"],
                                 value={**ITEM_EXAMPLE, "id": 205, "title": "Our 2026 security report (copy)",
                                        "status": "draft", "published_at": None, "approved_by": None,
                                        "approved_at": None})],
    )
    @action(detail=True, methods=["post"])
    def duplicate(self, request: Request, pk: int | None = None) -> Response:
        require_perm(request, "content.add_contentitem")
        item: ContentItem = self.get_object()
        copy = content_duplicate(item=item, user=request.user)
        return Response(self.item_data(copy.pk), status=status.HTTP_201_CREATED)


"""What content holds about a person, for "My data" and account deletion
(``accounts.services.privacy``): the links they suggested.

On deletion a suggestion keeps its link and review (it may have become an item in the
library, and accepted ones earned points that still count for the team) but loses the
person's note, here and in the item's history where the note was copied.
"""

from collections.abc import Iterator
from typing import Any

from accounts.models import User
from accounts.services.privacy import PersonalData, register_personal_data
from content.models import ContentChange, ContentSuggestion


def suggestions_export(user: User) -> Iterator[dict[str, Any]]:
    rows = (
        ContentSuggestion.objects.filter(suggested_by=user).order_by("created_at", "pk")
        .values("id", "url", "note", "status", "created_at", "reviewed_at", "response", "item__title")
    )
    for s in rows.iterator(chunk_size=1000):
        yield {
            "id": s["id"], "url": s["url"], "note": s["note"], "status": s["status"],
            "created_at": s["created_at"], "reviewed_at": s["reviewed_at"], "response": s["response"],
            "item": s["item__title"],
        }


def suggestions_erase(user: User) -> dict[str, int]:
    scrubbed = ContentSuggestion.objects.filter(suggested_by=user).update(note="")
    ContentChange.objects.filter(user=user, action="suggest").update(note="")
    return {"suggestions anonymised": scrubbed}


def register() -> None:
    register_personal_data(
        PersonalData(
            "suggestions", "Suggestions", "the links you suggested, your notes and the answers you got.",
            export=suggestions_export, position=70,
            count=lambda user: ContentSuggestion.objects.filter(suggested_by=user).count(),
            erase=suggestions_erase,
        ),
    )

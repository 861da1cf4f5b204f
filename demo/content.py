"""Demo content: 3 campaigns, topics and ~30 realistic items in every state."""

import hashlib
import io
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts.models import Team, User
from content.models import (
    Campaign,
    ComplianceSettings,
    ContentItem,
    PreviewStatus,
    ShareText,
    Topic,
)
from demo.catalog import CAMPAIGNS, ITEMS, TOPICS
from demo.fonts import demo_font

COLOURS = ["#3b4cca", "#0f9d76", "#c2410c", "#7c3aed", "#0a66c2", "#b91c1c", "#0e7490", "#4d7c0f"]


def demo_site_url(path: str) -> str:
    return f"{settings.SANDBOX_URL}/site/{path}"


def _image_for(title: str) -> ContentFile:
    colour = COLOURS[int(hashlib.sha256(title.encode()).hexdigest(), 16) % len(COLOURS)]
    img = Image.new("RGB", (1200, 627), colour)
    draw = ImageDraw.Draw(img)
    words, lines, line = title.split(), [], ""
    for word in words:
        if len(line) + len(word) > 28:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    y = 627 // 2 - 30 * len(lines)
    for text in lines[:5]:
        draw.text((80, y), text, fill="white", font=demo_font(56))
        y += 64
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return ContentFile(out.getvalue())


@transaction.atomic
def seed_content() -> int:
    """Create the demo library once; returns how many items were created."""
    if ContentItem.objects.exists():
        return 0
    now = timezone.now()
    curator = User.objects.filter(email="curator@chorus.example").first()
    approver = User.objects.filter(email="approver@chorus.example").first()
    compliance = ComplianceSettings.load()
    compliance.default_disclosure = compliance.default_disclosure or "#employee"
    compliance.blocked_words = compliance.blocked_words or "guarantee\nrisk-free\nconfidential"
    compliance.save()
    campaigns = {}
    for name, slug, description, priority, goal_shares, goal_clicks in CAMPAIGNS:
        campaigns[slug], _ = Campaign.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name, "description": description, "priority": priority, "goal_shares": goal_shares,
                "goal_clicks": goal_clicks, "status": Campaign.Status.ACTIVE, "owner": curator,
                "starts_on": (now - timedelta(days=21)).date(), "ends_on": (now + timedelta(days=60)).date(),
            },
        )
    topics = {}
    for name, description, required in TOPICS:
        topics[name], _ = Topic.objects.get_or_create(
            name=name, defaults={"description": description, "required": required}
        )
    teams = {t.name: t for t in Team.objects.all()}
    created = 0
    for index, (title, path, ctype, campaign, topic_names, status, texts, extra) in enumerate(ITEMS):
        published_at = now - timedelta(days=(len(ITEMS) - index) // 2, hours=index)
        item = ContentItem(
            title=title,
            url=demo_site_url(path) if path else "",
            summary=f"{title}. Read the full story on our site.",
            content_type=ctype,
            campaign=campaigns.get(campaign),
            status=status,
            pinned=extra.get("pinned", False),
            priority=extra.get("priority", 0),
            text_locked=extra.get("text_locked", False),
            created_by=curator,
            preview_title=title if path else "",
            preview_description=f"{title}. Read the full story on our site." if path else "",
            preview_site_name="Chorus Demo Co." if path else "",
            canonical_url=demo_site_url(path) if path else "",
            preview_status=PreviewStatus.OK if path else PreviewStatus.NONE,
            preview_fetched_at=now if path else None,
        )
        if status in {"published", "expired", "archived"}:
            item.published_at = published_at
            item.approved_by, item.approved_at = approver, published_at
        if status == "scheduled":
            item.publish_at = now + timedelta(hours=extra["publish_in_hours"])
            item.approved_by, item.approved_at = approver, now
        if "expires_in_days" in extra:
            item.expires_at = now + timedelta(days=extra["expires_in_days"])
        if "expired_days_ago" in extra:
            item.expires_at = now - timedelta(days=extra["expired_days_ago"])
        if extra.get("target_teams") or extra.get("target_locations") or extra.get("target_languages"):
            item.target_everyone = False
            item.target_location_list = extra.get("target_locations", [])
            item.target_language_list = extra.get("target_languages", [])
        if path:
            item.image.save(f"demo-{index}.png", _image_for(title), save=False)
        item.save()
        item.topics.set([topics[name] for name in topic_names])
        if extra.get("target_teams"):
            item.target_teams.set([teams[name] for name in extra["target_teams"] if name in teams])
        ShareText.objects.bulk_create(
            [ShareText(item=item, network=network, text=text, position=pos)
             for network, variants in texts.items() for pos, text in enumerate(variants)]
        )
        created += 1
    return created

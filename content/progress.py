"""Campaign progress towards its goals.

Shares and clicks are counted by the advocacy app; until it registers a counter
(``register_progress_counter``) progress shows zero. This keeps ``content`` free of
imports from the higher ``advocacy`` layer.
"""

from collections.abc import Callable
from dataclasses import dataclass

from content.models import Campaign


@dataclass(frozen=True)
class GoalProgress:
    label: str
    done: int
    goal: int

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.done / self.goal)) if self.goal else 0

    @property
    def text(self) -> str:
        return f"{self.done:,} / {self.goal:,} ({self.percent}%)"


_counter: Callable[[Campaign], dict[str, int]] | None = None


def register_progress_counter(counter: Callable[[Campaign], dict[str, int]]) -> None:
    global _counter
    _counter = counter


def campaign_progress(campaign: Campaign) -> list[GoalProgress]:
    counts = _counter(campaign) if _counter else {}
    rows = []
    if campaign.goal_shares:
        rows.append(GoalProgress("Shares", counts.get("shares", 0), campaign.goal_shares))
    if campaign.goal_clicks:
        rows.append(GoalProgress("Clicks", counts.get("clicks", 0), campaign.goal_clicks))
    return rows

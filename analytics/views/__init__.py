"""Pages of the analytics app: the marketing dashboard, CSV exports, My impact and
the leaderboard."""

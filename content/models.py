"""Content library, campaigns, feed sources and suggestions."""

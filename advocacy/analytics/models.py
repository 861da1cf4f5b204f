"""Clicks, engagement, reach, EMV, points and dashboards."""

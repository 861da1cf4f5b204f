"""Writes of the analytics domain: click recording, rollups, polling, points, enrolment."""

"""Observability without domain knowledge: the request id every log line carries (into
Celery tasks too), log formats, secret scrubbing, cluster-wide counters in Redis and the
optional Sentry set-up. What Chorus measures about shares, queues and digests is the
project's business and lives at the top (``chorus/metrics.py``)."""

"""`make bench`: Chorus's hot paths measured against limits of the same machine (issue 18).

``python -m bench.run`` (``BENCH_SCALE=small|full``) starts a production-shaped stack of its
own (PostgreSQL 15, Redis, the sandbox networks, gunicorn, Celery), seeds it with bulk
paths, runs the measurements B1-B7 and writes ``bench/results/latest.json``. Nothing here
is imported by Chorus itself.
"""

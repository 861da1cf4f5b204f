"""The Celery application. Configuration lives in ``chorus/settings/celery.py``."""

import os

from celery import Celery, signals

from chorus import metrics_receivers
from core.observability import task_context

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.settings")


class ChorusCelery(Celery):
    def connection_for_write(self, url=None, **kwargs):
        """Connections that *publish* (producers in web requests, beat, tasks) wait at most
        ``BROKER_PUBLISH_TIMEOUT`` on a socket: a hung Redis answers nothing, and without
        this a web request would wait the consumers' 5 s for it. Consumers
        (``connection_for_read``) keep the longer timeouts."""
        from django.conf import settings

        timeout = settings.BROKER_PUBLISH_TIMEOUT
        options = {"socket_timeout": timeout, "socket_connect_timeout": timeout,
                   **(kwargs.pop("transport_options", None) or {})}
        return super().connection_for_write(url, transport_options=options, **kwargs)


app = ChorusCelery("chorus")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# --- Observability: the request id travels with the tasks a request publishes, and is on
# every log line of the task (core/observability/task_context.py). Workers keep the
# LOGGING Django configured (format, request ids, scrubbing) instead of Celery's own.
@signals.setup_logging.connect
def _keep_django_logging(**kwargs) -> None:
    """Connected at all, this stops Celery from reconfiguring logging in workers and beat."""


signals.before_task_publish.connect(task_context.on_before_task_publish, weak=False,
                                    dispatch_uid="chorus.request_id.publish")
signals.task_prerun.connect(task_context.on_task_prerun, weak=False, dispatch_uid="chorus.request_id.prerun")
signals.task_postrun.connect(task_context.on_task_postrun, weak=False, dispatch_uid="chorus.request_id.postrun")
# Posting latency, counted where a share becomes posted (chorus/metrics_receivers.py).
metrics_receivers.connect()

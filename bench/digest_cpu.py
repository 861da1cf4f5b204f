"""Worker CPU per weekly digest, in one process: render + build the message + its MIME bytes.

    .venv/bin/python bench/digest_cpu.py                    # seeds /tmp/chorus-digest-cpu.sqlite3 once
    .venv/bin/python bench/digest_cpu.py --digests 3000 --repeat 5
    .venv/bin/python bench/digest_cpu.py --write-html /tmp/digest.html   # one digest's HTML and text

What a Celery process does per digest chunk (``deliveries_send`` → ``render_digests`` →
``build_message`` → the mail backend's ``message().as_bytes()``), minus the claim and the
outcome UPDATE: the chunk's data is loaded by ``DigestBuilder`` exactly as in production,
the deliveries are unsaved ``EmailDelivery`` rows. The seed is ``bench/digest_bench.py``'s
(60 live items with varied targeting, images, 3 campaigns with goals, 20 teams, last
week's points). Prints process CPU in ms per digest for rendering (load + build + HTML/text)
and for the message (headers + MIME bytes), median and min–max over ``--repeat`` runs.
It is the quick loop for issue 18's B6; the harness (``bench.run --only B6``) is the
real measure.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DB = "sqlite:////tmp/chorus-digest-cpu.sqlite3"


def timed_run(run):
    """The measured runs (a frame of their own: a profile can leave the warm-up out)."""
    return run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--advocates", type=int, default=3000, help="seeded advocates (first run only)")
    parser.add_argument("--digests", type=int, default=2000, help="digests per run (chunks of DIGEST_CHUNK_SIZE)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write-html", default="", help="write the first digest's HTML (and .txt, .eml) here")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DB
    from bench.digest_bench import seed, setup

    setup(database_url)
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import User

    call_command("migrate", "--noinput", verbosity=0)
    run_at = timezone.now().replace(minute=0, second=0, microsecond=0)
    if not User.objects.exists():
        print(f"seeding {args.advocates:,} advocates …", flush=True)
        seed(args.advocates, run_at)

    from notifications.emails import build_message, unsubscribe_url
    from notifications.models import DeliveryKind, EmailDelivery
    from notifications.services.deliveries import chunked
    from notifications.services.digests import render_digests

    users = list(User.objects.select_related("team").order_by("pk")[: args.digests])
    size = settings.DIGEST_CHUNK_SIZE

    def run(write: str = "") -> tuple[int, float, float]:
        emails, render_cpu, mime_cpu = 0, 0.0, 0.0
        for chunk_no, chunk in enumerate(chunked(users, size)):
            deliveries = [
                EmailDelivery(pk=chunk_no * size + i + 1, user=u, to_email=u.email, kind=DeliveryKind.WEEKLY_DIGEST,
                              period="bench", created_at=run_at)
                for i, u in enumerate(chunk)
            ]
            t0 = time.process_time()
            outgoing = render_digests(deliveries)
            t1 = time.process_time()
            for delivery in deliveries:
                out = outgoing[delivery.pk]
                if out.email is None:
                    continue
                # As deliveries_send does (before this change, without the renderer's link: signed again).
                message = build_message(to=delivery.user.email, email=out.email,
                                        unsubscribe=getattr(out, "unsubscribe_url", "") or unsubscribe_url(delivery.pk))
                raw = message.message().as_bytes()
                if write and not emails:
                    Path(write).write_text(out.email.html)
                    Path(write).with_suffix(".txt").write_text(out.email.text)
                    Path(write).with_suffix(".eml").write_bytes(raw)
                emails += 1
            mime_cpu += time.process_time() - t1
            render_cpu += t1 - t0
        return emails, render_cpu, mime_cpu

    run(args.write_html)  # warm-up: templates compiled, caches filled
    renders, mimes, totals = [], [], []
    emails = 0
    for _ in range(args.repeat):
        emails, render_cpu, mime_cpu = timed_run(run)
        renders.append(render_cpu * 1000 / emails)
        mimes.append(mime_cpu * 1000 / emails)
        totals.append((render_cpu + mime_cpu) * 1000 / emails)

    def show(name: str, values: list[float]) -> str:
        return f"{name} {statistics.median(values):.3f} ms ({min(values):.3f}–{max(values):.3f})"

    print(f"{emails} digests a run ({len(users)} advocates, chunks of {size}), {args.repeat} runs; CPU per digest: "
          f"{show('total', totals)}; {show('render', renders)}; {show('message', mimes)}")


if __name__ == "__main__":
    main()

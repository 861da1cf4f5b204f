"""The faults of the fault suite that take more than a signal: a worker killed with posts in
flight, and people revoking Chorus at the provider."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import TYPE_CHECKING

from ops.client import sandbox_faults
from ops.stack import ROOT, say

if TYPE_CHECKING:
    from ops.chaos import Chaos


def inject_worker_kill(chaos: Chaos) -> None:
    """Posts in flight: the sandbox answers posts slowly, and the kill waits for a share in
    *posting* (up to 20 s)."""
    sandbox_faults(chaos.stack, {"add": [{"kind": "latency", "group": "post", "latency_ms": 3000}]})
    deadline = time.monotonic() + 20
    posting = 0
    while time.monotonic() < deadline:
        posting = len([r for r in chaos.rows(f"cx{chaos.run_id}-{chaos.current_index}-") if r["status"] == "posting"])
        if posting:
            break
        time.sleep(0.2)
    chaos.stack.kill("worker-shares")
    note = f"{posting} share(s) posting when the worker was killed"
    chaos.current.notes.append(note)
    say(f"   killed the shares worker: {note}")


def heal_worker_kill(chaos: Chaos) -> None:
    sandbox_faults(chaos.stack, clear=True)
    chaos.stack.worker_start("worker-shares")


def inject_revoke(chaos: Chaos) -> None:
    """The people revoke the app at LinkedIn and X: their tokens stop working there; Chorus
    is not told (it finds out when it next posts)."""
    emails = [p["email"] for p in chaos.revokers]
    code = (
        "import django, sys; django.setup()\n"
        "from advocacy.models import SocialAccount\n"
        "from networks import get_adapter\n"
        "n = 0\n"
        "for a in SocialAccount.objects.filter(user__email__in=sys.argv[1:]):\n"
        "    for token in (a.refresh_token, a.access_token):\n"
        "        if token:\n"
        "            get_adapter(a.network).revoke(token=token); n += 1\n"
        "print(n)\n"
    )
    result = subprocess.run([sys.executable, "-c", code, *emails], cwd=ROOT, env=chaos.stack.env, text=True,
                            capture_output=True, timeout=120, check=False)
    if result.returncode:
        raise SystemExit(f"revoking tokens at the sandbox failed: {result.stderr[-2000:]}")
    say(f"   revoked {result.stdout.strip()} token(s) of {', '.join(emails)} at the provider")


def heal_when_settled(chaos: Chaos) -> None:
    """Clear the sandbox's faults once this scenario's shares are all terminal (at most the
    settle time): posting runs behind share creation, so a fault cleared when the load stops
    would miss most of the posts it is meant to hit."""
    prefix = f"cx{chaos.run_id}-{chaos.current_index}-"
    deadline = time.monotonic() + chaos.scale["settle"] / 2
    while time.monotonic() < deadline:
        rows = chaos.safe_rows(prefix)
        if rows and all(chaos.marker_of(r) in chaos.first_terminal for r in rows):
            break
        time.sleep(3)
    sandbox_faults(chaos.stack, clear=True)

"""An injectable clock: real time plus an offset that tests can move forward.

Everything in the sandbox that depends on time (code expiry, token expiry, rate-limit
windows, metric growth, the daily post limit) reads this clock, so a test can check
"the code dies after 30 seconds" without sleeping 30 seconds.
"""

import threading
import time


class Clock:
    """Wall-clock seconds since the epoch, shifted by an offset; optionally frozen."""

    def __init__(self, start: float | None = None, *, frozen: bool = False) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0 if start is None else start - time.time()
        self._frozen_at: float | None = None
        if frozen:
            self.freeze()

    def now(self) -> float:
        with self._lock:
            return self._frozen_at if self._frozen_at is not None else time.time() + self._offset

    def ms(self) -> int:
        return int(self.now() * 1000)

    def advance(self, seconds: float) -> float:
        """Move time forward (or back, with a negative value); returns the new time."""
        with self._lock:
            self._offset += seconds
            if self._frozen_at is not None:
                self._frozen_at += seconds
        return self.now()

    def set(self, epoch_seconds: float) -> None:
        with self._lock:
            self._offset = epoch_seconds - time.time()
            if self._frozen_at is not None:
                self._frozen_at = epoch_seconds

    def freeze(self) -> None:
        """Stop time (it then moves only with ``advance``), so header values are exact in tests."""
        now = self.now()
        with self._lock:
            self._frozen_at = now

    def unfreeze(self) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - time.time()
            self._frozen_at = None

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0
            self._frozen_at = None

    def dump(self) -> dict[str, float | None]:
        """What a state file keeps: the offset from real time, and the frozen instant if any."""
        with self._lock:
            return {"offset": self._offset, "frozen_at": self._frozen_at}

    def restore(self, saved: dict[str, float | None]) -> None:
        """Undo ``dump``: after a restart the sandbox's time is as far ahead as it was."""
        offset, frozen_at = saved.get("offset"), saved.get("frozen_at")
        with self._lock:
            self._offset = float(offset or 0.0)
            self._frozen_at = None if frozen_at is None else float(frozen_at)

    def to_dict(self) -> dict[str, float | bool]:
        with self._lock:
            offset, frozen = self._offset, self._frozen_at is not None
        return {"now": self.now(), "offset": offset, "frozen": frozen}

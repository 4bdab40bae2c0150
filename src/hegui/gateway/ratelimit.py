"""Per-key rate limits: a token bucket per API key, in memory (one gateway process)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

__all__ = ["RateLimiter"]


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """``allow(key, per_min)`` spends one token; a full bucket holds ``per_min`` tokens (bursts up to a minute's
    worth) and refills continuously. Returns ``(allowed, retry_after_s)``."""

    def __init__(self, *, max_keys: int = 100_000) -> None:
        self._clock = time.monotonic
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()
        self._max_keys = max_keys

    def allow(self, key: str, per_min: int, *, window_s: float = 60.0) -> tuple[bool, float]:
        """``per_min`` requests per ``window_s`` seconds (default a minute; e.g. ``window_s=3600`` for hourly)."""
        now = self._clock()
        rate = per_min / window_s
        with self._lock:
            b = self._buckets.get(key)
            if b is None:
                if len(self._buckets) >= self._max_keys:
                    self._buckets.clear()  # crude bound on memory; buckets refill to full anyway
                b = self._buckets[key] = _Bucket(float(per_min), now)
            else:
                b.tokens = min(float(per_min), b.tokens + (now - b.stamp) * rate)
                b.stamp = now
            if b.tokens >= 1.0:
                b.tokens -= 1.0
                return True, 0.0
            return False, (1.0 - b.tokens) / rate if rate > 0 else window_s

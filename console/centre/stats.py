"""The ingest's counters and latency windows (thread-safe; read by /api/fleet and logs)."""

from __future__ import annotations

import threading
from collections import Counter, deque
from typing import Any

_WINDOW = 2048  # recent samples the percentiles are taken over


class IngestStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._n: Counter[str] = Counter()
        self._rejected: Counter[str] = Counter()
        self._batch_ms: deque[float] = deque(maxlen=_WINDOW)
        self._ack_ms: deque[float] = deque(maxlen=_WINDOW)
        self._lag_s: deque[float] = deque(maxlen=_WINDOW)
        self.database = "ok"  # ok | unavailable
        self.last_error: str | None = None

    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._n[name] += n

    def reject(self, reason: str) -> None:
        with self._lock:
            self._rejected[reason] += 1

    def batch(self, commit_ms: float, lags_s: list[float]) -> None:
        """One committed batch: its transactions' time, and how old each event it applied
        was (its time to commit)."""
        with self._lock:
            self._n["batches"] += 1
            self._batch_ms.append(commit_ms)
            self._lag_s.extend(lags_s)

    def acked(self, waited_ms: list[float]) -> None:
        """Messages acknowledged: how long each waited from arrival (its commit came
        before; a deferred event's later)."""
        with self._lock:
            self._ack_ms.extend(waited_ms)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            n = dict(self._n)
            out: dict[str, Any] = {
                k: n.get(k, 0) for k in ("received", "events", "statuses", "applied",
                                         "duplicates", "deferred", "skipped", "batches",
                                         "db_errors", "db_retries")
            }
            out["rejected"] = dict(sorted(self._rejected.items()))
            out["rejected_total"] = sum(self._rejected.values())
            out["batch_ms_p50"], out["batch_ms_p95"] = _pcts(self._batch_ms)
            out["commit_wait_ms_p50"], out["commit_wait_ms_p95"] = _pcts(self._ack_ms)
            out["lag_s_p50"], out["lag_s_p95"] = _pcts(self._lag_s)
            out["database"] = self.database
            out["last_error"] = self.last_error
        return out


def _pcts(values: deque[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    s = sorted(values)
    return (round(s[len(s) // 2], 3), round(s[min(len(s) - 1, int(0.95 * len(s)))], 3))

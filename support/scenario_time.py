"""A scenario's cluster time: the clock its waits run on, times of day, and the cluster's timestamps.

`ClusterTime` is part of the scenario facade (support/scenario.py); it needs only the
scenario's `target` (its clock and how far the API server's clock is ahead).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from support.cluster import PreconditionError
from support.target import seconds_until

START_TAG = re.compile(r"starts\.(\w+)\.(\d{1,2}):(\d{2})")


def starting_times(tags) -> list[tuple[str, int, int]]:
    """`@starts.Monday.10:00` -> [("Monday", 10, 0)]: the cluster time a scenario must start at."""
    return [(m.group(1), int(m.group(2)), int(m.group(3))) for t in tags if (m := START_TAG.fullmatch(t))]


class ClusterTime:
    __slots__ = ()  # the facade keeps its slots: no undeclared value can be hung on it

    def now(self) -> float:
        """The cluster time the suite's waits run on (epoch seconds)."""
        return self.target.clock.now()

    def seconds_until(self, hour: int, minute: int = 0) -> float:
        """Cluster time from now to the next hh:mm (UTC); only on a virtual clock (audit item 10)."""
        if not self.target.clock.is_virtual:
            raise PreconditionError(f"waiting until {hour:02d}:{minute:02d} cluster time needs the embedded "
                                    "cluster's virtual clock (on a real cluster it could hold for hours): tag the "
                                    "scenario @use.with_target=local")
        return seconds_until(self.target.clock.now(), None, hour, minute)

    def latest_time_of_day(self, hour: int, minute: int = 0) -> float:
        """Cluster time (epoch seconds) of the latest hh:mm (UTC) that is not in the future."""
        now = self.target.clock.now()
        return now - (86400 - seconds_until(now, None, hour, minute)) % 86400

    def cluster_time_text(self, at: float) -> str:
        """RFC 3339 (UTC, whole seconds) of a time of this scenario's clock, as the cluster writes it."""
        return datetime.fromtimestamp(at + self.target.server_offset, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def cluster_time_of(self, timestamp: str) -> float:
        """An RFC 3339 timestamp of the cluster's clock (the API server's), on this suite's clock."""
        return datetime.fromisoformat(timestamp).timestamp() - self.target.server_offset

    def age_of(self, timestamp: str) -> float:
        """Seconds of cluster time since an RFC 3339 timestamp of the cluster's clock (the API server's)."""
        return self.now() - self.cluster_time_of(timestamp)

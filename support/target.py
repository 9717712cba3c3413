"""The target the spec runs against: the embedded local cluster or a real one.

Both are reached the same way, through a kubeconfig and the official client;
they differ only in the clock (virtual or real) and in who runs the controller.
"""

from __future__ import annotations

import sys

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from hamcrest import greater_than_or_equal_to, has_entries

from support.clock import Clock, RealClock
from support.cluster import CONTROLLER_SELECTOR, Cluster, ControllerInfo, PreconditionError, connect
from support.settings import Settings
from support.waiting import Poller

CONTROLLER_RESTART_TIMEOUT = 180.0
# Optional APIs some scenarios need, by the active tag that names them: `@use.with_metrics_api=served`
# runs only where the cluster serves the resource metrics API (metrics-server), and skips elsewhere.
OPTIONAL_APIS = {"metrics_api": "metrics.k8s.io", "custom_metrics_api": "custom.metrics.k8s.io",
                 "external_metrics_api": "external.metrics.k8s.io"}


@dataclass
class Target:
    settings: Settings
    cluster: Cluster
    clock: Clock
    version: str
    controller: ControllerInfo
    local: object | None = None  # the LocalCluster when target=local
    _server_offset: float | None = None

    @classmethod
    def start(cls, settings: Settings) -> "Target":
        if settings.is_local:
            from support.localcluster import LocalCluster  # only the local target needs it
            local = LocalCluster(model=settings.model, quirks=settings.quirks, chaos=settings.chaos).start()
            cluster, clock = connect(str(local.kubeconfig_path)), local.clock
        else:
            local, cluster, clock = None, connect(settings.kubeconfig, settings.context), RealClock()
        try:
            version = cluster.check_reachable()
            controller = _wait_for_controller(cluster, clock, settings)
        except BaseException:
            cls._shutdown(cluster, local)
            raise
        return cls(settings, cluster, clock, version, controller, local)

    @property
    def server_offset(self) -> float:
        """Seconds the API server's clock is ahead of this machine's (0 on the virtual clock, which both share):
        subtract it from a controller's timestamp to compare it with the suite's own times."""
        if self.clock.is_virtual:
            return 0.0
        if self._server_offset is None:
            self._server_offset = self.cluster.server_time() - self.clock.now()
        return self._server_offset

    def optional_apis(self) -> dict[str, str]:
        """'served' or 'absent' for each of OPTIONAL_APIS, from the server's discovery."""
        served = self.cluster.served_api_groups()
        return {tag: "served" if group in served else "absent" for tag, group in OPTIONAL_APIS.items()}

    def poller(self) -> Poller:
        return Poller(self.clock, interval=self.settings.poll_interval, time_scale=self.settings.time_scale)

    def banner(self) -> str:
        lines = ["budaiscaler-spec", self.settings.summary(),
                 f"server:    {self.cluster.server} (Kubernetes {self.version})"]
        if self.local is not None:
            lines.append(f"kubeconfig: {self.local.kubeconfig_path} (embedded cluster)")
        lines.append(f"controller: {', '.join(self.controller.pods)} in {self.controller.namespace} "
                     f"({', '.join(sorted(set(self.controller.images)))})")
        return "\n".join(lines)

    def restart_controller(self) -> ControllerInfo:
        """Delete the controller pods; wait until they are gone and a new one is ready (its memory is gone then).

        Gone, not just replaced: a deleted pod may go on reconciling while it terminates, so until it
        is gone a write of the scaler may still be the old controller's.
        """
        if not self.settings.may_restart_controller:
            raise PreconditionError("restarting the BudAIScaler controller is not allowed on this target: "
                                    "pass -D restart_controller=yes to let the spec delete the controller pod")
        namespace = self.settings.controller_namespace
        old = {p["metadata"]["name"] for p in self.cluster.pods(namespace, CONTROLLER_SELECTOR)}
        for name in old:  # only the controller's pods: its namespace may hold others (Helm's release namespace)
            self.cluster.delete_pod(namespace, name)

        def old_left_and_fresh_ready() -> dict:
            left = [p for p in self.cluster.pods(namespace, CONTROLLER_SELECTOR) if p["metadata"]["name"] in old]
            fresh = [p for p in self.cluster.controller_pods(namespace) if p["metadata"]["name"] not in old]
            return {"old pods left": len(left), "new ready pods": len(fresh)}

        self.poller().eventually(old_left_and_fresh_ready,
                                 has_entries({"old pods left": 0, "new ready pods": greater_than_or_equal_to(1)}),
                                 within=CONTROLLER_RESTART_TIMEOUT,
                                 what=f"the old BudAIScaler controller pods to be gone and a new one ready in {namespace}")
        self.controller = self.cluster.check_budaiscaler_installed(namespace)
        return self.controller

    def advance_clock_to(self, day: str, hour: int, minute: int = 0) -> None:
        """Virtual time only: run the clock on to the next `day` hh:mm (UTC) before a scenario starts."""
        if not self.clock.is_virtual:
            raise PreconditionError("only the embedded cluster's virtual clock can be moved to a time of the week; "
                                    "run this scenario on the local target")
        self.clock.sleep(seconds_until(self.clock.now(), day, hour, minute))

    def stop(self) -> None:
        if self.local is not None and self.local.chaos is not None:
            sys.__stdout__.write(f"chaos: {self.local.chaos_summary()}\n")  # behave drops after_all's output
        self._shutdown(self.cluster, self.local)

    @staticmethod
    def _shutdown(cluster: Cluster, local) -> None:
        cluster.close()
        if local is not None:
            local.stop()


DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def seconds_until(now: float, day: str | None, hour: int, minute: int = 0) -> float:
    """Seconds from `now` to the next (or current) hh:mm, UTC, on `day` or on any day when None."""
    if day is not None and day not in DAYS:
        raise ValueError(f"{day!r} is not a day of the week: use one of {', '.join(DAYS)}")
    moment = datetime.fromtimestamp(now, tz=timezone.utc)
    target = moment.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if day is not None:
        target += timedelta(days=(DAYS.index(day) - moment.weekday()) % 7)
    if target < moment:
        target += timedelta(days=7 if day is not None else 1)
    return (target - moment).total_seconds()


def _wait_for_controller(cluster: Cluster, clock: Clock, settings: Settings) -> ControllerInfo:
    """The CRD check fails at once; a controller pod that is still starting gets a short grace."""
    if settings.controller == "external":  # your own binary, run outside the cluster: only the CRD to check
        cluster.check_budaiscaler_installed(settings.controller_namespace, controller_pod=False)
        return ControllerInfo(settings.controller_namespace, ("(outside the cluster)",), ("external",))
    if not clock.is_virtual:
        return cluster.check_budaiscaler_installed(settings.controller_namespace)
    poller = Poller(clock, interval=1.0)
    return poller.eventually(lambda: cluster.check_budaiscaler_installed(settings.controller_namespace),
                             _Anything(), within=60, what="the embedded BudAIScaler controller to start")


class _Anything:
    """A matcher for 'any successful observation' (the probe raises until the condition holds)."""

    def matches(self, item, mismatch_description=None) -> bool:
        return True

    def describe_to(self, description) -> None:
        description.append_text("a running controller")

    def describe_mismatch(self, item, description) -> None:
        description.append_text(f"was {item!r}")

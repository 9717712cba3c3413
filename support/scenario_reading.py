"""Reading a scenario's objects back: the watch caches where they are current, else the API.

`ScenarioReading` is part of the scenario facade (support/scenario.py): the scaler
object, the inference workload (a Deployment, or a StatefulSet no watch covers),
its pods, replicas and availability. It needs the scenario's `target`, `cluster`,
`namespace`, `feed`, `scaler` and `workload`.
"""

from __future__ import annotations

from support.cluster import SCALER_KIND, is_ready
from support.mockctl import Workload
from support.reference.quantity import parse as parse_quantity
from support.workloads import WORKLOAD_KINDS


class ScenarioReading:
    __slots__ = ()  # the facade keeps its slots: no undeclared value can be hung on it

    def _cached(self) -> bool:
        """On the virtual clock, once settled, the caches hold every write made so far (a kind whose
        watch is down is read from the API by the feed itself)."""
        if self.feed is None or not self.target.clock.is_virtual:
            return False
        self.target.clock.settle()
        return True

    def _scaler_object(self, name: str | None = None) -> dict:
        name = name or self.scaler_name()
        if not self._cached():
            return self.cluster.scaler(self.namespace, name)
        found = self.feed.get(SCALER_KIND, name)
        if found is None:
            raise LookupError(f"BudAIScaler {name!r} not found in namespace {self.namespace!r}")
        return found

    def _workload_object(self, name: str) -> dict:
        """The scenario's Deployment of that name, or its StatefulSet (no watch covers those: read from the API)."""
        kind = WORKLOAD_KINDS.get(name, "Deployment")
        if kind == "Deployment":
            return self._deployment_object(name)
        found = self.cluster.get("apps/v1", kind, self.namespace, name)
        if found is None:
            raise LookupError(f"{kind} {name!r} not found in namespace {self.namespace!r}")
        return found

    def _deployment_object(self, name: str) -> dict:
        if not self._cached():
            return self.cluster.deployment(self.namespace, name)
        found = self.feed.get("Deployment", name)
        if found is None:
            raise LookupError(f"Deployment {name!r} not found in namespace {self.namespace!r}")
        return found

    def workload_pods_of(self, namespace: str, deployment: str) -> list[dict]:
        """Pods of a Deployment of this scenario (its selector), without deleting ones."""
        if WORKLOAD_KINDS.get(deployment, "Deployment") != "Deployment":
            selector = self._workload_object(deployment)["spec"]["selector"].get("matchLabels", {})
            pods = self.cluster.pods(namespace, ",".join(f"{k}={v}" for k, v in selector.items()))
            return [p for p in pods if not p["metadata"].get("deletionTimestamp")]
        if namespace != self.namespace or not self._cached():
            return self.cluster.workload_pods(namespace, deployment)
        selector = self._deployment_object(deployment)["spec"]["selector"].get("matchLabels", {})
        return [p for p in self.feed.list("Pod", selector) if not p["metadata"].get("deletionTimestamp")]

    def _deployment(self) -> str:
        if self.workload is not None:
            return self.workload.deployment
        return self._scaler_object()["spec"]["scaleTargetRef"]["name"]

    def metrics_endpoint(self) -> Workload:
        if self.workload is None:
            raise LookupError("no inference workload in this scenario yet: deploy one first")
        return Workload(self.namespace, self.workload.deployment, self.workload.metrics_port)

    def deployment_replicas(self) -> int:
        return self._workload_object(self._deployment())["spec"].get("replicas", 1)

    def cpu_requested_per_pod(self) -> int:
        """Millicores of CPU an inference pod requests (all its containers): what CPU utilization is a share of."""
        containers = self._deployment_object(self._deployment())["spec"]["template"]["spec"]["containers"]
        total = sum(parse_quantity(str(((c.get("resources") or {}).get("requests") or {}).get("cpu", "0"))).milli_value()
                    for c in containers)
        if total <= 0:
            raise LookupError(f"the pods of Deployment {self._deployment()!r} request no CPU: "
                              "CPU utilization is a share of the request, give its containers resources.requests.cpu")
        return total

    def ready_pods(self) -> int:
        return sum(1 for p in self.workload_pods_of(self.namespace, self._deployment()) if is_ready(p))

    def running_pods(self) -> int:
        pods = self.workload_pods_of(self.namespace, self._deployment())
        return sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Running")

    def workload_available(self) -> bool:
        return self._available(self._deployment())

    def _available(self, deployment: str) -> bool:
        workload = self._workload_object(deployment)
        if WORKLOAD_KINDS.get(deployment, "Deployment") != "Deployment":   # a StatefulSet: every replica ready
            return (workload.get("status") or {}).get("readyReplicas", 0) >= workload["spec"].get("replicas", 1)
        status = workload.get("status") or {}
        return any(c.get("type") == "Available" and c.get("status") == "True" for c in status.get("conditions") or [])

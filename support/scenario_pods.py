"""The inference pods' lives in a scenario: slow starts, restarts, a program taken away, a rollout.

`PodLifecycle` is part of the scenario facade (support/scenario.py); it reads the
workload through `ScenarioReading` and writes through the scenario's `cluster`.
"""

from __future__ import annotations

from support import manifests
from support.cluster import MANAGED_BY, ObjectRef, is_ready

POD_STARTUP_CONFIGMAP = "inference-pod-startup"  # read by the simulator's pods as they start (READY_AFTER_SECONDS)


class PodLifecycle:
    __slots__ = ()  # the facade keeps its slots: no undeclared value can be hung on it

    def tell_starting_inference_pods(self, path: str, **params) -> int:
        """Make the inference pods that are running but not ready yet take `path?params` once; how many took it."""
        return self.mocks.tell_some_pods(self.metrics_endpoint(), lambda pod: not is_ready(pod), path, **params)

    def make_new_pods_start_slowly(self, seconds: int) -> None:
        """Inference pods started from now on become ready `seconds` after they start (mocks/simulator.yaml)."""
        self.applied.extend(self.cluster.apply([{
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": POD_STARTUP_CONFIGMAP, "namespace": self.namespace, "labels": dict(MANAGED_BY)},
            "data": {"readyAfterSeconds": str(seconds)}}]))

    def restart_inference_pods(self) -> int:
        """Delete every inference pod (its Deployment starts new ones); how many were deleted."""
        pods = self.workload_pods_of(self.namespace, self._deployment())
        for pod in pods:
            self.cluster.delete_pod(self.namespace, pod["metadata"]["name"])
        return len(pods)

    def take_inference_program_away(self) -> None:
        """Delete the ConfigMaps the inference pods mount their program from: a pod started now cannot run."""
        for document in self._workload_configmaps():
            self.cluster.delete(ObjectRef("v1", "ConfigMap", self.namespace, document["metadata"]["name"]))

    def give_inference_program_back(self) -> None:
        """Apply the inference workload's program ConfigMaps again (and nothing else of its manifest)."""
        self.applied.extend(self.cluster.apply(self._workload_configmaps()))

    def _workload_configmaps(self) -> list[dict]:
        if self.workload is None:
            raise LookupError("no inference workload in this scenario yet: deploy one first")
        documents = manifests.load_manifests(self.workload.manifest, namespace=self.namespace)
        return [d for d in documents if d.get("kind") == "ConfigMap"]

    def roll_out_workload(self) -> None:
        """Roll the inference Deployment's pods out again, as `kubectl rollout restart` does."""
        self.cluster.merge_patch("apps/v1", "Deployment", self.namespace, self._deployment(), {"spec": {"template": {
            "metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": self.cluster_time_text(self.now())}}}}})

    def starting_pods(self) -> int:
        """Inference pods not ready yet (pending, or running but not ready)."""
        return sum(1 for p in self.workload_pods_of(self.namespace, self._deployment()) if not is_ready(p))

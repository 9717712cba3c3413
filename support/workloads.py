"""The mock workloads a scenario deploys, by the names the features give them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InferenceWorkload:
    """A mock inference workload: the manifest that deploys it and where its metrics are served."""

    manifest: str
    deployment: str     # the workload's name (a Deployment's, or a StatefulSet's where `kind` says so)
    metrics_port: int
    kind: str = "Deployment"

    @property
    def port(self) -> int:
        return self.metrics_port


INFERENCE_WORKLOADS = {
    "inference simulator": InferenceWorkload("simulator", "llm-inference-sim", 9000),
    "learning metrics server": InferenceWorkload("learning-metrics-server", "learning-metrics-server", 8000),
    "mock vLLM metrics server": InferenceWorkload("metrics-server", "mock-vllm-metrics", 8000),
    "inference simulator StatefulSet": InferenceWorkload("simulator-statefulset", "llm-inference-sts", 9000,
                                                         kind="StatefulSet"),
}
WORKLOAD_KINDS = {w.deployment: w.kind for w in INFERENCE_WORKLOADS.values()}
# Services a scenario runs beside its inference workload (what BudAIScaler reads besides the pods).
SIDE_SERVICES = {
    "DCGM exporter": InferenceWorkload("dcgm-server", "mock-dcgm-exporter", 9400),
    "Prometheus server": InferenceWorkload("prometheus", "mock-prometheus", 9090),
}

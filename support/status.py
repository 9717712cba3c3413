"""`python -m support status [NS]`: what each BudAIScaler says, and what its pods serve it.

For every scaler (in NS, or in every namespace): desired and actual replicas,
its conditions, learning and prediction status, then its Deployment's pods
with the value of each metric the scaler reads, fetched from the pod through
the API server's proxy and read as the scaler reads it.
"""

from __future__ import annotations

from typing import TextIO

from support.cluster import SCALER_API, SCALER_KIND, Cluster, is_ready
from support.reference.metrics import parse_metric


def show(cluster: Cluster, namespace: str | None, out: TextIO) -> int:
    """Print the status of the scalers in `namespace` (all when None); how many were shown."""
    scalers = cluster.list(SCALER_API, SCALER_KIND, namespace)
    if not scalers:
        where = f"namespace {namespace}" if namespace else "any namespace"
        print(f"no BudAIScaler in {where} on {cluster.server}", file=out)
        return 0
    for scaler in sorted(scalers, key=lambda s: (s["metadata"]["namespace"], s["metadata"]["name"])):
        print("\n".join(scaler_lines(cluster, scaler)), file=out)
    return len(scalers)


def scaler_lines(cluster: Cluster, scaler: dict) -> list[str]:
    meta, spec, status = scaler["metadata"], scaler.get("spec") or {}, scaler.get("status") or {}
    sources = spec.get("metricsSources") or []
    targets = ", ".join(f"{s.get('targetMetric')}={s.get('targetValue')}" for s in sources) or "no metrics"
    lines = [f"{meta['namespace']}/{meta['name']}  {spec.get('scalingStrategy', '?')}, "
             f"{spec.get('minReplicas', 1)}..{spec.get('maxReplicas', '?')} replicas, target {targets}",
             f"  desired {_or_dash(status.get('desiredScale'))}  actual {_or_dash(status.get('actualScale'))}  "
             f"last scale {_or_dash(status.get('lastScaleTime'))}"]
    for condition in status.get("conditions") or []:
        lines.append(f"  {condition.get('type')}={condition.get('status')} "
                     f"({condition.get('reason')}: {condition.get('message')})")
    for block, title in (("learningStatus", "learning"), ("predictionStatus", "prediction")):
        if status.get(block):
            lines.append(f"  {title}: " + ", ".join(f"{k}={v}" for k, v in status[block].items()))
    lines += _workload_lines(cluster, meta["namespace"], spec, sources)
    return lines


def _workload_lines(cluster: Cluster, namespace: str, spec: dict, sources: list) -> list[str]:
    name = (spec.get("scaleTargetRef") or {}).get("name")
    if not name:
        return ["  no scaleTargetRef"]
    try:
        deployment = cluster.deployment(namespace, name)
        pods = cluster.workload_pods(namespace, name)
    except LookupError as error:
        return [f"  {error}"]
    state = deployment.get("status") or {}
    lines = [f"  Deployment {name}: {deployment['spec'].get('replicas', 1)} replicas, "
             f"{state.get('readyReplicas') or 0} ready"]
    for pod in sorted(pods, key=lambda p: p["metadata"]["name"]):
        phase = (pod.get("status") or {}).get("phase", "?")
        values = [_metric(cluster, namespace, pod, source) for source in sources
                  if source.get("metricSourceType", "pod") == "pod"]
        lines.append(f"    {pod['metadata']['name']}  {phase}{' ready' if is_ready(pod) else ''}  "
                     + "  ".join(values))
    return lines


def _metric(cluster: Cluster, namespace: str, pod: dict, source: dict) -> str:
    metric = source.get("targetMetric", "")
    if (pod.get("status") or {}).get("phase") != "Running":
        return f"{metric}=-"
    try:
        response = cluster.proxy_get(namespace, pod["metadata"]["name"], int(source.get("port") or 8000),
                                     source.get("path") or "/metrics", timeout=5.0)
        if response.status_code != 200:
            return f"{metric}=? (HTTP {response.status_code})"
        return f"{metric}={parse_metric(response.text, metric):g}"
    except Exception as error:  # noqa: BLE001 (one unreadable pod must not hide the others)
        return f"{metric}=? ({type(error).__name__}: {str(error)[:80]})"


def _or_dash(value) -> str:
    return "-" if value is None else str(value)

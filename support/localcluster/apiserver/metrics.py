"""The metrics APIs, as metrics-server and a Prometheus adapter serve them through kube-apiserver.

    /apis/metrics.k8s.io/v1beta1/[namespaces/NS/]pods[/NAME]            PodMetrics(List)
    /apis/custom.metrics.k8s.io/{v1beta1,v1beta2}/namespaces/NS/pods/{NAME|*}/METRIC   MetricValueList
    /apis/external.metrics.k8s.io/v1beta1/namespaces/NS/METRIC                           ExternalMetricValueList

Values come from the node (`node.usage.PodReader`): each Running pod's container CPU
and memory usage, and the pod's own metrics read from its containers. A pod that runs
nowhere has no PodMetrics (404, as metrics-server answers before its first scrape); a
metric no selected pod serves is a 404 naming it. An external metric is what an adapter
of Prometheus answers for an external rule `sum(METRIC{namespace="NS", <selector>})`:
the sum of METRIC over the namespace's Running pods that serve it (the labelSelector
matching the pods' labels, which a scrape puts on their series). The HPA controller
reads the same values in-process (`pod_metrics`, `pod_metric_values`,
`external_metric_values`). Served read-only (GET), with discovery.
"""

from __future__ import annotations

from typing import Callable, Mapping, Protocol

from support.clock import rfc3339
from support.localcluster.apiserver.request import Request, Response, method_not_allowed, not_found_path
from support.localcluster.apiserver.selectors import parse_label_selector
from support.localcluster.errors import ApiError
from support.localcluster.store import Store

RESOURCE_GROUP, CUSTOM_GROUP, EXTERNAL_GROUP = "metrics.k8s.io", "custom.metrics.k8s.io", "external.metrics.k8s.io"
RESOURCE_VERSIONS, CUSTOM_VERSIONS, EXTERNAL_VERSIONS = ("v1beta1",), ("v1beta2", "v1beta1"), ("v1beta1",)
VERSIONS = {RESOURCE_GROUP: RESOURCE_VERSIONS, CUSTOM_GROUP: CUSTOM_VERSIONS, EXTERNAL_GROUP: EXTERNAL_VERSIONS}
WINDOW_SECONDS = 15  # metrics-server's default resolution


class PodValues(Protocol):
    """The node's side: what a pod's containers use, and a metric the pod serves."""

    def usage(self, pod: Mapping) -> list[dict] | None: ...

    def metric(self, pod: Mapping, name: str) -> float | None: ...


class MetricsApis:
    def __init__(self, store: Store, now: Callable[[], float], pods: PodValues):
        self._store, self._now, self._pods = store, now, pods

    # -- in-process readers (the HPA controller) --------------------------------------
    def pod_metrics(self, namespace: str | None, selector: str = "") -> list[dict]:
        """PodMetrics of the Running pods matching `selector` (label selector text)."""
        labels = parse_label_selector(selector) if selector else None
        found = (self._one_pod_metrics(pod) for pod in self._store.list("Pod", namespace, labels))
        return [m for m in found if m is not None]

    def pod_metric_values(self, namespace: str, metric: str, selector: str = "", name: str = "*",
                          version: str = CUSTOM_VERSIONS[0]) -> list[dict]:
        """MetricValues of `metric` for the pods matching `selector` (or the pod `name`) that serve it."""
        labels = parse_label_selector(selector) if selector else None
        pods = [p for p in self._store.list("Pod", namespace, labels) if name in ("*", p["metadata"]["name"])]
        items = []
        for pod in pods:
            value = self._pods.metric(pod, metric)
            if value is not None:
                items.append(self._metric_value(pod, metric, value, version))
        return items

    def external_metric_values(self, namespace: str, metric: str, selector: str = "") -> list[dict]:
        """ExternalMetricValues of `metric` in `namespace`: one, the sum over the Running pods that serve it,
        or none when no pod does."""
        labels = parse_label_selector(selector) if selector else None
        values = [v for v in (self._pods.metric(p, metric) for p in self._store.list("Pod", namespace, labels))
                  if v is not None]
        if not values:
            return []
        return [{"metricName": metric, "metricLabels": {}, "timestamp": rfc3339(self._now()),
                 "value": _quantity(sum(values))}]

    # -- HTTP ---------------------------------------------------------------------------
    @staticmethod
    def serves(group: str) -> bool:
        return group in VERSIONS

    @staticmethod
    def groups() -> list[dict]:
        """Entries of /apis (APIGroupList)."""
        return [_group(group, versions) for group, versions in VERSIONS.items()]

    def route(self, request: Request, group: str, version: str | None, segments: list[str]) -> Response:
        if request.method != "GET":
            raise method_not_allowed()
        versions = VERSIONS[group]
        if version is None:
            return Response.json(200, {"kind": "APIGroup", "apiVersion": "v1", **_group(group, versions)})
        if version not in versions:
            raise not_found_path()
        segments = [s for s in segments if s]
        if not segments:
            return Response.json(200, _resource_list(group, version))
        if group == RESOURCE_GROUP:
            return self._resource(request, segments)
        if group == EXTERNAL_GROUP:
            return self._external(request, segments)
        return self._custom(request, version, segments)

    def _resource(self, request: Request, segments: list[str]) -> Response:
        namespace = None
        if segments[0] == "namespaces" and len(segments) >= 3:
            namespace, segments = segments[1], segments[2:]
        if segments[0] != "pods" or len(segments) > 2:
            raise not_found_path()
        if len(segments) == 2:
            pod = self._store.get("Pod", namespace, segments[1]) if namespace else None
            metrics = self._one_pod_metrics(pod) if pod is not None else None
            if metrics is None:
                raise ApiError(404, "NotFound", f'podmetrics.metrics.k8s.io "{segments[1]}" not found')
            return Response.json(200, metrics)
        items = self.pod_metrics(namespace, request.query.get("labelSelector", ""))
        return Response.json(200, {"kind": "PodMetricsList", "apiVersion": f"{RESOURCE_GROUP}/v1beta1",
                                   "metadata": {}, "items": items})

    def _custom(self, request: Request, version: str, segments: list[str]) -> Response:
        if len(segments) != 5 or segments[0] != "namespaces" or segments[2] != "pods":
            raise not_found_path()
        namespace, name, metric = segments[1], segments[3], segments[4]
        items = self.pod_metric_values(namespace, metric, request.query.get("labelSelector", ""), name, version)
        if not items:
            raise ApiError(404, "NotFound", f"the server could not find the metric {metric} for pods")
        return Response.json(200, {"kind": "MetricValueList", "apiVersion": f"{CUSTOM_GROUP}/{version}",
                                   "metadata": {}, "items": items})

    def _external(self, request: Request, segments: list[str]) -> Response:
        if len(segments) != 3 or segments[0] != "namespaces":
            raise not_found_path()
        namespace, metric = segments[1], segments[2]
        items = self.external_metric_values(namespace, metric, request.query.get("labelSelector", ""))
        if not items:
            raise ApiError(404, "NotFound", f"the server could not find the external metric {metric}")
        return Response.json(200, {"kind": "ExternalMetricValueList", "apiVersion": f"{EXTERNAL_GROUP}/v1beta1",
                                   "metadata": {}, "items": items})

    # -- objects ----------------------------------------------------------------------------
    def _one_pod_metrics(self, pod: Mapping) -> dict | None:
        containers = self._pods.usage(pod)
        if containers is None:
            return None
        meta = pod["metadata"]
        now = rfc3339(self._now())
        return {"kind": "PodMetrics", "apiVersion": f"{RESOURCE_GROUP}/v1beta1",
                "metadata": {"name": meta["name"], "namespace": meta.get("namespace", ""),
                             "labels": dict(meta.get("labels") or {}), "creationTimestamp": now},
                "timestamp": now, "window": f"{WINDOW_SECONDS}s", "containers": containers}

    def _metric_value(self, pod: Mapping, metric: str, value: float, version: str) -> dict:
        meta = pod["metadata"]
        described = {"kind": "Pod", "namespace": meta.get("namespace", ""), "name": meta["name"], "apiVersion": "/v1"}
        item = {"describedObject": described, "timestamp": rfc3339(self._now()), "windowSeconds": WINDOW_SECONDS,
                "value": _quantity(value)}
        if version == "v1beta1":
            return {**item, "metricName": metric}
        return {**item, "metric": {"name": metric}}


def _quantity(value: float) -> str:
    """A resource.Quantity text: whole numbers as they are, fractions in milli-units (as adapters write them)."""
    if float(value).is_integer():
        return str(int(value))
    return f"{round(value * 1000)}m"


def _group(group: str, versions: tuple[str, ...]) -> dict:
    entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": entries, "preferredVersion": entries[0]}


def _resource_list(group: str, version: str) -> dict:
    if group == RESOURCE_GROUP:
        resources = [{"name": "pods", "singularName": "", "namespaced": True, "kind": "PodMetrics",
                      "verbs": ["get", "list"]}]
    elif group == EXTERNAL_GROUP:
        resources = [{"name": "*", "singularName": "", "namespaced": True, "kind": "ExternalMetricValueList",
                      "verbs": ["get"]}]
    else:
        resources = [{"name": "pods/*", "singularName": "", "namespaced": True, "kind": "MetricValueList",
                      "verbs": ["get"]}]
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": f"{group}/{version}",
            "resources": resources}

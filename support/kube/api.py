"""The operator's only door to the cluster: raw JSON over the official client's ApiClient.

Objects are plain dicts in Kubernetes JSON shape. Requests go through
`ApiClient.param_serialize`/`call_api` (credentials, TLS and proxies as the
kubeconfig says) with the body read as JSON ourselves: the typed models would
cost more than the requests they describe, and custom resources have none.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Iterable
from urllib.parse import quote

from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
REQUEST_TIMEOUT = 30.0


@dataclass(frozen=True)
class Kind:
    """Where a kind is served: `Kind("apps", "v1", "deployments", "Deployment")`."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None, name: str | None = None, sub: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if namespace is not None and self.namespaced:
            base += f"/namespaces/{quote(namespace, safe='')}"
        base += f"/{self.plural}"
        if name is not None:
            base += f"/{quote(name, safe='')}"
            if sub:
                base += f"/{sub}"
        return base


SCALER = Kind("scaler.bud.studio", "v1alpha1", "budaiscalers", "BudAIScaler")
POD = Kind("", "v1", "pods", "Pod")
CONFIGMAP = Kind("", "v1", "configmaps", "ConfigMap")
EVENT = Kind("", "v1", "events", "Event")
SERVICE = Kind("", "v1", "services", "Service")
DEPLOYMENT = Kind("apps", "v1", "deployments", "Deployment")
STATEFULSET = Kind("apps", "v1", "statefulsets", "StatefulSet")
REPLICASET = Kind("apps", "v1", "replicasets", "ReplicaSet")
LEASE = Kind("coordination.k8s.io", "v1", "leases", "Lease")
HPA = Kind("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler")
SCALABLE = {k.kind: k for k in (DEPLOYMENT, STATEFULSET, REPLICASET)}


def is_status(error: BaseException, *codes: int) -> bool:
    return isinstance(error, ApiException) and error.status in codes


def error_message(error: BaseException) -> str:
    """The API server's own message for an ApiException (its Status), else the error text."""
    if isinstance(error, ApiException) and error.body:
        try:
            return json.loads(error.body).get("message") or str(error.reason)
        except (ValueError, AttributeError):
            return str(error.body)[:300]
    return str(error)


class KubeApi:
    def __init__(self, api_client: ApiClient):
        self.api_client = api_client
        self.host = api_client.configuration.host
        _throttle_credential_refresh(api_client.configuration)

    def request(self, method: str, path: str, *, query: Iterable[tuple[str, Any]] = (), body: Any = None,
                content_type: str = JSON, headers: dict[str, str] | None = None,
                timeout: float | tuple | None = REQUEST_TIMEOUT) -> Any:
        """One request; the decoded JSON body. ApiException (with the server's Status) on non-2xx."""
        response = self.open(method, path, query=query, body=body, content_type=content_type, headers=headers,
                             timeout=timeout)
        try:
            data = response.data
        finally:
            response.release_conn()
        if not 200 <= response.status <= 299:
            error = ApiException(status=response.status, reason=response.reason)
            error.body = data.decode("utf-8", "replace") if data else ""
            raise error
        return json.loads(data) if data else None

    def text(self, method: str, path: str, *, query: Iterable[tuple[str, Any]] = ()) -> str:
        """One request whose answer is text (a pod log); ApiException on non-2xx."""
        response = self.open(method, path, query=query, headers={"Accept": "*/*"})
        try:
            data = response.data
        finally:
            response.release_conn()
        if not 200 <= response.status <= 299:
            error = ApiException(status=response.status, reason=response.reason)
            error.body = data.decode("utf-8", "replace") if data else ""
            raise error
        return data.decode("utf-8", "replace")

    def open(self, method: str, path: str, *, query: Iterable[tuple[str, Any]] = (), body: Any = None,
             content_type: str = JSON, headers: dict[str, str] | None = None,
             timeout: float | tuple | None = REQUEST_TIMEOUT):
        """The raw urllib3 response, unread: for watch streams and `request`.

        The body goes to the REST client as it is (it JSON-encodes it once): the ApiClient's
        sanitize_for_serialization would walk every node of it first, for models we do not use.
        """
        header_params = {"Accept": JSON, **(headers or {})}
        if body is not None:
            header_params["Content-Type"] = content_type
        method_, url, header_params, _, post = self.api_client.param_serialize(
            method, path, query_params=list(query), header_params=header_params,
            auth_settings=["BearerToken"], _host=self.host)
        return self.api_client.call_api(method_, url, header_params, body, post, _request_timeout=timeout).response

    # -- verbs --------------------------------------------------------------------------
    def get(self, kind: Kind, namespace: str | None, name: str, sub: str | None = None) -> dict:
        return self.request("GET", kind.path(namespace, name, sub))

    def get_or_none(self, kind: Kind, namespace: str | None, name: str) -> dict | None:
        try:
            return self.get(kind, namespace, name)
        except ApiException as error:
            if error.status == 404:
                return None
            raise

    def list(self, kind: Kind, namespace: str | None = None, **query: Any) -> dict:
        return self.request("GET", kind.path(namespace), query=_query(query))

    def create(self, kind: Kind, namespace: str | None, obj: dict) -> dict:
        return self.request("POST", kind.path(namespace), body=obj)

    def replace(self, kind: Kind, namespace: str | None, name: str, obj: dict, sub: str | None = None) -> dict:
        return self.request("PUT", kind.path(namespace, name, sub), body=obj)

    def patch(self, kind: Kind, namespace: str | None, name: str, patch: Any, *, sub: str | None = None,
              content_type: str = MERGE_PATCH) -> dict:
        return self.request("PATCH", kind.path(namespace, name, sub), body=patch, content_type=content_type)

    def delete(self, kind: Kind, namespace: str | None, name: str) -> None:
        self.request("DELETE", kind.path(namespace, name))


CREDENTIAL_REFRESH_SECONDS = 10.0


def _throttle_credential_refresh(configuration) -> None:
    """Refresh kubeconfig credentials at most every 10 s (real time), not on every request.

    The kubeconfig loader installs a hook that re-applies the whole kubeconfig before every
    request (to pick up expiring exec-plugin or OIDC tokens); re-applying sets the host,
    which re-reads the proxy environment: half a millisecond per request, a third of a
    status write against the embedded cluster. Tokens live for minutes; 10 s is fresh enough.
    The loader's hook installs itself again each time it runs: the throttle wraps it again.
    """
    hook = getattr(configuration, "refresh_api_key_hook", None)
    if hook is None or getattr(hook, "throttled", False):
        return
    last, current = [float("-inf")], [hook]

    def throttled(config) -> None:
        now = time.monotonic()
        if now - last[0] >= CREDENTIAL_REFRESH_SECONDS:
            last[0] = now
            current[0](config)
            reinstalled = getattr(config, "refresh_api_key_hook", None)
            if reinstalled is not throttled:
                if reinstalled is not None:
                    current[0] = reinstalled
                config.refresh_api_key_hook = throttled

    throttled.throttled = True
    configuration.refresh_api_key_hook = throttled


def _query(values: dict[str, Any]) -> list[tuple[str, Any]]:
    names = {"label_selector": "labelSelector", "field_selector": "fieldSelector",
             "resource_version": "resourceVersion", "timeout_seconds": "timeoutSeconds",
             "allow_watch_bookmarks": "allowWatchBookmarks"}
    out = []
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        out.append((names.get(key, key), value))
    return out

"""Fuzzing the embedded API server through HTTP: malformed requests get the status a real API
server would give (400, 404, 405, 415, 422 ...), never a 500 or a dropped connection, and a
rejected write changes nothing.

It talks HTTP to a running LocalCluster (not to the server's internals), so it holds whatever
shape the server's code takes inside.
"""

from __future__ import annotations

import copy
import itertools
import json
import socket
import ssl
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from support.localcluster import LocalCluster

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

_names = itertools.count(1)
NAMESPACE = "fuzz"
HTTP_ONLY = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# -- the cluster under test -------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(run_controller=False) as running:
        running.create("Namespace", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
        yield running


@pytest.fixture(scope="module")
def http(cluster):
    with httpx.Client(base_url=cluster.server_url, verify=ssl.create_default_context(cafile=str(cluster.ca_path)),
                      timeout=10,
                      headers={"Authorization": f"Bearer {cluster.token}"}) as client:
        yield client


def assert_answered_like_kubernetes(response: httpx.Response, allowed: set[int] | None = None) -> None:
    """No 500; an error answer is a Kubernetes Status carrying the same code."""
    assert response.status_code != 500, f"500 for {response.request.method} {response.request.url}: {response.text}"
    if allowed is not None:
        assert response.status_code in allowed, (
            f"{response.request.method} {response.request.url} answered {response.status_code}, "
            f"expected one of {sorted(allowed)}: {response.text[:300]}")
    if response.status_code >= 400 and response.request.method != "HEAD" and response.headers.get("content-type", "").startswith("application/json"):
        status = response.json()
        assert status.get("kind") == "Status" and status.get("code") == response.status_code, status
        assert status.get("message"), f"an error with no message: {status}"


# -- valid objects the fuzzing starts from ---------------------------------------------------

def _deployment(name: str) -> dict:
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels},
            "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "app", "image": "example.invalid/app:1",
                                                           "ports": [{"containerPort": 80}],
                                                           "env": [{"name": "A", "value": "1"}]}]}}}}


def _scaler(name: str) -> dict:
    return {"apiVersion": "scaler.bud.studio/v1alpha1", "kind": "BudAIScaler", "metadata": {"name": name},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "x"},
                     "minReplicas": 1, "maxReplicas": 3, "scalingStrategy": "BudScaler",
                     "metricsSources": [{"metricSourceType": "pod", "targetMetric": "m", "targetValue": "70"}]}}


TEMPLATES = {
    "/api/v1/namespaces/fuzz/configmaps": lambda n: {"apiVersion": "v1", "kind": "ConfigMap",
                                                     "metadata": {"name": n, "labels": {"a": "b"}},
                                                     "data": {"k": "v"}},
    "/api/v1/namespaces/fuzz/services": lambda n: {"apiVersion": "v1", "kind": "Service", "metadata": {"name": n},
                                                   "spec": {"selector": {"app": n},
                                                            "ports": [{"port": 80, "targetPort": 8080}]}},
    "/api/v1/namespaces/fuzz/pods": lambda n: {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": n},
                                               "spec": {"containers": [{"name": "c", "image": "example.invalid/a"}]}},
    "/apis/apps/v1/namespaces/fuzz/deployments": _deployment,
    "/apis/scaler.bud.studio/v1alpha1/namespaces/fuzz/budaiscalers": _scaler,
    "/api/v1/namespaces": lambda n: {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}},
}

# Small integers (a replica count of thousands is valid and only slow) and ones past int32/int64.
integers = st.integers(-3, 5) | st.sampled_from([2**31, -2**31 - 1, 2**63])
json_values = st.recursive(
    st.none() | st.booleans() | integers | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6)
not_an_object = json_values.filter(lambda v: not isinstance(v, dict))
# null is never a type error: Go's decoding leaves the field at its zero value
not_a_string = json_values.filter(lambda v: v is not None and not isinstance(v, str))
not_a_string_map = (not_an_object.filter(lambda v: v is not None)
                    | st.dictionaries(st.text(max_size=6), not_a_string, min_size=1, max_size=2))

# Fields of ObjectMeta and what Go's typed decoding accepts for them.
METADATA_FIELDS = {
    "name": not_a_string, "generateName": not_a_string, "namespace": not_a_string,
    "resourceVersion": not_a_string, "labels": not_a_string_map, "annotations": not_a_string_map,
    "finalizers": not_an_object.filter(lambda v: v is not None and not (
        isinstance(v, list) and all(isinstance(i, str) or i is None for i in v))),
    "ownerReferences": not_an_object.filter(lambda v: v is not None and not (
        isinstance(v, list) and all(isinstance(i, dict) or i is None for i in v))),
}


def _paths(obj: object, prefix: tuple = ()) -> list[tuple]:
    """Every path into a JSON document (dict keys and list indices), the document itself excluded."""
    found = []
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, list):
        items = enumerate(obj)
    else:
        return found
    for key, value in items:
        path = (*prefix, key)
        found.append(path)
        found.extend(_paths(value, path))
    return found


def _replaced(obj: dict, path: tuple, value: object) -> dict:
    result = copy.deepcopy(obj)
    parent = result
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return result


def _contents(http: httpx.Client, collection: str) -> list[tuple[str, str]]:
    """(name, resourceVersion) of every object in a collection: what a rejected write must leave alone."""
    listed = http.get(collection)
    assert listed.status_code == 200, listed.text
    return sorted((o["metadata"]["name"], o["metadata"]["resourceVersion"]) for o in listed.json()["items"])


# -- properties -----------------------------------------------------------------------------------

PATH_WORDS = ["", "api", "apis", "v1", "apps", "namespaces", "fuzz", "default", "configmaps", "pods",
              "deployments", "services", "scale", "status", "log", "proxy", "budaiscalers", "scaler.bud.studio",
              "v1alpha1", "version", "healthz", "x", "..", "%", "%ZZ", "%2F", "a:b:c", "finalize", "events"]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
# (no `watch`: a watch is a stream that only ends when its client goes)
QUERY_KEYS = ["labelSelector", "fieldSelector", "tailLines", "container", "propagationPolicy",
              "fieldManager", "includeObject", "limit", "resourceVersion", "x"]


@HTTP_ONLY
@given(segments=st.lists(st.sampled_from(PATH_WORDS) | st.text(min_size=1, max_size=6), max_size=8),
       method=st.sampled_from(METHODS),
       query=st.dictionaries(st.sampled_from(QUERY_KEYS), st.text(max_size=12), max_size=3),
       body=st.binary(max_size=40))
def test_any_path_method_and_query_is_answered_without_a_500(http, cluster, segments, method, query, body):
    path = "/" + "/".join(s if s in PATH_WORDS else quote(s, safe="") for s in segments)
    assume("proxy" not in segments)  # proxying forwards to pods; what they answer is theirs
    response = http.request(method, path, params=query, content=body or None)
    assert_answered_like_kubernetes(response)


@HTTP_ONLY
@given(collection=st.sampled_from(sorted(TEMPLATES)),
       body=st.binary(max_size=60) | json_values.map(lambda v: json.dumps(v).encode()))
def test_a_body_that_is_not_an_object_is_a_bad_request_and_changes_nothing(http, cluster, collection, body):
    try:
        assume(not isinstance(json.loads(body), dict))
    except ValueError:
        pass
    before = _contents(http, collection)
    response = http.post(collection, content=body)
    assert_answered_like_kubernetes(response, {400})
    assert _contents(http, collection) == before, "a rejected create changed the store"


@HTTP_ONLY
@given(collection=st.sampled_from(sorted(TEMPLATES)), data=st.data())
def test_metadata_of_the_wrong_type_is_a_bad_request_and_changes_nothing(http, cluster, collection, data):
    field = data.draw(st.sampled_from(sorted(METADATA_FIELDS)), label="field")
    value = data.draw(METADATA_FIELDS[field], label="value")
    obj = TEMPLATES[collection](f"meta-{next(_names)}")
    obj["metadata"][field] = value
    before = _contents(http, collection)
    response = http.post(collection, json=obj)
    assert_answered_like_kubernetes(response, {400})
    assert _contents(http, collection) == before, "a rejected create changed the store"


@HTTP_ONLY
@given(collection=st.sampled_from(sorted(TEMPLATES)), data=st.data())
def test_an_object_with_any_field_replaced_is_answered_and_a_rejection_changes_nothing(http, cluster,
                                                                                      collection, data):
    obj = TEMPLATES[collection](f"any-{next(_names)}")
    path = data.draw(st.sampled_from(_paths(obj)), label="path")
    assume(path != ("metadata", "name"))
    mutated = _replaced(obj, path, data.draw(json_values, label="value"))
    before = _contents(http, collection)
    response = http.post(collection, json=mutated)
    assert_answered_like_kubernetes(response, {201, 400, 403, 404, 409, 422})
    if response.status_code >= 400:
        assert _contents(http, collection) == before, "a rejected create changed the store"


@HTTP_ONLY
@given(collection=st.sampled_from(sorted(TEMPLATES)), data=st.data(),
       content_type=st.sampled_from(["application/json-patch+json", "application/merge-patch+json",
                                     "application/strategic-merge-patch+json", "application/apply-patch+yaml",
                                     "application/json", "text/plain", ""]),
       patch=st.binary(max_size=40) | json_values.map(lambda v: json.dumps(v).encode()))
def test_any_patch_is_answered_and_a_rejection_changes_nothing(http, cluster, collection, data, content_type, patch):
    name = f"patch-{next(_names)}"
    created = http.post(collection, json=TEMPLATES[collection](name))
    assert created.status_code == 201, created.text
    before = _contents(http, collection)
    response = http.patch(f"{collection}/{name}", content=patch, params={"fieldManager": "fuzz"},
                          headers={"Content-Type": content_type} if content_type else {})
    assert_answered_like_kubernetes(response, {200, 400, 409, 415, 422})
    if response.status_code >= 400:
        assert _contents(http, collection) == before, "a rejected patch changed the store"


@HTTP_ONLY
@given(selector=st.text(max_size=20), kind=st.sampled_from(["labelSelector", "fieldSelector"]))
def test_any_selector_is_listed_or_rejected_as_a_bad_request(http, selector, kind):
    response = http.get("/api/v1/namespaces/fuzz/configmaps", params={kind: selector})
    assert_answered_like_kubernetes(response, {200, 400})


@HTTP_ONLY
@given(replicas=json_values)
def test_any_scale_body_is_answered_and_a_rejection_changes_nothing(http, cluster, replicas):
    name = f"scale-{next(_names)}"
    assert http.post("/apis/apps/v1/namespaces/fuzz/deployments", json=_deployment(name)).status_code == 201
    before = _contents(http, "/apis/apps/v1/namespaces/fuzz/deployments")
    response = http.put(f"/apis/apps/v1/namespaces/fuzz/deployments/{name}/scale",
                        json={"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": name},
                              "spec": {"replicas": replicas}})
    assert_answered_like_kubernetes(response, {200, 400, 422})
    if response.status_code >= 400:
        assert _contents(http, "/apis/apps/v1/namespaces/fuzz/deployments") == before, "a rejected scale changed the store"


@HTTP_ONLY
@given(tail=st.text(max_size=6))
def test_any_tail_lines_is_answered(http, cluster, tail):
    response = http.get("/api/v1/namespaces/fuzz/pods/nobody/log", params={"tailLines": tail})
    assert_answered_like_kubernetes(response, {400, 404})


# -- the HTTP layer itself: what reaches the server before any routing -----------------------

def _raw_exchange(cluster: LocalCluster, head: bytes, body: bytes = b"") -> bytes:
    """Send raw bytes over TLS and return what the server answers (b'' if it hung up)."""
    host, port = httpx.URL(cluster.server_url).host, httpx.URL(cluster.server_url).port
    context = ssl.create_default_context(cafile=str(cluster.ca_path))
    with socket.create_connection((host, port), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname=host) as tls:
        tls.sendall(head + body)
        chunks = []
        while chunk := tls.recv(65536):
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks):
                break
        return b"".join(chunks)


@HTTP_ONLY
@given(length=st.text(alphabet="0123456789-+ abcxX", min_size=1, max_size=6).filter(
    lambda text: not text.strip().isdigit()))
def test_a_malformed_content_length_is_a_bad_request(cluster, length):
    head = (f"POST /api/v1/namespaces/fuzz/configmaps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {cluster.token}"
            f"\r\nContent-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n").encode()
    answer = _raw_exchange(cluster, head, b"{}")
    assert answer.startswith(b"HTTP/1.1 400"), f"Content-Length {length!r} answered {answer[:120]!r}"


@HTTP_ONLY
@given(chunk_size=st.text(alphabet="0123456789abcdefxyz;- ", min_size=1, max_size=6).filter(
    lambda text: not all(c in "0123456789abcdef" for c in text.split(";")[0].strip()) or not text.strip()))
def test_a_malformed_chunked_body_is_a_bad_request(cluster, chunk_size):
    head = (f"POST /api/v1/namespaces/fuzz/configmaps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {cluster.token}"
            "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode()
    answer = _raw_exchange(cluster, head, f"{chunk_size}\r\n{{}}\r\n0\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 400"), f"chunk size {chunk_size!r} answered {answer[:120]!r}"


def test_a_label_of_the_wrong_type_is_rejected_as_kube_apiserver_words_it(http):
    response = http.post("/api/v1/namespaces/fuzz/configmaps",
                         json={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "typed", "labels": {"a": 1}}})
    assert response.status_code == 400
    assert response.json()["message"] == ('ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot '
                                          "unmarshal number 1 into Go struct field ConfigMap.metadata.labels[a] of "
                                          "type string")


def test_null_fields_are_dropped_as_go_decoding_drops_them(http):
    response = http.post("/api/v1/namespaces", json={"apiVersion": "v1", "kind": "Namespace",
                                                     "metadata": {"name": "nulls", "labels": None}})
    assert response.status_code == 201, response.text
    assert response.json()["metadata"]["labels"] == {"kubernetes.io/metadata.name": "nulls"}


@pytest.mark.parametrize("way", ["create", "replace", "merge-patch", "apply"])
def test_a_null_container_is_invalid_as_go_decodes_it_to_an_empty_one(http, way):
    """Go decodes a null list item into a zero Container, which validation rejects: 422, never a 500."""
    name = f"null-container-{way}"
    collection = "/apis/apps/v1/namespaces/fuzz/deployments"
    broken = _deployment(name)
    broken["spec"]["template"]["spec"]["containers"] = [None]
    if way == "create":
        response = http.post(collection, json=broken)
    else:
        created = http.post(collection, json=_deployment(name))
        assert created.status_code == 201, created.text
        if way == "replace":
            broken["metadata"]["resourceVersion"] = created.json()["metadata"]["resourceVersion"]
            response = http.put(f"{collection}/{name}", json=broken)
        else:
            content_type = "application/merge-patch+json" if way == "merge-patch" else "application/apply-patch+yaml"
            body = {"spec": {"template": {"spec": {"containers": [None]}}}} if way == "merge-patch" else broken
            response = http.patch(f"{collection}/{name}", content=json.dumps(body), params={"fieldManager": "fuzz"},
                                  headers={"Content-Type": content_type})
    assert_answered_like_kubernetes(response, {422})
    message = response.json()["message"]
    assert f'Deployment.apps "{name}" is invalid: spec.template.spec.containers[' in message, message
    assert message.endswith("].name: Required value"), message

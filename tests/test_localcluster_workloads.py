"""Workloads on the embedded cluster without its API server: the built-in controllers
(support/localcluster/controllers/) and the node agent (support/localcluster/node/), wired as
LocalCluster wires them, with a tiny inline HTTP program mounted from a ConfigMap; pods answer
over real HTTP on their 127.B.x.y addresses. The API server's proxy endpoints are checked here too.
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
from types import SimpleNamespace

import pytest

from support import manifests
from support.clock import VirtualClock
from support.localcluster import wire
from support.localcluster.apiserver.proxy import Proxy
from support.localcluster.errors import ApiError

NS = "demo"
LISTEN_DELAY = 1.0  # the node's modelled start-up time of a python program

# A mock program as the embedded cluster runs it: stdlib only, exposes create_server.
PROGRAM = '''
import http.server, json

def create_server(host, port, env=None, clock=None):
    env = dict(env or {})
    state = {"ready": env.get("START_READY", "yes") == "yes"}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/make-ready":
                state["ready"] = True
            if self.path == "/ready" and not state["ready"]:
                return self._send(503, {"ready": False})
            self._send(200, {"pod": env.get("POD_NAME"), "ip": env.get("POD_IP"),
                             "greeting": env.get("GREETING"), "now": clock(), "path": self.path})

        def _send(self, code, body):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return http.server.ThreadingHTTPServer((host, port), Handler)
'''


def make_cluster(seed: int = 0) -> SimpleNamespace:
    clock = VirtualClock()
    parts = wire(clock, start_delay=1.0, ready_delay=3.0, seed=seed)
    parts.start()
    return SimpleNamespace(store=parts.store, clock=clock, parts=parts, node=parts.node,
                           proxy=Proxy(parts.store, parts.node))


def configmap(name: str = "program", data: dict | None = None) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": NS},
            "data": data if data is not None else {"server.py": PROGRAM}}


def container(name: str = "app", image: str = "python:3.11-slim", port: int = 8080, **extra) -> dict:
    return {"name": name, "image": image, "command": ["python", "/app/server.py"],
            "ports": [{"name": "http", "containerPort": port}],
            "env": [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                    {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
            "volumeMounts": [{"name": "program", "mountPath": "/app"}], **extra}


def deployment(name: str = "web", replicas: int | None = 2, containers: list | None = None,
               configmap_name: str = "program") -> dict:
    spec = {"selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                         "spec": {"containers": containers or [container()],
                                  "volumes": [{"name": "program", "configMap": {"name": configmap_name}}]}}}
    if replicas is not None:
        spec["replicas"] = replicas
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": NS}, "spec": spec}


def service(name: str = "web", target_port: str | int = "http") -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": NS},
            "spec": {"selector": {"app": name}, "ports": [{"name": "web", "port": 80, "targetPort": target_port}]}}


def pods(cluster, app: str = "web") -> list[dict]:
    return cluster.store.list("Pod", NS, labels=lambda labels: labels.get("app") == app)


def is_ready(pod: dict) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", []))


def waiting(pod: dict, index: int = 0) -> dict:
    return pod["status"]["containerStatuses"][index]["state"].get("waiting", {})


def http_get(ip: str, port: int, path: str = "/") -> tuple[int, str]:
    connection = http.client.HTTPConnection(ip, port, timeout=2)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def http_post(ip: str, port: int, path: str, body: dict) -> tuple[int, dict]:
    connection = http.client.HTTPConnection(ip, port, timeout=2)
    try:
        connection.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def scale(cluster, name: str, replicas: int) -> None:
    """As `kubectl scale` does: no resourceVersion precondition (the controllers annotate the Deployment too)."""
    obj = cluster.store.get("Deployment", NS, name)
    obj["spec"]["replicas"] = replicas
    obj["metadata"].pop("resourceVersion")
    cluster.store.update("Deployment", obj)


@pytest.fixture
def cluster():
    cluster = make_cluster()
    yield cluster
    cluster.parts.stop()


def running(cluster, replicas: int = 2, name: str = "web") -> list[dict]:
    """ConfigMap + Deployment, then the start delay: Running pods (their programs start up for LISTEN_DELAY)."""
    cluster.store.create("ConfigMap", configmap())
    cluster.store.create("Deployment", deployment(name, replicas))
    cluster.clock.advance(1.0)
    return pods(cluster, name)


def listening(cluster, replicas: int = 2, name: str = "web") -> list[dict]:
    """Running pods whose programs have started up and listen."""
    found = running(cluster, replicas, name)
    cluster.clock.advance(LISTEN_DELAY)
    return found


# -- deployments get pods that run their program ----------------------------------

def test_a_deployment_gets_a_replica_set_whose_pods_it_owns(cluster):
    cluster.store.create("ConfigMap", configmap())
    created = cluster.store.create("Deployment", deployment(replicas=3))
    [replica_set] = cluster.store.list("ReplicaSet", NS)
    owner = replica_set["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["uid"], owner["controller"]) == ("Deployment", created["metadata"]["uid"], True)
    template_hash = replica_set["metadata"]["labels"]["pod-template-hash"]
    assert replica_set["metadata"]["name"] == f"web-{template_hash}" and replica_set["spec"]["replicas"] == 3
    assert replica_set["spec"]["selector"]["matchLabels"] == {"app": "web", "pod-template-hash": template_hash}
    assert replica_set["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    found = pods(cluster)
    assert len(found) == 3
    for pod in found:
        owner = pod["metadata"]["ownerReferences"][0]
        assert (owner["kind"], owner["uid"]) == ("ReplicaSet", replica_set["metadata"]["uid"])
        assert pod["metadata"]["name"].startswith(f"web-{template_hash}-")
        assert pod["status"]["phase"] == "Pending"
        assert {"type": "PodScheduled", "status": "True"}.items() <= pod["status"]["conditions"][0].items()


def test_a_missing_replicas_field_means_one_pod(cluster):
    cluster.store.create("Deployment", deployment(replicas=None))
    assert len(pods(cluster)) == 1


def test_pods_start_after_the_start_delay_with_distinct_loopback_ips_and_serve_http(cluster):
    cluster.store.create("ConfigMap", configmap())
    cluster.store.create("Deployment", deployment(replicas=3))
    cluster.clock.advance(0.9)
    assert {p["status"]["phase"] for p in pods(cluster)} == {"Pending"}
    cluster.clock.advance(0.1)
    found = pods(cluster)
    ips = {p["status"]["podIP"] for p in found}
    assert len(ips) == 3 and len({ip.rsplit(".", 2)[0] for ip in ips}) == 1 and all(ip.startswith("127.") for ip in ips)
    for pod in found:
        assert pod["status"]["phase"] == "Running"
        assert pod["status"]["containerStatuses"][0]["state"].keys() == {"running"}
        with pytest.raises(ConnectionRefusedError):  # Running as the kubelet reports it: the program still starts up
            http_get(pod["status"]["podIP"], 8080)
    cluster.clock.advance(LISTEN_DELAY)
    for pod in found:
        status, body = http_get(pod["status"]["podIP"], 8080)
        assert status == 200
        answer = json.loads(body)
        assert answer["pod"] == pod["metadata"]["name"] and answer["ip"] == pod["status"]["podIP"]
        assert answer["now"] == cluster.clock.now()  # the program got the cluster's clock


def test_pods_are_ready_after_the_ready_delay_and_not_before(cluster):
    running(cluster)
    assert not any(is_ready(p) for p in pods(cluster))
    cluster.clock.advance(2.9)
    assert not any(is_ready(p) for p in pods(cluster))
    assert cluster.store.get("Deployment", NS, "web")["status"].get("readyReplicas", 0) == 0
    cluster.clock.advance(0.1)
    found = pods(cluster)
    assert all(is_ready(p) for p in found)
    assert all(s["ready"] for p in found for s in p["status"]["containerStatuses"])


def test_the_deployment_status_follows_its_pods(cluster):
    running(cluster, replicas=2)
    status = cluster.store.get("Deployment", NS, "web")["status"]
    assert status["replicas"] == 2 and status["updatedReplicas"] == 2 and status["unavailableReplicas"] == 2
    assert _condition(status, "Available")["status"] == "False"
    cluster.clock.advance(3.0)
    deployment_now = cluster.store.get("Deployment", NS, "web")
    status = deployment_now["status"]
    assert status["observedGeneration"] == deployment_now["metadata"]["generation"]
    assert (status["readyReplicas"], status["availableReplicas"]) == (2, 2)
    assert "unavailableReplicas" not in status  # Kubernetes omits zero counts
    assert _condition(status, "Available")["status"] == "True"
    assert _condition(status, "Progressing")["reason"] == "NewReplicaSetAvailable"


def _condition(status: dict, kind: str) -> dict:
    return next(c for c in status["conditions"] if c["type"] == kind)


# -- scaling, template changes, deletion --------------------------------------------

def test_scaling_up_adds_pods_and_scaling_down_removes_not_ready_then_newest(cluster):
    running(cluster, replicas=2)
    cluster.clock.advance(3.0)
    ready_names = {p["metadata"]["name"] for p in pods(cluster)}
    scale(cluster, "web", 4)
    assert len(pods(cluster)) == 4
    cluster.clock.advance(1.0)  # the two new pods run, but are not ready yet
    scale(cluster, "web", 2)
    assert {p["metadata"]["name"] for p in pods(cluster)} == ready_names
    cluster.clock.advance(3.0)
    first, second = sorted(pods(cluster), key=lambda p: p["status"]["podIP"])
    scale(cluster, "web", 1)
    assert [p["metadata"]["name"] for p in pods(cluster)] == [first["metadata"]["name"]]  # the newer one went
    assert cluster.store.get("Deployment", NS, "web")["status"]["replicas"] == 1


def test_scaling_to_zero_removes_every_pod_and_stops_its_server(cluster):
    ip = running(cluster, replicas=1)[0]["status"]["podIP"]
    scale(cluster, "web", 0)
    assert pods(cluster) == []
    with pytest.raises(ConnectionRefusedError):
        http_get(ip, 8080)


def test_a_template_change_rolls_out_a_new_replica_set_as_its_pods_become_ready(cluster):
    running(cluster, replicas=4)
    cluster.clock.advance(3.0)
    old = {p["metadata"]["name"] for p in pods(cluster)}
    obj = cluster.store.get("Deployment", NS, "web")
    obj["spec"]["template"]["spec"]["containers"][0]["env"].append({"name": "GREETING", "value": "hello"})
    cluster.store.update("Deployment", obj)
    sets = {rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]: rs
            for rs in cluster.store.list("ReplicaSet", NS)}
    assert sorted(sets) == ["1", "2"]
    # maxSurge 25% of 4 = 1 new pod at once; maxUnavailable 25% = 1 old pod may go at once
    assert (sets["1"]["spec"]["replicas"], sets["2"]["spec"]["replicas"]) == (3, 2)
    assert len(pods(cluster)) == 5, "never more than 4 + maxSurge pods"
    for _ in range(4):
        cluster.clock.advance(4.0)  # new pods run and turn ready; the rollout moves on
    new = pods(cluster)
    assert len(new) == 4 and not old & {p["metadata"]["name"] for p in new}
    assert all(is_ready(p) for p in new)
    old_set = cluster.store.get("ReplicaSet", NS, sets["1"]["metadata"]["name"])
    assert old_set["spec"]["replicas"] == 0, "the old ReplicaSet stays, scaled to zero, as revision history"
    assert json.loads(http_get(new[0]["status"]["podIP"], 8080)[1])["greeting"] == "hello"
    status = cluster.store.get("Deployment", NS, "web")["status"]
    assert (status["replicas"], status["updatedReplicas"], status["availableReplicas"]) == (4, 4, 4)
    assert cluster.store.get("Deployment", NS, "web")["metadata"]["annotations"][
        "deployment.kubernetes.io/revision"] == "2"


def test_the_recreate_strategy_removes_the_old_pods_first(cluster):
    cluster.store.create("ConfigMap", configmap())
    body = deployment(replicas=2)
    body["spec"]["strategy"] = {"type": "Recreate"}
    cluster.store.create("Deployment", body)
    cluster.clock.advance(4.0)
    old = {p["metadata"]["name"] for p in pods(cluster)}
    obj = cluster.store.get("Deployment", NS, "web")
    obj["spec"]["template"]["spec"]["containers"][0]["env"].append({"name": "GREETING", "value": "hello"})
    cluster.store.update("Deployment", obj)
    new = pods(cluster)
    assert len(new) == 2 and not old & {p["metadata"]["name"] for p in new}


def test_deleting_a_pod_stops_its_server_and_the_deployment_replaces_it(cluster):
    victim = listening(cluster, replicas=1)[0]
    ip = victim["status"]["podIP"]
    assert http_get(ip, 8080)[0] == 200
    cluster.store.delete("Pod", NS, victim["metadata"]["name"])
    with pytest.raises(ConnectionRefusedError):
        http_get(ip, 8080)
    replacement = pods(cluster)
    assert len(replacement) == 1 and replacement[0]["metadata"]["name"] != victim["metadata"]["name"]
    cluster.clock.advance(1.0 + LISTEN_DELAY)
    new_ip = pods(cluster)[0]["status"]["podIP"]
    assert new_ip != ip and http_get(new_ip, 8080)[0] == 200


def test_deleting_the_deployment_deletes_its_pods(cluster):
    ip = running(cluster, replicas=2)[0]["status"]["podIP"]
    cluster.store.delete("Deployment", NS, "web")
    assert pods(cluster) == []
    with pytest.raises(ConnectionRefusedError):
        http_get(ip, 8080)


def test_pod_names_are_deterministic_for_a_seed():
    names = []
    for _ in range(2):
        cluster = make_cluster(seed=7)
        try:
            cluster.store.create("Deployment", deployment(replicas=3))
            names.append(sorted(p["metadata"]["name"] for p in pods(cluster)))
        finally:
            cluster.parts.stop()
    assert names[0] == names[1]


# -- containers that cannot run ---------------------------------------------------------

def test_a_missing_configmap_leaves_the_pod_pending_until_it_appears(cluster):
    cluster.store.create("Deployment", deployment(replicas=1))
    cluster.clock.advance(1.0)
    pod = pods(cluster)[0]
    assert pod["status"]["phase"] == "Pending"
    assert waiting(pod) == {"reason": "CreateContainerConfigError", "message": 'configmap "program" not found'}
    failed = [e for e in cluster.store.list("Event", NS) if e["reason"] == "Failed"]
    assert failed and failed[0]["type"] == "Warning" and "CreateContainerConfigError" in failed[0]["message"]
    assert failed[0]["involvedObject"]["name"] == pod["metadata"]["name"]
    cluster.store.create("ConfigMap", configmap())
    cluster.clock.advance(5.0)  # the kubelet retries
    assert pods(cluster)[0]["status"]["phase"] == "Running"


def test_an_unknown_image_leaves_the_pod_pending_with_err_image_pull(cluster):
    cluster.store.create("ConfigMap", configmap())
    cluster.store.create("Deployment", deployment(replicas=1, containers=[container(image="nginx:1.27")]))
    cluster.clock.advance(10.0)
    pod = pods(cluster)[0]
    assert pod["status"]["phase"] == "Pending" and not is_ready(pod)
    assert waiting(pod)["reason"] == "ErrImagePull"
    assert waiting(pod)["message"].startswith('the embedded cluster cannot run image "nginx:1.27": it runs python:* '
                                              "programs mounted from ConfigMaps and these emulated images: ")
    assert "ghcr.io/llm-d/llm-d-inference-sim" in waiting(pod)["message"]


def test_the_kubelet_writes_scheduled_and_started_events(cluster):
    pod = running(cluster, replicas=1)[0]
    events = [e for e in cluster.store.list("Event", NS) if e["involvedObject"]["name"] == pod["metadata"]["name"]]
    assert [e["reason"] for e in events] == ["Scheduled", "Started"]
    assert all(e["type"] == "Normal" and e["lastTimestamp"] for e in events)


# -- readiness probes -----------------------------------------------------------------

def test_an_http_readiness_probe_is_retried_every_period_until_it_answers(cluster):
    probe = {"httpGet": {"path": "/ready", "port": "http"}, "initialDelaySeconds": 5, "periodSeconds": 2}
    app = container(readinessProbe=probe)
    app["env"].append({"name": "START_READY", "value": "no"})
    cluster.store.create("ConfigMap", configmap())
    cluster.store.create("Deployment", deployment(replicas=1, containers=[app]))
    cluster.clock.advance(1.0 + 5.0)  # initialDelaySeconds (5) beats ready_delay (3); the probe fails
    pod = pods(cluster)[0]
    assert not is_ready(pod)
    http_get(pod["status"]["podIP"], 8080, "/make-ready")
    cluster.clock.advance(1.9)
    assert not is_ready(pods(cluster)[0])
    cluster.clock.advance(0.1)
    assert is_ready(pods(cluster)[0])


# -- the API server's proxy endpoints, and the node's logs ----------------------------------------------

def test_pod_endpoint_resolves_numbers_names_and_the_first_port(cluster):
    pod = running(cluster, replicas=1)[0]
    name, ip = pod["metadata"]["name"], pod["status"]["podIP"]
    proxy = cluster.proxy
    assert proxy.pod_endpoint(NS, name, None) == (ip, 8080)
    assert proxy.pod_endpoint(NS, name, "http") == (ip, 8080)
    assert proxy.pod_endpoint(NS, name, "9000") == (ip, 9000)
    with pytest.raises(ApiError) as missing:
        proxy.pod_endpoint(NS, "nope", None)
    assert missing.value.code == 404


def test_pod_endpoint_is_unavailable_while_the_pod_is_pending(cluster):
    cluster.store.create("Deployment", deployment(replicas=1))
    with pytest.raises(ApiError) as pending:
        cluster.proxy.pod_endpoint(NS, pods(cluster)[0]["metadata"]["name"], None)
    assert pending.value.code == 503


def test_service_endpoint_needs_a_ready_pod_and_maps_the_target_port(cluster):
    cluster.store.create("Service", service(target_port="http"))
    ips = {p["status"]["podIP"] for p in running(cluster, replicas=2)}
    with pytest.raises(ApiError) as unready:
        cluster.proxy.service_endpoint(NS, "web", 80)
    assert unready.value.code == 503 and 'no endpoints available for service "web"' in unready.value.message
    cluster.clock.advance(3.0)
    chosen = {cluster.proxy.service_endpoint(NS, "web", port) for port in (None, 80, "web", "80")}
    assert {ip for ip, _ in chosen} == ips and {port for _, port in chosen} == {8080}
    with pytest.raises(ApiError) as missing:
        cluster.proxy.service_endpoint(NS, "nope", None)
    assert missing.value.code == 404


def test_pod_log_has_the_start_line_and_the_programs_access_log(cluster):
    pod = listening(cluster, replicas=1)[0]
    name, ip = pod["metadata"]["name"], pod["status"]["podIP"]
    http_get(ip, 8080, "/hello")
    log = cluster.node.pod_log(NS, name, None, None)
    assert "started container app (image python:3.11-slim) on " + ip in log
    assert "GET /hello" in log
    assert cluster.node.pod_log(NS, name, "app", 1) == log.splitlines(keepends=True)[-1]
    with pytest.raises(ApiError) as wrong:
        cluster.node.pod_log(NS, name, "other", None)
    assert wrong.value.code == 400


def test_stop_stops_every_server():
    cluster = make_cluster()
    ip = running(cluster, replicas=2)[0]["status"]["podIP"]
    cluster.parts.stop()
    with pytest.raises(ConnectionRefusedError):
        http_get(ip, 8080)


def test_a_bare_pod_runs_too(cluster):
    cluster.store.create("ConfigMap", configmap())
    template = deployment()["spec"]["template"]
    cluster.store.create("Pod", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "solo", "namespace": NS},
                                 "spec": template["spec"]})
    cluster.clock.advance(4.0)
    pod = cluster.store.get("Pod", NS, "solo")
    assert is_ready(pod) and http_get(pod["status"]["podIP"], 8080)[0] == 200


def test_events_from_many_threads_while_the_clock_advances_settle_consistently(cluster, caplog):
    cluster.store.create("ConfigMap", configmap())
    names = [f"app{i}" for i in range(4)]

    def churn(name: str) -> None:
        cluster.store.create("Deployment", deployment(name, replicas=1))
        for replicas in (3, 1, 2):
            scale(cluster, name, replicas)

    threads = [threading.Thread(target=churn, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        cluster.clock.advance(0.5)
    for thread in threads:
        thread.join()
    cluster.clock.advance(5.0)
    ips = set()
    for name in names:
        found = pods(cluster, name)
        assert len(found) == 2 and all(is_ready(p) for p in found)
        assert cluster.store.get("Deployment", NS, name)["status"]["readyReplicas"] == 2
        ips |= {p["status"]["podIP"] for p in found}
    assert len(ips) == 8
    assert not [r for r in caplog.records if r.levelname == "ERROR"], "a reconcile failed"


# -- a program imports the other .py files of its mount, as `python /app/server.py` would --

HELPER_PROGRAM = '''
import http.server
import budspec_test_greet
from budspec_test_greet import greeting

def create_server(host, port, env=None, clock=None):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            import budspec_test_greet as lazily  # an import in a request thread finds the same module
            data = json.dumps({"greeting": greeting(), "same": lazily is budspec_test_greet}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return http.server.ThreadingHTTPServer((host, port), Handler)

import json
'''


def helper(word: str) -> str:
    return f"import json\n\ndef greeting():\n    return {word!r}\n"


def test_a_program_imports_a_helper_module_from_its_configmap(cluster):
    for name, word in (("one", "hi"), ("two", "yo")):
        data = {"server.py": HELPER_PROGRAM, "budspec_test_greet.py": helper(word)}
        cluster.store.create("ConfigMap", configmap(name, data))
        cluster.store.create("Deployment", deployment(name, replicas=1, configmap_name=name))
    cluster.clock.advance(1.0 + LISTEN_DELAY)
    for name, word in (("one", "hi"), ("two", "yo")):  # each pod has the helper of its own ConfigMap
        [pod] = pods(cluster, name)
        assert pod["status"]["phase"] == "Running", waiting(pod)
        status, body = http_get(pod["status"]["podIP"], 8080)
        assert (status, json.loads(body)) == (200, {"greeting": word, "same": True})
    assert "budspec_test_greet" not in sys.modules  # the helper lives in the pod, not in the cluster's process


def test_a_program_whose_configmap_lacks_its_helper_module_cannot_start(cluster):
    cluster.store.create("ConfigMap", configmap(data={"server.py": HELPER_PROGRAM}))
    cluster.store.create("Deployment", deployment(replicas=1))
    cluster.clock.advance(1.0)
    pod = pods(cluster)[0]
    assert pod["status"]["phase"] == "Pending" and not is_ready(pod)
    assert waiting(pod) == {"reason": "RunContainerError",
                            "message": "ModuleNotFoundError: No module named 'budspec_test_greet'"}


def test_a_helper_in_another_directory_of_the_mount_is_not_importable(cluster):
    cluster.store.create("ConfigMap", configmap(data={"server.py": HELPER_PROGRAM,
                                                      "budspec_test_greet.py": helper("hi")}))
    app = container(volumeMounts=[{"name": "program", "mountPath": "/app/server.py", "subPath": "server.py"},
                                  {"name": "program", "mountPath": "/lib"}])  # the helper is in /lib only
    cluster.store.create("Deployment", deployment(replicas=1, containers=[app]))
    cluster.clock.advance(1.0)
    assert waiting(pods(cluster)[0])["message"] == "ModuleNotFoundError: No module named 'budspec_test_greet'"


def test_a_mock_program_configmap_as_the_suite_builds_it_runs_with_its_mockhttp(cluster):
    cluster.store.create("ConfigMap", {**manifests.program_configmap("vllm_sidecar.py", name="program"),
                                       "metadata": {"name": "program", "namespace": NS}})
    app = container(command=["python", "/app/vllm_sidecar.py"], port=9000)
    cluster.store.create("Deployment", deployment(replicas=1, containers=[app]))
    cluster.clock.advance(1.0 + LISTEN_DELAY)
    [pod] = pods(cluster)
    assert pod["status"]["phase"] == "Running", waiting(pod)
    status, body = http_get(pod["status"]["podIP"], 9000, "/set?gpu_cache=abc")
    assert status == 400 and "gpu_cache must be a number from 0 to 100" in body  # mockhttp's BadRequest -> 400
    assert "mockhttp" not in sys.modules

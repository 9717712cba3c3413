"""The embedded API server through the official kubernetes client: CRUD, selectors,
conflicts, patches, server-side apply, subresources, cascade deletion, errors, auth."""

from __future__ import annotations

import json
import ssl

import httpx
import kubernetes
import pytest
from kubernetes.client import ApiException
from kubernetes.dynamic import DynamicClient

from support.localcluster import LocalCluster


@pytest.fixture(scope="module")
def dynamic(api_client, tmp_path_factory):
    return DynamicClient(api_client, cache_file=str(tmp_path_factory.mktemp("discovery") / "cache.json"))


@pytest.fixture
def ns(fresh_namespace):
    return fresh_namespace("api-test")


def deployment(name: str, replicas: int | None = None, image: str = "example.invalid/app:1") -> dict:
    spec = {"selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                         "spec": {"containers": [{"name": "app", "image": image,
                                                  "env": [{"name": "A", "value": "1"}]}]}}}
    if replicas is not None:
        spec["replicas"] = replicas
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name}, "spec": spec}


def trust(cluster: LocalCluster) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cluster.ca_path))


def message(error: ApiException) -> str:
    return json.loads(error.body)["message"]


# -- configmaps: CRUD, conflicts, selectors ---------------------------------------------------

def test_configmap_create_get_list_update_delete(core, ns):
    created = core.create_namespaced_config_map(ns, {"metadata": {"name": "cfg"}, "data": {"k": "v"}})
    assert created.metadata.uid and created.metadata.resource_version
    assert created.metadata.namespace == ns

    got = core.read_namespaced_config_map("cfg", ns)
    got.data["k"] = "w"
    updated = core.replace_namespaced_config_map("cfg", ns, got)
    assert updated.data == {"k": "w"}
    assert int(updated.metadata.resource_version) > int(created.metadata.resource_version)

    listed = core.list_namespaced_config_map(ns)
    assert [c.metadata.name for c in listed.items] == ["cfg"] and listed.metadata.resource_version

    core.delete_namespaced_config_map("cfg", ns)
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_config_map("cfg", ns)
    assert missing.value.status == 404 and 'configmaps "cfg" not found' in message(missing.value)


def test_create_twice_is_409_already_exists(core, ns):
    core.create_namespaced_config_map(ns, {"metadata": {"name": "dup"}})
    with pytest.raises(ApiException) as error:
        core.create_namespaced_config_map(ns, {"metadata": {"name": "dup"}})
    assert error.value.status == 409 and message(error.value) == 'configmaps "dup" already exists'


def test_update_with_stale_resource_version_is_409_conflict(core, ns):
    first = core.create_namespaced_config_map(ns, {"metadata": {"name": "cfg"}, "data": {"n": "1"}})
    core.patch_namespaced_config_map("cfg", ns, {"data": {"n": "2"}})
    first.data["n"] = "3"
    with pytest.raises(ApiException) as error:
        core.replace_namespaced_config_map("cfg", ns, first)
    assert error.value.status == 409 and "the object has been modified" in message(error.value)


def test_generate_name(core, ns):
    created = core.create_namespaced_config_map(ns, {"metadata": {"generateName": "gen-"}})
    assert created.metadata.name.startswith("gen-") and len(created.metadata.name) == 9


def test_label_selectors(core, ns):
    for name, labels in {"a": {"tier": "web", "env": "prod"}, "b": {"tier": "db", "env": "prod"},
                         "c": {"tier": "web"}}.items():
        core.create_namespaced_config_map(ns, {"metadata": {"name": name, "labels": labels}})

    def names(selector: str) -> list[str]:
        return [c.metadata.name for c in core.list_namespaced_config_map(ns, label_selector=selector).items]

    assert names("tier=web") == ["a", "c"]
    assert names("tier==web,env=prod") == ["a"]
    assert names("tier!=web") == ["b"]
    assert names("tier in (db, cache)") == ["b"]
    assert names("tier notin (db),env") == ["a"]
    assert names("!env") == ["c"]


def test_field_selectors_and_list_across_namespaces(core, ns):
    core.create_namespaced_config_map(ns, {"metadata": {"name": "wanted"}})
    core.create_namespaced_config_map(ns, {"metadata": {"name": "other"}})
    mine = core.list_namespaced_config_map(ns, field_selector="metadata.name=wanted").items
    assert [c.metadata.name for c in mine] == ["wanted"]
    others = core.list_namespaced_config_map(ns, field_selector="metadata.name!=wanted").items
    assert [c.metadata.name for c in others] == ["other"]
    everywhere = core.list_config_map_for_all_namespaces(field_selector=f"metadata.namespace={ns}").items
    assert sorted(c.metadata.name for c in everywhere) == ["other", "wanted"]


def test_write_into_missing_namespace_is_404(core):
    with pytest.raises(ApiException) as error:
        core.create_namespaced_config_map("no-such-namespace", {"metadata": {"name": "x"}})
    assert error.value.status == 404 and 'namespaces "no-such-namespace" not found' in message(error.value)


def test_body_namespace_must_match_url(core, ns):
    with pytest.raises(ApiException) as error:
        core.create_namespaced_config_map(ns, {"metadata": {"name": "x", "namespace": "default"}})
    assert error.value.status == 400 and "does not match the namespace" in message(error.value)


# -- patches and server-side apply ---------------------------------------------------------

def test_merge_patch_and_null_deletes(core, ns):
    core.create_namespaced_config_map(ns, {"metadata": {"name": "cfg"}, "data": {"a": "1", "b": "2"}})
    patched = core.patch_namespaced_config_map("cfg", ns, {"data": {"a": None, "c": "3"}},
                                               _content_type="application/merge-patch+json")
    assert patched.data == {"b": "2", "c": "3"}


def test_json_patch(core, ns):
    core.create_namespaced_config_map(ns, {"metadata": {"name": "cfg"}, "data": {"a": "1"}})
    patched = core.patch_namespaced_config_map("cfg", ns, [
        {"op": "replace", "path": "/data/a", "value": "9"},
        {"op": "add", "path": "/metadata/labels", "value": {"x": "y"}}])
    assert patched.data == {"a": "9"} and patched.metadata.labels == {"x": "y"}


def test_strategic_merge_merges_containers_and_env_by_name(apps, ns):
    apps.create_namespaced_deployment(ns, deployment("web"))
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "image": "example.invalid/app:2", "env": [{"name": "B", "value": "2"}]}]}}}}
    patched = apps.patch_namespaced_deployment("web", ns, patch)
    container = patched.spec.template.spec.containers[0]
    assert container.image == "example.invalid/app:2"
    assert [(e.name, e.value) for e in container.env] == [("A", "1"), ("B", "2")]


def test_server_side_apply_creates_then_updates(dynamic, ns):
    configmaps = dynamic.resources.get(api_version="v1", kind="ConfigMap")
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "applied", "namespace": ns},
            "data": {"a": "1"}}
    created = configmaps.server_side_apply(body=body, namespace=ns, field_manager="budspec")
    assert created.data.a == "1"
    body["data"] = {"a": "2", "b": "3"}
    updated = configmaps.server_side_apply(body=body, namespace=ns, field_manager="budspec", force_conflicts=True)
    assert dict(updated.data) == {"a": "2", "b": "3"}
    assert updated.metadata.uid == created.metadata.uid


def test_server_side_apply_needs_a_field_manager(dynamic, ns):
    configmaps = dynamic.resources.get(api_version="v1", kind="ConfigMap")
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": ns}}
    with pytest.raises(kubernetes.dynamic.exceptions.BadRequestError) as error:
        configmaps.server_side_apply(body=body, namespace=ns)
    assert "fieldManager" in str(error.value.body)


# -- deployments: defaults, status, scale ------------------------------------------------------

def test_deployment_defaults_and_generation(apps, ns):
    created = apps.create_namespaced_deployment(ns, deployment("web"))
    assert created.spec.replicas == 1 and created.metadata.generation == 1
    current = apps.read_namespaced_deployment("web", ns)  # the deployment controller has written status since
    current.spec.replicas = 2
    updated = apps.replace_namespaced_deployment("web", ns, current)
    assert updated.spec.replicas == 2 and updated.metadata.generation == 2


def test_deployment_status_subresource(apps, ns):
    apps.create_namespaced_deployment(ns, deployment("web", replicas=0))
    patched = apps.patch_namespaced_deployment_status("web", ns, {"status": {"observedGeneration": 42}},
                                                      _content_type="application/merge-patch+json")
    assert patched.status.observed_generation == 42 and patched.spec.replicas == 0
    # a main-resource write cannot touch status (the deployment controller owns it from here on)
    current = apps.read_namespaced_deployment("web", ns)
    current.status.observed_generation = 7
    assert apps.replace_namespaced_deployment("web", ns, current).status.observed_generation != 7


def test_deployment_scale_subresource(apps, ns):
    apps.create_namespaced_deployment(ns, deployment("web", replicas=0))
    scale = apps.read_namespaced_deployment_scale("web", ns)
    assert scale.spec.replicas == 0 and scale.status.selector == "app=web"
    scale.spec.replicas = 3
    assert apps.replace_namespaced_deployment_scale("web", ns, scale).spec.replicas == 3
    patched = apps.patch_namespaced_deployment_scale("web", ns, {"spec": {"replicas": 2}},
                                                     _content_type="application/merge-patch+json")
    assert patched.spec.replicas == 2
    assert apps.read_namespaced_deployment("web", ns).spec.replicas == 2


# -- deletion --------------------------------------------------------------------------------

def test_delete_cascades_along_owner_references(core, ns):
    owner = core.create_namespaced_config_map(ns, {"metadata": {"name": "owner"}})
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner.metadata.uid}
    child = core.create_namespaced_config_map(ns, {"metadata": {"name": "child", "ownerReferences": [ref]}})
    grandchild_ref = {**ref, "name": "child", "uid": child.metadata.uid}
    core.create_namespaced_config_map(ns, {"metadata": {"name": "grandchild", "ownerReferences": [grandchild_ref]}})
    core.create_namespaced_config_map(ns, {"metadata": {"name": "bystander"}})
    core.delete_namespaced_config_map("owner", ns)
    assert [c.metadata.name for c in core.list_namespaced_config_map(ns).items] == ["bystander"]


def test_namespace_delete_takes_its_content(cluster, core, apps, ns):
    core.create_namespaced_config_map(ns, {"metadata": {"name": "cfg"}})
    apps.create_namespaced_deployment(ns, deployment("web", replicas=2))
    cluster.clock.advance(1)
    assert len(core.list_namespaced_pod(ns).items) == 2
    core.delete_namespace(ns)
    assert not list(cluster.store.kinds_in(ns))
    with pytest.raises(ApiException) as error:
        core.read_namespace(ns)
    assert error.value.status == 404


# -- protocol errors and auth ------------------------------------------------------------------

def test_bad_requests(cluster):
    headers = {"Authorization": f"Bearer {cluster.token}"}
    with httpx.Client(base_url=cluster.server_url, headers=headers, verify=trust(cluster)) as http:
        unknown = http.get("/api/v1/widgets")
        assert unknown.status_code == 404
        assert unknown.json()["message"] == "the server could not find the requested resource"
        garbage = http.post("/api/v1/namespaces/default/configmaps", content=b"{not json",
                            headers={"Content-Type": "application/json"})
        assert garbage.status_code == 400 and "not valid JSON" in garbage.json()["message"]
        assert http.post("/api/v1/namespaces/default/configmaps/x").status_code == 405


def test_requests_without_the_token_are_401(cluster):
    response = httpx.get(f"{cluster.server_url}/api/v1/namespaces", verify=trust(cluster))
    assert response.status_code == 401
    assert response.json()["kind"] == "Status" and response.json()["reason"] == "Unauthorized"
    wrong = httpx.get(f"{cluster.server_url}/api/v1/namespaces", verify=trust(cluster),
                      headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401

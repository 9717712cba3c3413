"""Server-side apply with managedFields, and fieldValidation, through the official client: who owns
what, conflicts without force (worded as kube-apiserver words them), fields dropped from a re-applied
manifest, keyed lists merged by their merge keys, and Strict / Warn / Ignore for unknown fields of
built-in kinds and of the BudAIScaler CRD."""

from __future__ import annotations

import json
import ssl

import httpx
import pytest
from kubernetes.client import ApiException
from kubernetes.dynamic import DynamicClient

GROUP, VERSION, PLURAL = "scaler.bud.studio", "v1alpha1", "budaiscalers"


@pytest.fixture
def ns(fresh_namespace):
    return fresh_namespace("apply")


@pytest.fixture(scope="module")
def dynamic(api_client, tmp_path_factory):
    return DynamicClient(api_client, cache_file=str(tmp_path_factory.mktemp("discovery") / "cache.json"))


@pytest.fixture(scope="module")
def deployments(dynamic):
    return dynamic.resources.get(api_version="apps/v1", kind="Deployment")


@pytest.fixture(scope="module")
def configmaps(dynamic):
    return dynamic.resources.get(api_version="v1", kind="ConfigMap")


def deployment(ns: str, replicas: int | None = None, containers: list[dict] | None = None) -> dict:
    spec = {"selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                         "spec": {"containers": containers or [{"name": "app", "image": "example.invalid/app:1"}]}}}
    if replicas is not None:
        spec["replicas"] = replicas
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": ns}, "spec": spec}


def managers(obj) -> dict[tuple[str, str], dict]:
    entries = obj.metadata.managedFields if hasattr(obj.metadata, "managedFields") else obj.metadata.managed_fields
    return {(e["manager"], e["operation"]): e for e in (e.to_dict() if hasattr(e, "to_dict") else e for e in entries)}


def conflict_message(error: ApiException) -> str:
    assert error.status == 409, error.body
    return json.loads(error.body)["message"]


# -- managedFields -----------------------------------------------------------------------------

def test_a_create_records_its_manager_and_the_fields_it_set(core, ns):
    created = core.create_namespaced_config_map(ns, {"metadata": {"name": "c", "labels": {"a": "1"}},
                                                     "data": {"k": "v"}}, field_manager="creator")
    [entry] = created.metadata.managed_fields
    assert (entry.manager, entry.operation, entry.api_version, entry.fields_type) == \
        ("creator", "Update", "v1", "FieldsV1")
    assert entry.fields_v1 == {"f:data": {"f:k": {}}, "f:metadata": {"f:labels": {"f:a": {}}}}


def test_an_apply_owns_exactly_what_it_sets_with_keyed_lists_by_their_keys(deployments, ns):
    applied = deployments.server_side_apply(body=deployment(ns, replicas=2), namespace=ns, field_manager="ci")
    fields = managers(applied)[("ci", "Apply")]["fieldsV1"]
    assert fields["f:spec"]["f:replicas"] == {}
    container = fields["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"app"}']
    assert container == {".": {}, "f:image": {}, "f:name": {}}
    assert "f:strategy" not in fields["f:spec"], "defaults are not the applier's"


def test_a_conflict_without_force_is_409_naming_the_manager_and_the_field(deployments, ns):
    deployments.server_side_apply(body=deployment(ns, replicas=2), namespace=ns, field_manager="ci")
    with pytest.raises(ApiException) as error:
        deployments.server_side_apply(body=deployment(ns, replicas=3), namespace=ns, field_manager="autoscaler")
    assert conflict_message(error.value) == 'Apply failed with 1 conflict: conflict with "ci": .spec.replicas'
    cause = json.loads(error.value.body)["details"]["causes"][0]
    assert cause == {"type": "FieldManagerConflict", "message": 'conflict with "ci"', "field": ".spec.replicas"}

    same = deployments.server_side_apply(body=deployment(ns, replicas=2), namespace=ns, field_manager="autoscaler")
    assert same.spec.replicas == 2, "applying the same value is no conflict: the field is shared"
    forced = deployments.server_side_apply(body=deployment(ns, replicas=3), namespace=ns, field_manager="autoscaler",
                                           force_conflicts=True)
    assert forced.spec.replicas == 3
    assert "f:replicas" not in managers(forced)[("ci", "Apply")]["fieldsV1"]["f:spec"], "force takes the field over"


def test_conflicts_with_an_update_manager_name_its_api_version_and_time(apps, deployments, ns):
    deployments.server_side_apply(body=deployment(ns, replicas=2), namespace=ns, field_manager="ci")
    apps.patch_namespaced_deployment("web", ns, {"spec": {"replicas": 4}}, field_manager="kubectl-edit")
    with pytest.raises(ApiException) as error:
        deployments.server_side_apply(body=deployment(ns, replicas=2), namespace=ns, field_manager="ci")
    assert conflict_message(error.value) == ('Apply failed with 1 conflict: conflict with "kubectl-edit" using '
                                             'apps/v1 at 2026-01-05T10:00:00Z: .spec.replicas')


def test_several_conflicts_are_listed_by_manager(deployments, ns):
    deployments.server_side_apply(body=deployment(ns, replicas=2), namespace=ns, field_manager="ci")
    other = deployment(ns, replicas=5, containers=[{"name": "app", "image": "example.invalid/app:2"}])
    with pytest.raises(ApiException) as error:
        deployments.server_side_apply(body=other, namespace=ns, field_manager="rollout")
    assert conflict_message(error.value) == (
        'Apply failed with 2 conflicts: conflicts with "ci":\n- .spec.replicas\n'
        '- .spec.template.spec.containers[name="app"].image')


def test_fields_dropped_from_a_reapplied_manifest_go_unless_another_manager_owns_them(configmaps, ns):
    def body(**data: str) -> dict:
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": ns}, "data": data}

    configmaps.server_side_apply(body=body(a="1", b="2", c="3"), namespace=ns, field_manager="first")
    configmaps.server_side_apply(body=body(c="3"), namespace=ns, field_manager="second")
    reapplied = configmaps.server_side_apply(body=body(a="1"), namespace=ns, field_manager="first")
    assert reapplied.data.to_dict() == {"a": "1", "c": "3"}, "b went; c stays, the second manager owns it too"


def test_keyed_list_items_of_two_managers_merge_and_one_drops_only_its_own(deployments, ns):
    deployments.server_side_apply(body=deployment(ns), namespace=ns, field_manager="app-team")
    sidecar = deployment(ns, containers=[{"name": "proxy", "image": "example.invalid/proxy:1"}])
    both = deployments.server_side_apply(body=sidecar, namespace=ns, field_manager="mesh")
    assert [c.name for c in both.spec.template.spec.containers] == ["app", "proxy"]
    left = deployments.server_side_apply(body=deployment(ns), namespace=ns, field_manager="mesh")
    assert [c.name for c in left.spec.template.spec.containers] == ["app"], "the mesh's container went with it"


# -- fieldValidation ---------------------------------------------------------------------------

def scaler(name: str, **extra) -> dict:
    spec = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "llm"}, "maxReplicas": 5,
            "metricsSources": [{"metricSourceType": "pod", "targetMetric": "gpu_cache_usage_perc",
                                "targetValue": "70", **extra}]}
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "BudAIScaler", "metadata": {"name": name},
            "spec": {**spec, "madeUp": True}}


def test_strict_rejects_unknown_fields_of_a_custom_object_naming_them(custom, ns):
    with pytest.raises(ApiException) as error:
        custom.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, scaler("s", bogus=1),
                                               field_validation="Strict")
    assert error.value.status == 400
    assert json.loads(error.value.body)["message"] == (
        'BudAIScaler in version "v1alpha1" cannot be handled as a BudAIScaler: strict decoding error: '
        'unknown field "spec.metricsSources[0].bogus", unknown field "spec.madeUp"')
    with pytest.raises(ApiException):
        custom.get_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "s")


def http(cluster) -> httpx.Client:
    """Raw HTTP: the typed client would refuse an unknown field itself, and drops Warning headers."""
    return httpx.Client(base_url=cluster.server_url, verify=ssl.create_default_context(cafile=str(cluster.ca_path)),
                        headers={"Authorization": f"Bearer {cluster.token}"})


def test_strict_rejects_unknown_fields_of_a_built_in_object(cluster, apps, ns):
    body = deployment(ns)
    body["spec"]["template"]["spec"]["containers"][0]["imagePullPolice"] = "Always"
    with http(cluster) as client:
        reply = client.post(f"/apis/apps/v1/namespaces/{ns}/deployments", params={"fieldValidation": "Strict"},
                            json=body)
    assert reply.status_code == 400 and reply.json()["message"] == (
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: '
        'unknown field "spec.template.spec.containers[0].imagePullPolice"')
    assert apps.list_namespaced_deployment(ns).items == []


def test_warn_and_ignore_store_the_object_without_the_unknown_fields(cluster, ns):
    path = f"/apis/{GROUP}/{VERSION}/namespaces/{ns}/{PLURAL}"
    with http(cluster) as client:
        warned = client.post(path, json=scaler("warned"))  # Warn is the default
        ignored = client.post(path, params={"fieldValidation": "Ignore"}, json=scaler("ignored"))
        bad = client.post(path, params={"fieldValidation": "Loose"}, json=scaler("bad"))
    assert warned.status_code == 201 and "madeUp" not in warned.json()["spec"]
    assert warned.headers.get_list("Warning") == ['299 - "unknown field \\"spec.madeUp\\""']
    assert ignored.status_code == 201 and "warning" not in ignored.headers
    assert bad.status_code == 400 and "fieldValidation: Unsupported value" in bad.json()["message"]


def test_the_official_client_sees_the_warning_header_for_an_unknown_field(custom, ns):
    created, status, headers = custom.create_namespaced_custom_object_with_http_info(
        GROUP, VERSION, ns, PLURAL, scaler("warned-typed"), field_validation="Warn")
    assert status == 201 and "madeUp" not in created["spec"], created
    assert headers.get("Warning") == '299 - "unknown field \\"spec.madeUp\\""', dict(headers)

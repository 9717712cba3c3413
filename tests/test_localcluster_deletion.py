"""Deletion as Kubernetes does it, through the official client: finalizers hold an object, a deleted
namespace goes Terminating until its content (a BudAIScaler's finalizer included) is gone, and the
garbage collector follows the propagation policy (background, foreground, orphan)."""

from __future__ import annotations

import json

import pytest
from kubernetes.client import ApiException

GROUP, VERSION, PLURAL = "scaler.bud.studio", "v1alpha1", "budaiscalers"
SCALER_FINALIZER = "scaler.bud.studio/finalizer"
HOLD = "example.com/hold"


@pytest.fixture
def ns(fresh_namespace):
    return fresh_namespace("deletion")


def configmap(core, ns: str, name: str, finalizers: list[str] | None = None, owner=None) -> object:
    meta = {"name": name, "finalizers": finalizers or []}
    if owner is not None:
        meta["ownerReferences"] = [{"apiVersion": "v1", "kind": "ConfigMap", "name": owner.metadata.name,
                                    "uid": owner.metadata.uid, "blockOwnerDeletion": True}]
    return core.create_namespaced_config_map(ns, {"metadata": meta})


def exists(core, ns: str, name: str) -> bool:
    try:
        core.read_namespaced_config_map(name, ns)
        return True
    except ApiException as error:
        if error.status == 404:
            return False
        raise


def release(core, ns: str, name: str, finalizer: str = HOLD) -> None:
    current = core.read_namespaced_config_map(name, ns)
    kept = [f for f in current.metadata.finalizers or [] if f != finalizer]
    core.patch_namespaced_config_map(name, ns, {"metadata": {"finalizers": kept or None}})


# -- finalizers ------------------------------------------------------------------------------

def test_a_finalizer_holds_a_deleted_object_until_it_is_removed(core, ns):
    configmap(core, ns, "held", [HOLD])
    core.delete_namespaced_config_map("held", ns)
    held = core.read_namespaced_config_map("held", ns)
    assert held.metadata.deletion_timestamp is not None and held.metadata.finalizers == [HOLD]
    core.delete_namespaced_config_map("held", ns)  # deleting again changes nothing
    assert exists(core, ns, "held")
    release(core, ns, "held")
    assert not exists(core, ns, "held"), "the last finalizer gone, the object goes"


def test_no_new_finalizer_on_an_object_being_deleted(core, ns):
    configmap(core, ns, "held", [HOLD])
    core.delete_namespaced_config_map("held", ns)
    with pytest.raises(ApiException) as error:
        core.patch_namespaced_config_map("held", ns, {"metadata": {"finalizers": [HOLD, "example.com/more"]}})
    assert error.value.status == 422
    assert "no new finalizers can be added if the object is being deleted" in json.loads(error.value.body)["message"]


# -- namespaces ------------------------------------------------------------------------------

def scaler(name: str) -> dict:
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "BudAIScaler",
            "metadata": {"name": name, "finalizers": [SCALER_FINALIZER]},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "llm"},
                     "maxReplicas": 5, "metricsSources": [{"metricSourceType": "pod",
                                                           "targetMetric": "gpu_cache_usage_perc",
                                                           "targetValue": "70"}]}}


def test_a_scalers_finalizer_holds_its_namespace_in_terminating(core, custom, ns):
    custom.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, scaler("s"))
    configmap(core, ns, "plain")
    core.delete_namespace(ns)

    namespace = core.read_namespace(ns)
    assert namespace.status.phase == "Terminating" and namespace.metadata.deletion_timestamp is not None
    assert namespace.spec.finalizers == ["kubernetes"]
    conditions = {c.type: c for c in namespace.status.conditions}
    assert conditions["NamespaceContentRemaining"].message == \
        "Some resources are remaining: budaiscalers.scaler.bud.studio has 1 resource instances"
    assert conditions["NamespaceFinalizersRemaining"].message == \
        f"Some content in the namespace has finalizers remaining: {SCALER_FINALIZER} in 1 resource instances"
    assert not exists(core, ns, "plain"), "content without finalizers goes at once"
    held = custom.get_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "s")
    assert held["metadata"]["deletionTimestamp"]
    with pytest.raises(ApiException) as forbidden:
        configmap(core, ns, "late")
    assert forbidden.value.status == 403 and "because it is being terminated" in forbidden.value.body

    custom.patch_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "s", {"metadata": {"finalizers": None}})
    with pytest.raises(ApiException) as gone:
        core.read_namespace(ns)
    assert gone.value.status == 404, "the scaler's finalizer removed, the namespace finishes terminating"


def test_an_empty_namespace_goes_at_once(core, fresh_namespace):
    name = fresh_namespace("deletion-empty")
    core.delete_namespace(name)
    assert name not in [n.metadata.name for n in core.list_namespace().items]


# -- propagation -------------------------------------------------------------------------------

def test_background_deletes_the_owner_at_once_and_collects_its_dependents(core, ns):
    owner = configmap(core, ns, "owner")
    configmap(core, ns, "free", owner=owner)
    configmap(core, ns, "held", [HOLD], owner=owner)
    core.delete_namespaced_config_map("owner", ns, propagation_policy="Background")
    assert not exists(core, ns, "owner") and not exists(core, ns, "free")
    assert core.read_namespaced_config_map("held", ns).metadata.deletion_timestamp is not None


def test_foreground_holds_the_owner_until_its_blocking_dependents_are_gone(core, ns):
    owner = configmap(core, ns, "owner")
    configmap(core, ns, "held", [HOLD], owner=owner)
    core.delete_namespaced_config_map("owner", ns, propagation_policy="Foreground")
    waiting = core.read_namespaced_config_map("owner", ns)
    assert waiting.metadata.deletion_timestamp is not None and waiting.metadata.finalizers == ["foregroundDeletion"]
    assert core.read_namespaced_config_map("held", ns).metadata.deletion_timestamp is not None
    release(core, ns, "held")
    assert not exists(core, ns, "held") and not exists(core, ns, "owner")


def test_orphan_keeps_the_dependents_without_their_owner(core, ns):
    owner = configmap(core, ns, "owner")
    configmap(core, ns, "child", owner=owner)
    core.delete_namespaced_config_map("owner", ns, propagation_policy="Orphan")
    assert not exists(core, ns, "owner")
    assert core.read_namespaced_config_map("child", ns).metadata.owner_references is None


def test_foreground_deletion_of_a_deployment_takes_its_replica_sets_and_pods_first(core, ns, apps):
    labels = {"app": "web"}
    apps.create_namespaced_deployment(ns, {"metadata": {"name": "web"}, "spec": {
        "replicas": 2, "selector": {"matchLabels": labels},
        "template": {"metadata": {"labels": labels},
                     "spec": {"containers": [{"name": "c", "image": "example.invalid/app:1"}]}}}})
    apps.delete_namespaced_deployment("web", ns, propagation_policy="Foreground")
    assert apps.list_namespaced_deployment(ns).items == []
    assert apps.list_namespaced_replica_set(ns).items == [] and core.list_namespaced_pod(ns).items == []


def test_an_unknown_propagation_policy_is_400(core, ns):
    configmap(core, ns, "c")
    with pytest.raises(ApiException) as error:
        core.delete_namespaced_config_map("c", ns, propagation_policy="Sideways")
    assert error.value.status == 400 and "propagationPolicy: Unsupported value" in error.value.body

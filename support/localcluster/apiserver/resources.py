"""The resource registry: which REST resources the embedded API server serves.

Built-in resources are fixed. Custom resources are served only while their
CustomResourceDefinition object exists in the store, exactly like a real API
server, so deleting `budaiscalers.scaler.bud.studio` makes `budaiscalers` vanish
from discovery and every path under it answer 404.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

from support.localcluster.store import Store

CRD_KIND = "CustomResourceDefinition"
ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
READ_WRITE_SUB = ("get", "patch", "update")


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    # subresource name -> verbs
    subresources: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False, compare=False)
    crd_name: str | None = None

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def qualified_kind(self) -> str:
        """`BudAIScaler.scaler.bud.studio` for custom kinds (as validation messages name them)."""
        return f"{self.kind}.{self.group}" if self.crd_name else self.kind

    def discovery_entries(self) -> list[dict]:
        main = {"name": self.plural, "singularName": self.singular, "namespaced": self.namespaced,
                "kind": self.kind, "verbs": list(ALL_VERBS)}
        if self.short_names:
            main["shortNames"] = list(self.short_names)
        if self.categories:
            main["categories"] = list(self.categories)
        subs = [{"name": f"{self.plural}/{sub}", "singularName": "", "namespaced": self.namespaced,
                 "kind": _subresource_kind(self, sub), "verbs": list(verbs)}
                for sub, verbs in self.subresources.items()]
        return [main, *subs]


def _subresource_kind(resource: Resource, sub: str) -> str:
    return {"scale": "Scale", "log": "Pod", "proxy": resource.kind}.get(sub, resource.kind)


def _core(plural, singular, kind, namespaced=True, short=(), cats=(), subs=None) -> Resource:
    return Resource("", "v1", plural, singular, kind, namespaced, tuple(short), tuple(cats), subs or {})


BUILTIN: tuple[Resource, ...] = (
    _core("namespaces", "namespace", "Namespace", namespaced=False, short=("ns",),
          subs={"status": READ_WRITE_SUB, "finalize": ("update",)}),
    _core("pods", "pod", "Pod", short=("po",), cats=("all",),
          subs={"status": READ_WRITE_SUB, "log": ("get",),
                "proxy": ("create", "delete", "get", "patch", "update")}),
    _core("services", "service", "Service", short=("svc",), cats=("all",),
          subs={"status": READ_WRITE_SUB, "proxy": ("create", "delete", "get", "patch", "update")}),
    _core("configmaps", "configmap", "ConfigMap", short=("cm",)),
    _core("events", "event", "Event", short=("ev",)),
    Resource("apps", "v1", "deployments", "deployment", "Deployment", True, ("deploy",), ("all",),
             {"status": READ_WRITE_SUB, "scale": READ_WRITE_SUB}),
    Resource("apps", "v1", "replicasets", "replicaset", "ReplicaSet", True, ("rs",), ("all",),
             {"status": READ_WRITE_SUB, "scale": READ_WRITE_SUB}),
    Resource("apps", "v1", "statefulsets", "statefulset", "StatefulSet", True, ("sts",), ("all",),
             {"status": READ_WRITE_SUB, "scale": READ_WRITE_SUB}),
    Resource("autoscaling", "v2", "horizontalpodautoscalers", "horizontalpodautoscaler", "HorizontalPodAutoscaler",
             True, ("hpa",), ("all",), {"status": READ_WRITE_SUB}),
    Resource("apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition",
             CRD_KIND, False, ("crd", "crds"), (), {"status": READ_WRITE_SUB}),
)


_CRD_CACHE: "weakref.WeakKeyDictionary[Store, tuple[int, list[Resource], dict[str, dict]]]" = \
    weakref.WeakKeyDictionary()


def _crds(store: Store) -> tuple[list[Resource], dict[str, dict]]:
    """The served custom resources and the CRDs by name, read again only after a CRD changed.

    Every request routes through here; copying every CRD out of the store per request cost
    more than the rest of the request together.
    """
    version = store.kind_version(CRD_KIND)
    cached = _CRD_CACHE.get(store)
    if cached is None or cached[0] != version:
        crds = store.list(CRD_KIND)
        cached = _CRD_CACHE[store] = (version, _custom_resources(crds),
                                          {c["metadata"]["name"]: c for c in crds})
    return cached[1], cached[2]


def custom_resources(store: Store) -> list[Resource]:
    """One Resource per served version of every CRD in the store."""
    return list(_crds(store)[0])


def _custom_resources(crds: list[dict]) -> list[Resource]:
    found = []
    for crd in crds:
        spec, names = crd.get("spec", {}), crd.get("spec", {}).get("names", {})
        for version in spec.get("versions", []):
            if not version.get("served", True):
                continue
            subs = {"status": READ_WRITE_SUB} if "status" in (version.get("subresources") or {}) else {}
            found.append(Resource(
                spec["group"], version["name"], names["plural"], names.get("singular", names["kind"].lower()),
                names["kind"], spec.get("scope", "Namespaced") == "Namespaced",
                tuple(names.get("shortNames", ())), tuple(names.get("categories", ())), subs,
                crd_name=crd["metadata"]["name"]))
    return found


def served(store: Store) -> list[Resource]:
    return [*BUILTIN, *custom_resources(store)]


def lookup(store: Store, group: str, version: str, plural: str) -> Resource | None:
    for resource in served(store):
        if (resource.group, resource.version, resource.plural) == (group, version, plural):
            return resource
    return None


def crd_version(store: Store, resource: Resource) -> dict:
    """The CRD's `versions[]` entry behind a custom resource ({} for built-ins)."""
    if not resource.crd_name:
        return {}
    crd = _crds(store)[1].get(resource.crd_name) or {}
    for version in crd.get("spec", {}).get("versions", []):
        if version.get("name") == resource.version:
            return version
    return {}


def group_versions(store: Store) -> dict[str, list[str]]:
    """API group -> versions served (core group "" included)."""
    groups: dict[str, list[str]] = {}
    for resource in served(store):
        versions = groups.setdefault(resource.group, [])
        if resource.version not in versions:
            versions.append(resource.version)
    return groups


def resource_list(store: Store, group: str, version: str) -> dict | None:
    """The APIResourceList for /api/v1 or /apis/GROUP/VERSION (None when not served)."""
    entries = [e for r in served(store) if (r.group, r.version) == (group, version) for e in r.discovery_entries()]
    if not entries:
        return None
    return {"kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": f"{group}/{version}" if group else version, "resources": entries}


def api_group(store: Store, group: str) -> dict | None:
    versions = group_versions(store).get(group)
    if not group or not versions:
        return None
    entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": entries,
            "preferredVersion": entries[0]}


def api_group_list(store: Store) -> dict:
    groups = [api_group(store, g) for g in group_versions(store) if g]
    for group in groups:
        group.pop("kind"), group.pop("apiVersion")
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

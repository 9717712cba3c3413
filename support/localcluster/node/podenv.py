"""A container's environment, prepared as the kubelet prepares it before starting it.

Env with `$(VAR)` expansion, fieldRef, configMapKeyRef/secretKeyRef and envFrom
resolved; the files of ConfigMap volume mounts (items, subPath); the ports.
A missing ConfigMap, Secret or key is `ContainerError(CreateContainerConfigError)`,
which the node agent retries, as the kubelet does.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Callable, Protocol

from support.localcluster.node.containers import CONFIG_ERROR, ContainerContext, ContainerError, ProgramClock, expand


class Reader(Protocol):
    """What preparing needs of the cluster (a part of `access.ClusterAccess`)."""

    def get(self, kind: str, namespace: str | None, name: str) -> dict | None: ...


def prepare(access: Reader, pod: dict, container: dict, ip: str, log: Callable[[str], None],
            clock: ProgramClock, seed: int = 0, kubeconfig: Path | None = None) -> ContainerContext:
    """Resolve env, ConfigMap files and ports; ContainerError(CreateContainerConfigError) if one is missing."""
    return ContainerContext(pod=pod, container=container, ip=ip, env=resolve_env(access, pod, container, ip),
                            ports=[p["containerPort"] for p in container.get("ports") or [] if "containerPort" in p],
                            files=mounted_files(access, pod, container), log=log, clock=clock, seed=seed,
                            kubeconfig=kubeconfig)


def resolve_env(store: Reader, pod: dict, container: dict, ip: str) -> dict[str, str]:
    namespace = pod["metadata"].get("namespace", "")
    env = {"HOSTNAME": pod["metadata"]["name"]}
    for source in container.get("envFrom") or []:
        env.update(_env_from(store, namespace, source))
    for var in container.get("env") or []:
        if "valueFrom" in var:
            value = _value_from(store, pod, ip, var["valueFrom"])
        else:
            value = expand(str(var.get("value", "")), env)
        if value is not None:
            env[var["name"]] = value
    return env


def _env_from(store: Reader, namespace: str, source: dict) -> dict[str, str]:
    prefix = source.get("prefix", "")
    if "configMapRef" in source:
        data = _config_data(store, namespace, source["configMapRef"], "ConfigMap")
    elif "secretRef" in source:
        data = _config_data(store, namespace, source["secretRef"], "Secret")
    else:
        data = {}
    return {prefix + key: value for key, value in (data or {}).items()}


def _value_from(store: Reader, pod: dict, ip: str, source: dict) -> str | None:
    namespace = pod["metadata"].get("namespace", "")
    if "fieldRef" in source:
        return _field(pod, ip, source["fieldRef"].get("fieldPath", ""))
    for kind, ref_key in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
        if ref_key in source:
            ref = source[ref_key]
            data = _config_data(store, namespace, ref, kind)
            if data is not None and ref.get("key") in data:
                return data[ref["key"]]
            if not ref.get("optional"):
                raise ContainerError(CONFIG_ERROR, f"couldn't find key {ref.get('key')} in {kind} "
                                                   f"{namespace}/{ref.get('name')}")
            return None
    return None  # resourceFieldRef: no resources here


def _field(pod: dict, ip: str, path: str) -> str:
    meta = pod["metadata"]
    if match := re.fullmatch(r"metadata\.(labels|annotations)\['(.+)'\]", path):
        return (meta.get(match.group(1)) or {}).get(match.group(2), "")
    values = {"metadata.name": meta["name"], "metadata.namespace": meta.get("namespace", ""),
              "metadata.uid": meta.get("uid", ""), "status.podIP": ip, "status.hostIP": ip,
              "spec.nodeName": pod.get("spec", {}).get("nodeName", ""),
              "spec.serviceAccountName": pod.get("spec", {}).get("serviceAccountName", "default")}
    return values.get(path, "")


def _config_data(store: Reader, namespace: str, ref: dict, kind: str = "ConfigMap") -> dict[str, str] | None:
    """The data of a referenced ConfigMap/Secret; None if absent and optional, ContainerError if required."""
    obj = store.get(kind, namespace, ref.get("name", ""))
    if obj is None:
        if ref.get("optional"):
            return None
        raise ContainerError(CONFIG_ERROR, f'{kind.lower()} "{ref.get("name")}" not found')
    if kind == "Secret":
        decoded = {k: base64.b64decode(v).decode() for k, v in (obj.get("data") or {}).items()}
        return {**decoded, **(obj.get("stringData") or {})}
    return dict(obj.get("data") or {})


def mounted_files(store: Reader, pod: dict, container: dict) -> dict[str, str]:
    namespace = pod["metadata"].get("namespace", "")
    volumes = {v.get("name"): v for v in pod.get("spec", {}).get("volumes") or []}
    files: dict[str, str] = {}
    for mount in container.get("volumeMounts") or []:
        source = volumes.get(mount.get("name"), {}).get("configMap")
        if source is None:
            continue  # emptyDir and friends: nothing to project
        data = _config_data(store, namespace, source)
        projected = _project(data or {}, source.get("items"))
        root = mount["mountPath"].rstrip("/")
        if mount.get("subPath"):
            if mount["subPath"] in projected:
                files[mount["mountPath"]] = projected[mount["subPath"]]
        else:
            files.update({f"{root}/{name}": content for name, content in projected.items()})
    return files


def _project(data: dict[str, str], items: list[dict] | None) -> dict[str, str]:
    if not items:
        return dict(data)
    return {item.get("path", item["key"]): data[item["key"]] for item in items if item.get("key") in data}

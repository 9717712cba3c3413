"""What a pod object says, read the way kube-proxy and the endpoints controller read it."""

from __future__ import annotations


def container_port(pod: dict, target: int | str) -> int | None:
    """A Service's target port on this pod: a numeric one as it is, a named one looked up in its containers."""
    if isinstance(target, int) or (isinstance(target, str) and target.isdigit()):
        return int(target)
    for container in (pod.get("spec") or {}).get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name") == target:
                return port.get("containerPort")
    return None

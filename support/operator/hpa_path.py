"""The HPA strategy's path (catalogue §2.3, §2.9): the scaler's `<scaler>-hpa`, made from the model's
mapping, kept in step with the scaler, read back into the scaler's status, and removed.

The HorizontalPodAutoscaler controller of the cluster does the scaling; the scaler only owns the object.
"""

from __future__ import annotations

from typing import Callable, Mapping

from kubernetes.client.exceptions import ApiException

from support.kube.api import HPA, KubeApi, error_message
from support.reference.hpa_mapping import HpaBuildError, hpa_name, updated_hpa
from support.reference.model import Model
from support.reference.status_rules import replicas_running


class HpaError(Exception):
    """The HPA could not be built or written; the text is the scaler's Ready message."""


class HpaPath:
    def __init__(self, api: KubeApi, build: Callable[[Mapping], dict],
                 status_from: Callable[[Mapping | None, int, Model], dict], log: Callable[[str], None]):
        self._api, self._build, self._status_from, self._log = api, build, status_from, log
        self._owned: set[tuple[str, str]] = set()     # scalers this process made or updated an HPA for
        self._checked: set[tuple[str, str]] = set()   # scalers known to have no HPA of theirs

    def reconcile(self, scaler: dict, pods: list[dict], status: dict, model: Model) -> None:
        """Create or update `<scaler>-hpa`, then copy what it says into `status`."""
        meta = scaler["metadata"]
        namespace, name = meta.get("namespace", ""), meta["name"]
        try:
            desired = self._build(scaler)
        except HpaBuildError as error:
            raise HpaError(f"failed to build HPA: {error}") from None
        try:
            existing = self._api.get_or_none(HPA, namespace, hpa_name(name))
            if existing is None:
                current = self._api.create(HPA, namespace, desired)
            else:
                wanted = updated_hpa(existing, desired)
                current = existing if wanted == existing else self._api.replace(HPA, namespace, hpa_name(name), wanted)
        except ApiException as error:
            raise HpaError(f"failed to reconcile HPA: {error_message(error)}") from None
        self._owned.add((namespace, name))
        status.update(self._status_from(current.get("status"), replicas_running(pods), model))

    def release(self, namespace: str, name: str, model: Model) -> None:
        """The scaler does not use the HPA strategy: an HPA it made earlier goes (contract), so two controllers
        do not scale one target. Checked once per scaler in this process, then only after it made one.
        As built the HPA stays (quirk hpa-kept-after-strategy-change)."""
        key = (namespace, name)
        if model.has("hpa-kept-after-strategy-change") or (key in self._checked and key not in self._owned):
            return
        self.delete(namespace, name)
        self._owned.discard(key)
        self._checked.add(key)

    def forget(self, namespace: str, name: str) -> None:
        self._owned.discard((namespace, name))
        self._checked.discard((namespace, name))

    def delete(self, namespace: str, name: str) -> None:
        """Delete `<scaler>-hpa` (§2.9); NotFound is fine."""
        try:
            self._api.delete(HPA, namespace, hpa_name(name))
        except ApiException as error:
            if error.status != 404:
                self._log(f"{namespace}/{name}: HPA not deleted: {error_message(error)}")

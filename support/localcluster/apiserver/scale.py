"""The /scale subresource (autoscaling/v1 Scale) of the workload kinds that have one."""

from __future__ import annotations

import copy
import json
from typing import Callable

from support.localcluster.apiserver.request import Request, Response, Target, parse_body
from support.localcluster.apiserver.selectors import selector_string
from support.localcluster.apiserver.writes import Writes
from support.localcluster.errors import ApiError, bad_request


class Scales:
    def __init__(self, writes: Writes, fetch: Callable[[Target], dict]):
        self._writes, self._fetch = writes, fetch

    def get(self, request: Request, target: Target) -> Response:
        return Response.json(200, self.scale_of(target, self._fetch(target)))

    def put(self, request: Request, target: Target) -> Response:
        scale = parse_body(request.body)
        if not isinstance(scale, dict):
            raise bad_request("the body must be a Scale object")
        return self.write(request, target, self._fetch(target), scale)

    def write(self, request: Request, target: Target, current: dict, scale: dict) -> Response:
        replicas = (scale.get("spec") or {}).get("replicas", 0)
        if isinstance(replicas, int) and not isinstance(replicas, bool) and not -2**31 <= replicas < 2**31:
            raise bad_request(f'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal number '
                              f"{replicas} into Go struct field ScaleSpec.spec.replicas of type int32")
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise ApiError(422, "Invalid", f'Scale.autoscaling "{target.name}" is invalid: spec.replicas: '
                                           f"Invalid value: {json.dumps(replicas)}: must be greater than or equal to 0")
        scaled = copy.deepcopy(current)  # `current` is the stored object: read-only
        sent_version = (scale.get("metadata") or {}).get("resourceVersion")
        if sent_version:
            scaled["metadata"]["resourceVersion"] = sent_version
        scaled.setdefault("spec", {})["replicas"] = replicas
        self._writes.record(request, target, current, scaled, "scale")
        return Response.json(200, self.scale_of(target, self._writes.update(target, scaled)))

    @staticmethod
    def scale_of(target: Target, obj: dict) -> dict:
        meta = obj["metadata"]
        return {"kind": "Scale", "apiVersion": "autoscaling/v1",
                "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                             if k in meta},
                "spec": {"replicas": obj.get("spec", {}).get("replicas", 0)},
                "status": {"replicas": obj.get("status", {}).get("replicas", 0),
                           "selector": selector_string(obj.get("spec", {}).get("selector"))}}

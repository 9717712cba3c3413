"""What the API server's handlers take and give: a parsed HTTP request, a response, the
resource path it names, and the errors every handler may raise."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import yaml

from support.localcluster.apiserver.resources import Resource
from support.localcluster.apiserver.watch import WatchStream
from support.localcluster.errors import ApiError, bad_request

JSON = "application/json"
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # apply bodies: libyaml is ~20x faster


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    raw_query: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""


@dataclass
class Response:
    code: int
    body: bytes
    content_type: str = JSON
    headers: list[tuple[str, str]] = field(default_factory=list)  # extra headers, e.g. Warning

    @classmethod
    def json(cls, code: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> "Response":
        return cls(code, json.dumps(payload).encode(), JSON, headers or [])


@dataclass
class Streaming:
    """A watch: the HTTP layer writes its events as chunks until it ends."""

    stream: WatchStream
    code: int = 200
    content_type: str = JSON


@dataclass
class Target:
    """What a resource path names: /apis/G/V[/namespaces/NS]/PLURAL[/NAME[/SUB[/REST...]]]."""

    resource: Resource
    namespace: str | None
    name: str | None
    sub: str | None
    rest: str  # proxy path after SUB, with its leading slash


def not_found_path() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource")


def method_not_allowed() -> ApiError:
    return ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


def resource_ref(resource: Resource) -> str:
    """`configmaps`, `deployments.apps`, `budaiscalers.scaler.bud.studio` (how messages name resources)."""
    return f"{resource.plural}.{resource.group}" if resource.group else resource.plural


def object_not_found(resource: Resource, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{resource_ref(resource)} "{name}" not found')


def parse_body(body: bytes, yaml_ok: bool = False) -> Any:
    if not body:
        raise bad_request("the request body is empty")
    try:
        return yaml.load(body, Loader=_YAML_LOADER) if yaml_ok else json.loads(body)
    except (ValueError, yaml.YAMLError) as error:
        kind = "YAML" if yaml_ok else "JSON"
        raise bad_request(f"the request body is not valid {kind}: {error}") from None


def is_watch(request: Request) -> bool:
    return request.query.get("watch", "").lower() in ("true", "1")


def wants_table(request: Request) -> bool:
    return "as=Table" in request.headers.get("accept", "")

"""Where the mock workloads' images come from, for clusters that cannot pull from Docker Hub or GHCR (audit item 8).

    -D image_registry=registry.example.com/mirror   every image from that registry instead:
                                                     python:3.11-slim -> registry.example.com/mirror/python:3.11-slim
                                                     ghcr.io/llm-d/sim:v1 -> registry.example.com/mirror/llm-d/sim:v1
    -D image_map=images.yaml                         a YAML mapping of image -> image, which wins over the registry

Leaving both out keeps the manifests' images (the embedded cluster and the project's control plane
run them by name).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import yaml


class ImageSettingError(ValueError):
    """The image mapping cannot be used; the message says how to fix it."""


@dataclass(frozen=True)
class ImageSource:
    registry: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.registry or self.mapping)

    def resolve(self, image: str) -> str:
        if image in self.mapping:
            return self.mapping[image]
        if self.registry:
            return f"{self.registry.rstrip('/')}/{without_registry(image)}"
        return image

    def rewrite(self, objects: list[dict]) -> list[dict]:
        """Point every container of every pod template (and bare pod) at its resolved image, in place."""
        if self:
            for container in _containers(objects):
                if container.get("image"):
                    container["image"] = self.resolve(container["image"])
        return objects


def without_registry(image: str) -> str:
    """The image's path without its registry host (Docker Hub images have none)."""
    first, _, rest = image.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return rest
    return image


def load_mapping(path: str | Path) -> dict[str, str]:
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text())
    except OSError as error:
        raise ImageSettingError(f"-D image_map={path}: cannot read it ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise ImageSettingError(f"-D image_map={path} is not YAML: {error}") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise ImageSettingError(f"-D image_map={path} must be a mapping of image to image, "
                                "e.g. 'python:3.11-slim: registry.example.com/python:3.11-slim'")
    return data


def _containers(objects: list[dict]) -> Iterator[dict]:
    for obj in objects:
        spec = obj.get("spec") or {}
        pod_spec = spec if obj.get("kind") == "Pod" else ((spec.get("template") or {}).get("spec") or {})
        for key in ("initContainers", "containers"):
            yield from pod_spec.get(key) or []

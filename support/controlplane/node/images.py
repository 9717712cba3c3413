"""How the node agent runs an image: there is no container engine, so each image maps to a program.

- the BudAIScaler controller image runs the reference operator, `python -m support.reference.operator`
  with the container's args (its in-cluster credentials are the pod's service-account token);
- python:* images and the images the embedded cluster emulates (the llm-d inference simulator)
  run through the embedded cluster's container runner, inside the container process;
- any other image cannot run: ErrImagePull with the list of what can.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from support.localcluster.node import containers as runner
from support.localcluster.node.images import emulated

CONTROLLER_IMAGE = "ghcr.io/budecosystem/budaiscaler"
OPERATOR_MODULE = "support.reference.operator"


@dataclass(frozen=True)
class HowToRun:
    command: list[str] | None  # exec this; None: the container runner, in process


def _repository(image: str) -> str:
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return name.rsplit(":", 1)[0] if ":" in last else name


def resolve(image: str, container: dict) -> HowToRun:
    if _repository(image) == CONTROLLER_IMAGE:
        return HowToRun([sys.executable, "-m", OPERATOR_MODULE, *(container.get("args") or [])])
    registry = emulated()
    if registry.runner_for(image) is not None or runner.is_python_image(image):
        return HowToRun(None)
    raise runner.ContainerError(runner.IMAGE_ERROR, f'the budaiscaler-spec node agent cannot run image "{image}": '
                                                    f"it runs {CONTROLLER_IMAGE} (the reference operator), python:* "
                                                    "programs mounted from ConfigMaps and the emulated images "
                                                    + ", ".join(registry.names()))

"""The embedded cluster's controller image: the reference operator, in-process.

The controller Deployment `budaiscaler-system/budaiscaler-controller-manager`
runs image `ghcr.io/budecosystem/budaiscaler`; this runner is what the node
starts for it. The operator it starts is an ordinary API client: it reaches
the cluster over HTTPS with the credentials of the kubeconfig the embedded
cluster generated, on the cluster's VirtualClock. Deleting the pod stops it and
its memory is gone, as on a real cluster.

`operator_image(behaviour_for)` builds the runner; the cluster's wiring puts
`image()` in its ImageRegistry: the shipped build, unless `register()` chose
another (the mutation tests run a deliberately broken behaviour that way, as
one would push another image).
"""

from __future__ import annotations

from typing import Callable

from support.localcluster.node.containers import ContainerContext, Runner
from support.kube.api import KubeApi
from support.kube.retry import client_from_kubeconfig
from support.operator import Behaviour, Operator, behaviour_named
from support.operator.services import api_endpoints
from support.reference.model import model_named

IMAGE = "ghcr.io/budecosystem/budaiscaler"
BehaviourFor = Callable[[str], Behaviour]  # model name -> behaviour
ApiFor = Callable[[object], KubeApi]  # official ApiClient -> the operator's API client


class _RunningOperator:
    def __init__(self, operator: Operator):
        self._operator = operator

    def stop(self) -> None:
        self._operator.stop()


def operator_image(behaviour_for: BehaviourFor = behaviour_named,
                   api_for: ApiFor = KubeApi) -> Callable[[ContainerContext], _RunningOperator]:
    """The container runner: `--model=` from the container args picks the model, `--quirks=a,b` its quirks."""
    def run(ctx: ContainerContext) -> _RunningOperator:
        model = _arg(ctx.args, "--model") or "contract"
        behaviour = behaviour_for(model)
        quirks = _arg(ctx.args, "--quirks")
        if quirks is not None:
            behaviour = behaviour.with_model(model_named(model, [q for q in quirks.split(",") if q]))
        api_client = client_from_kubeconfig(str(ctx.kubeconfig))
        # no cluster DNS here: Service names (the DCGM exporter's) are found through the API
        operator = Operator(api_for(api_client), ctx.clock, behaviour, log=ctx.log, services=api_endpoints)
        operator.start()
        return _RunningOperator(operator)
    return run


def _arg(args, name: str) -> str | None:
    return next((a.split("=", 1)[1] for a in args if a.startswith(name + "=")), None)


_build: Runner | None = None


def register(behaviour_for: BehaviourFor = behaviour_named, api_for: ApiFor = KubeApi) -> None:
    """The build embedded clusters started from now on run for the controller image."""
    global _build
    _build = operator_image(behaviour_for, api_for)


def image() -> Runner:
    """The build of the controller image a new embedded cluster wires in (the shipped one by default)."""
    return _build or operator_image()

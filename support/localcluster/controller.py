"""The embedded cluster's controller image: the reference operator, in-process.

The controller Deployment `budaiscaler-system/budaiscaler-controller-manager`
runs image `ghcr.io/budecosystem/budaiscaler`; this runner is what the node
starts for it. The operator it starts is an ordinary API client: it reaches
the cluster over HTTPS with the credentials of the kubeconfig the embedded
cluster generated, on the cluster's VirtualClock. Deleting the pod stops it and
its memory is gone, as on a real cluster.

`operator_image(behaviour_for)` builds the runner; the wiring registers the
shipped one, and the mutation tests run a deliberately broken behaviour by
registering another build of the image, as one would push another image.
"""

from __future__ import annotations

from typing import Callable

from kubernetes import config as k8s_config

from support.localcluster.containers import ContainerContext, register_image, runner_for
from support.kube.api import KubeApi
from support.operator import Behaviour, Operator, behaviour_named

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
    """The container runner: `--model=` from the container args picks the model."""
    def run(ctx: ContainerContext) -> _RunningOperator:
        model = next((a.split("=", 1)[1] for a in ctx.args if a.startswith("--model=")), "contract")
        api_client = k8s_config.new_client_from_config(config_file=str(ctx.cluster.kubeconfig_path),
                                                       persist_config=False)
        operator = Operator(api_for(api_client), ctx.clock, behaviour_for(model), log=ctx.log)
        operator.start()
        return _RunningOperator(operator)
    return run


def register(behaviour_for: BehaviourFor = behaviour_named, api_for: ApiFor = KubeApi) -> None:
    register_image(IMAGE, operator_image(behaviour_for, api_for))

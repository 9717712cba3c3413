"""One pod on the node: its network namespace, container processes, probes and status.

`start()` gives the pod its address and namespace, prepares each container as the kubelet
would (env, ConfigMap and projected files, through the embedded cluster's `prepare`) and
starts it; the status written to the API follows the containers: waiting, running,
terminated, restarted per restartPolicy, Ready when the readiness probes pass.
`terminate(grace)` is graceful deletion: SIGTERM, up to `grace` seconds, then SIGKILL.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from support.controlplane import network
from support.controlplane.node import images
from support.controlplane.node.probes import Prober, ProbeSpec
from support.controlplane.node.supervisor import ContainerProcess, Exit
from support.clock import RealClock
from support.localcluster.node import containers as runner
from support.localcluster.node import podenv

MAX_BACKOFF = 60.0


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class ContainerState:
    def __init__(self, spec: dict):
        self.spec = spec
        self.state: dict = {"waiting": {"reason": "ContainerCreating"}}
        self.last_state: dict = {}
        self.restarts = 0
        self.ready = False
        self.process: ContainerProcess | None = None
        self.probers: list[Prober] = []

    def status(self) -> dict:
        has_readiness = bool(self.spec.get("readinessProbe"))
        running = "running" in self.state
        return {"name": self.spec["name"], "image": self.spec.get("image", ""), "imageID": "",
                "containerID": f"budspec://{self.process.pid}" if self.process and self.process.pid else "",
                "ready": running and (self.ready or not has_readiness), "started": running,
                "restartCount": self.restarts, "state": self.state, "lastState": self.last_state}


class PodRuntime:
    def __init__(self, pod: dict, node, write_status: Callable[[dict, dict], None]):
        self.pod = pod
        self.node = node  # the Agent: api, store, addresses, log directory
        self._write_status = write_status
        self.uid = pod["metadata"]["uid"]
        self.network: network.PodNetwork | None = None
        self.containers = [ContainerState(c) for c in pod["spec"].get("containers") or []]
        self.started_at = _now()
        self.terminating = False
        self._lock = threading.RLock()
        self._transitions: dict[str, tuple[bool, str]] = {}  # condition -> (status, since)
        self._publishing = threading.Lock()
        self._looked = self._written = 0

    @property
    def key(self) -> str:
        meta = self.pod["metadata"]
        return f"{meta['namespace']}/{meta['name']}"

    def log_path(self, container: str) -> Path:
        meta = self.pod["metadata"]
        return self.node.log_dir / f"{meta['namespace']}_{meta['name']}_{self.uid}" / f"{container}.log"

    # -- start ------------------------------------------------------------------------------
    def start(self) -> None:
        with self._lock:  # terminate() waits for a start in progress
            if self.terminating:
                return
            address = self.node.addresses.allocate()
            try:
                self.network = network.create_pod_network(self.uid, address, self.pod["metadata"]["namespace"])
            except network.NetworkError:
                self.node.addresses.release(address)
                raise
            self.publish()
            for container in self.containers:
                self._start_container(container)
        self.publish()

    def _start_container(self, container: ContainerState) -> None:
        if self.terminating:
            return
        try:
            spec = self._container_spec(container.spec)
        except runner.ContainerError as error:
            container.state = {"waiting": {"reason": error.reason, "message": error.message}}
            if error.reason == runner.CONFIG_ERROR:  # a ConfigMap or Secret may still appear; an image will not
                self.node.retry_later(self, container)
            return
        container.ready = False
        container.process = ContainerProcess(container.spec["name"], self.network.netns, spec,
                                             self.log_path(container.spec["name"]), self._on_exit(container))
        container.process.start()
        container.state = {"running": {"startedAt": container.process.started_at}}
        container.probers = [Prober(probe, self.network.address, container.spec, self._on_probe(container, probe.kind))
                             .start() for kind in ("readiness", "liveness")
                             if (probe := ProbeSpec.from_container(container.spec, kind))]

    def _container_spec(self, spec: dict) -> dict:
        """What container.py needs: env, files and ports resolved, and how to run the image."""
        how = images.resolve(spec.get("image", ""), spec)
        context = podenv.prepare(self.node.store, self.pod, spec, self.network.address, lambda line: None, RealClock())
        env = {**context.env, **self.node.service_env()}
        files = {**context.files, **self.node.projected_files(self.pod, spec)}
        return {"pod": self.pod, "container": spec, "ip": self.network.address, "env": env,
                "ports": context.ports, "files": files, "exec": how.command, "seed": 0}

    def _on_exit(self, container: ContainerState) -> Callable[[ContainerProcess, Exit], None]:
        def exited(process: ContainerProcess, result: Exit) -> None:
            for prober in container.probers:
                prober.stop()
            with self._lock:
                terminated = {"terminated": {"exitCode": result.code, "reason": result.reason,
                                             "startedAt": result.started_at, "finishedAt": result.finished_at}}
                container.ready = False
                if process.stopping or self.terminating:
                    container.state = terminated
                elif self._restarts(result.code):
                    container.last_state, container.restarts = terminated, container.restarts + 1
                    delay = min(MAX_BACKOFF, 2.0 ** container.restarts)
                    container.state = {"waiting": {"reason": "CrashLoopBackOff",
                                                   "message": f"back-off {delay:.0f}s restarting failed container"}}
                    threading.Timer(delay, self._restart, args=(container,)).start()
                else:
                    container.state = terminated
            self.publish()
        return exited

    def _restarts(self, code: int) -> bool:
        policy = self.pod["spec"].get("restartPolicy", "Always")
        return policy == "Always" or (policy == "OnFailure" and code != 0)

    def _restart(self, container: ContainerState) -> None:
        with self._lock:
            if not self.terminating:
                self._start_container(container)
        self.publish()

    def retry(self, container: ContainerState) -> None:
        """A container that could not be prepared (a ConfigMap not there yet) tries again."""
        with self._lock:
            if not self.terminating and container.process is None:
                self._start_container(container)
        self.publish()

    def _on_probe(self, container: ContainerState, kind: str) -> Callable[[bool, str], None]:
        def changed(healthy: bool, message: str) -> None:
            if kind == "readiness":
                container.ready = healthy
                self.publish()
            elif not healthy and container.process is not None and container.process.running():
                self.node.say(f"{self.key} container {container.spec['name']} failed its liveness probe "
                              f"({message}); restarting it")
                container.process.stop(grace=float(self.pod["spec"].get("terminationGracePeriodSeconds", 30)))
        return changed

    # -- stop -----------------------------------------------------------------------------------
    def terminate(self, grace: float) -> None:
        """Stop every container (SIGTERM, `grace` s, SIGKILL) and remove the pod's network."""
        with self._lock:
            self.terminating = True
        stoppers = []
        for container in self.containers:
            for prober in container.probers:
                prober.stop()
            if container.process is not None:
                stopper = threading.Thread(target=container.process.stop, args=(grace,), daemon=True)
                stopper.start()
                stoppers.append(stopper)
        for stopper in stoppers:
            stopper.join()
        if self.network is not None:
            network.delete_pod_network(self.network.netns)
            self.node.addresses.release(self.network.address)

    # -- status --------------------------------------------------------------------------------
    def ready(self) -> bool:
        """Every container ready, not terminating: an endpoint of the Services that select it.

        Read without the pod's lock (a start holds it for seconds): a relay must not wait on it."""
        return (not self.terminating and self.network is not None and bool(self.containers)
                and all(c.status()["ready"] for c in self.containers))

    def status(self) -> dict:
        with self._lock:
            statuses = [c.status() for c in self.containers]
        all_ready = bool(statuses) and all(s["ready"] for s in statuses)
        conditions = {"PodScheduled": True, "Initialized": True, "PodReadyToStartContainers": self.network is not None,
                      "ContainersReady": all_ready, "Ready": all_ready}
        status = {"phase": self._phase(statuses), "hostIP": str(network.NODE_IP),
                  "hostIPs": [{"ip": str(network.NODE_IP)}], "startTime": self.started_at,
                  "conditions": [self._condition(kind, true) for kind, true in conditions.items()],
                  "containerStatuses": statuses}
        if self.network is not None:
            status.update(podIP=self.network.address, podIPs=[{"ip": self.network.address}])
        return status

    @staticmethod
    def _phase(statuses: list[dict]) -> str:
        states = [next(iter(s["state"])) for s in statuses]
        if states and all(state == "terminated" for state in states):
            codes = [s["state"]["terminated"]["exitCode"] for s in statuses]
            return "Succeeded" if all(code == 0 for code in codes) else "Failed"
        if any(state == "running" for state in states) or any(s["restartCount"] for s in statuses):
            return "Running"
        return "Pending"

    def _condition(self, kind: str, true: bool) -> dict:
        with self._lock:
            if self._transitions.get(kind, (None,))[0] != true:
                self._transitions[kind] = (true, _now())
            since = self._transitions[kind][1]
        return {"type": kind, "status": "True" if true else "False", "lastProbeTime": None,
                "lastTransitionTime": since}

    def publish(self) -> None:
        """Write the status; of two racing writers the one that looked later wins, never the stale one."""
        with self._lock:
            self._looked += 1
            seq, status = self._looked, self.status()
        with self._publishing:
            if seq > self._written:
                self._written = seq
                self._write_status(self.pod, status)

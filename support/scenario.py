"""One scenario's world: its namespace, what it applied, its mocks and its waits.

Steps talk to this object only (tests/test_steps_use_the_facade.py): never to
the cluster, the target or the settings. It knows the scenario's scaler and its
inference workload, and reads them back as the business facts the features
speak of (desired replicas, ready replicas, the Ready condition, learning
status). What one step hands to a later one is a typed field of `world.state`
(support/scenario_state.py); cluster time is support/scenario_time.py, reading
the scaler and the workload back support/scenario_reading.py, the pods' starts
and restarts support/scenario_pods.py.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from hamcrest import assert_that, greater_than, is_, is_not

from support import client_load, learning_data, manifests, scaler_settings
from support.cluster import MANAGED_BY, SCALER_API, SCALER_KIND, ObjectRef, ScalerStatus
from support.feed import NamespaceFeed
from support.mockctl import MockDriver, Workload
from support.recording import PredictionRecorder
from support.scenario_pods import PodLifecycle
from support.scenario_reading import ScenarioReading
from support.scenario_state import ScenarioState
from support.scenario_time import ClusterTime
from support.target import Target
from support.traffic import SharedDemand
from support.waiting import ON_CHANGES, ON_PODS, Duty, Poller
from support.workloads import INFERENCE_WORKLOADS, SIDE_SERVICES, InferenceWorkload

RUN_LABEL = "budaiscaler-spec/feature"
NAMESPACE_GONE_TIMEOUT = 180.0
CONTROLLER_FIRST_WRITE_TIMEOUT = 120.0  # leader election after a restart takes ~15 s on BudAIScaler


@dataclass(slots=True)  # slots: a step cannot hang an untyped value on the scenario
class Scenario(ClusterTime, ScenarioReading, PodLifecycle):
    target: Target
    namespace: str
    owns_namespace: bool
    mocks: MockDriver
    applied: list[ObjectRef] = field(default_factory=list)
    scaler: str | None = None
    workload: InferenceWorkload | None = None
    feed: NamespaceFeed | None = None
    duties: list = field(default_factory=list)  # extra waiting duties: (duty, ON_PODS | ON_CHANGES)
    side_services: dict[str, InferenceWorkload] = field(default_factory=dict)  # running beside the workload, by label
    load_generator: client_load.LoadGenerator | None = None  # deployed by the first "N clients send requests"
    state: ScenarioState = field(default_factory=ScenarioState)  # what one step hands to a later one

    @classmethod
    def begin(cls, target: Target, feature: str) -> "Scenario":
        settings = target.settings
        namespace = settings.namespace or _generated_name(settings.namespace_prefix, feature)
        if settings.namespace:  # a fixed name the previous scenario may still be deleting
            target.poller().eventually(lambda: target.cluster.namespace_phase(namespace), is_not("Terminating"),
                                       within=NAMESPACE_GONE_TIMEOUT, what=f"namespace {namespace} to finish terminating")
        labels = {**MANAGED_BY, RUN_LABEL: _slug(feature)[:63]}
        owns = target.cluster.create_namespace(namespace, labels)
        try:
            feed = target.cluster.feed(namespace, target.clock).start()
        except BaseException:  # no world to end yet: the namespace it made must not outlive the failure
            if owns:
                target.cluster.delete_namespace(namespace)
            raise
        world = cls(target, namespace, owns, mocks=None, feed=feed)  # type: ignore[arg-type]
        world.mocks = MockDriver(target.cluster, pods=world.workload_pods_of)
        return world

    @property
    def cluster(self):
        return self.target.cluster

    @property
    def poller(self) -> Poller:
        poller = self.target.poller().with_feed(self.feed).with_duty(self.mocks.keep_applied, on=ON_PODS)
        for duty, on in self.duties:
            poller = poller.with_duty(duty, on=on)
        return poller

    def add_duty(self, duty: Duty, on: str = ON_PODS) -> None:
        """Keep `duty` running while this scenario waits: when pods change, or on every change."""
        self.duties.append((duty, on))

    # -- setting up -------------------------------------------------------------------
    def apply(self, name: str, without: tuple[str, ...] = (),
              settings: list[tuple[str, str]] | None = None, spec: dict | None = None) -> list[ObjectRef]:
        """Apply a config or mock by name; `without` is a field path left out of every document;
        `settings` (support.scaler_settings) change the BudAIScaler it holds before it is applied,
        and `spec` replaces top-level fields of its spec."""
        documents = self.target.settings.images.rewrite(manifests.load_manifests(name, namespace=self.namespace))
        if without:
            for document in documents:
                _drop(document, without)
        for document in documents:
            if document.get("kind") == SCALER_KIND and (settings or spec):
                held = document.setdefault("spec", {})
                held.update(spec or {})
                if settings:
                    scaler_settings.apply_changes(held, scaler_settings.spec_changes(held, settings))
        refs = self.cluster.apply(documents)
        self.applied.extend(refs)
        scalers = [r.name for r in refs if r.kind == SCALER_KIND]
        if scalers:
            self.scaler = scalers[-1]
        return refs

    def apply_scaler_as(self, config: str, name: str) -> None:
        """Apply the BudAIScaler of `config` under another name; the scenario's scaler stays the one it was."""
        documents = [d for d in manifests.load_manifests(config, namespace=self.namespace)
                     if d.get("kind") == SCALER_KIND]
        if not documents:
            raise LookupError(f'"{config}" holds no BudAIScaler')
        for document in documents:
            document["metadata"]["name"] = name
        self.applied.extend(self.cluster.apply(documents))

    def deploy_workload(self, label: str) -> InferenceWorkload:
        """Deploy the inference workload, or a side service (the DCGM exporter), by its name in the features."""
        if label in SIDE_SERVICES:
            self.apply(SIDE_SERVICES[label].manifest)
            self.side_services[label] = SIDE_SERVICES[label]
            return SIDE_SERVICES[label]
        if label not in INFERENCE_WORKLOADS:
            raise LookupError(f"no workload called {label!r}: choose one of "
                              f"{', '.join(sorted({**INFERENCE_WORKLOADS, **SIDE_SERVICES}))}")
        workload = INFERENCE_WORKLOADS[label]
        if workload.kind != "Deployment" and self.workload is None:
            raise LookupError(f"the {label} runs the inference simulator's program: deploy the inference simulator "
                              "first")
        self.apply(workload.manifest)
        self.workload = workload
        return workload

    def tell_pods_of(self, label: str, path: str, **params) -> int:
        """Like tell_inference_pods, for one of several inference workloads of the scenario, by name."""
        workload = INFERENCE_WORKLOADS[label]
        took = self.mocks.set_on_every_pod(Workload(self.namespace, workload.deployment, workload.metrics_port),
                                           path, **params)
        assert_that(took, greater_than(0), f"running pods of the {label} that took {path} {params}")
        return took

    def tell_side_service(self, label: str, path: str, **params) -> int:
        """Make the side service's pods (now and later) take `path?params`; how many took it now."""
        service = self.side_services.get(label)
        if service is None:
            raise LookupError(f"the {label} is not running in this scenario: add 'Given the {label} is running'")
        return self.mocks.set_on_every_pod(Workload(self.namespace, service.deployment, service.port), path, **params)

    def side_service_state(self, label: str) -> dict:
        """What the side service's first running pod says of itself (its /status JSON)."""
        service = SIDE_SERVICES[label]
        answers = self.mocks.query(Workload(self.namespace, service.deployment, service.port), "/status")
        if not answers:
            raise LookupError(f"no running pod of the {label}")
        return answers[0].json()

    def side_service_available(self, label: str) -> bool:
        return self._available(SIDE_SERVICES[label].deployment)

    def send_client_requests(self, clients: int, duration: float, within: float) -> None:
        """`clients` clients send requests to the inference Service for `duration` (the load generator is
        deployed first, and waited for `within`)."""
        if self.load_generator is None:
            self.apply(client_load.MANIFEST)
            self.load_generator = client_load.LoadGenerator(self.mocks, self.namespace)
        self.poller.eventually(lambda: self._available(client_load.DEPLOYMENT), is_(True), within=within,
                               what="the load generator to be available")
        self.load_generator.start(clients, duration)

    def stop_client_requests(self) -> None:
        self._load_generator().stop()

    def client_requests(self) -> client_load.RunStatus:
        """What the load generator says of its clients' requests."""
        return self._load_generator().status()

    def _load_generator(self) -> client_load.LoadGenerator:
        if self.load_generator is None:
            raise LookupError("no clients send requests in this scenario: add 'Given N clients send requests to "
                              "the model for D' first")
        return self.load_generator

    def tell_inference_pods(self, path: str, **params) -> int:
        """Make every inference pod (now and later) take `path?params`; how many pods took it now (at least 1)."""
        took = self.mocks.set_on_every_pod(self.metrics_endpoint(), path, **params)
        assert_that(took, greater_than(0), f"running inference pods that took {path} {params}")
        return took

    # -- reading the scaler -----------------------------------------------------------
    def scaler_name(self) -> str:
        if self.scaler is None:
            raise LookupError("no BudAIScaler applied in this scenario yet")
        return self.scaler

    def status(self, scaler: str | None = None) -> ScalerStatus:
        """The status of the scenario's (last applied) scaler, or of the one named."""
        return ScalerStatus.from_object(self._scaler_object(scaler))

    def desired_replicas(self, scaler: str | None = None) -> int:
        desired = self.status(scaler).desired_replicas
        if desired is None:
            raise LookupError(f"the scaler {scaler or self.scaler_name()} reports no desired replicas yet")
        return desired

    def actual_replicas(self) -> int | None:
        return self.status().actual_replicas

    def ready_condition(self):
        return self.status().condition("Ready")

    def learning_status(self) -> dict:
        return self.status().learning

    def shared_demand(self) -> SharedDemand:
        """The scenario's shared traffic (created on first use, kept applied while waiting)."""
        if self.state.demand is None:
            self.state.demand = SharedDemand(self.mocks, self.metrics_endpoint(), self.running_pods)
            self.add_duty(self.state.demand.apply, on=ON_PODS)
        return self.state.demand

    def record_predictions(self) -> PredictionRecorder:
        """Record, once per controller tick while the scenario waits, what the scaler predicts and what runs."""
        self.state.recorder = PredictionRecorder(self.predicted_and_running_replicas, self.target.clock,
                                                 look_ahead=self.look_ahead_seconds())
        self.add_duty(self.state.recorder.observe, on=ON_CHANGES)
        return self.state.recorder

    def prediction_recorder(self) -> PredictionRecorder:
        if self.state.recorder is None:
            raise LookupError("nothing recorded the scaler's predictions in this scenario: start with "
                              "\"the scaler's predictions are being recorded\"")
        return self.state.recorder

    def predicted_and_running_replicas(self) -> tuple[int | None, int, float | None]:
        """What the scaler predicts now (None if it says nothing), what the Deployment runs, and the
        scaler's last calibration on this suite's clock (None if it reports none)."""
        status = self.status()
        calibrated = status.learning.get("lastCalibration")
        return (status.prediction.get("predictedReplicas"), self.deployment_replicas(),
                None if calibrated is None else self.cluster_time_of(calibrated))

    def look_ahead_seconds(self) -> float:
        config = self._scaler_object()["spec"].get("predictionConfig") or {}
        return 60.0 * config.get("lookAheadMinutes", 15)

    def patch_scaler(self, spec_patch: dict) -> None:
        self.cluster.patch_scaler_spec(self.namespace, self.scaler_name(), spec_patch)

    def scaler_hpa(self) -> dict | None:
        """The HorizontalPodAutoscaler the scaler made (`<scaler>-hpa`), or None (no watch covers it: poll)."""
        return self.cluster.get("autoscaling/v2", "HorizontalPodAutoscaler", self.namespace,
                                self.scaler_name() + "-hpa")

    def scaler_spec(self) -> dict:
        return dict(self._scaler_object().get("spec") or {})

    def scaler_uid(self) -> str:
        return self._scaler_object()["metadata"]["uid"]

    def annotate_scaler(self, annotations: dict[str, str]) -> None:
        self.cluster.merge_patch(SCALER_API, SCALER_KIND, self.namespace, self.scaler_name(),
                                 {"metadata": {"annotations": annotations}})

    def delete_scaler(self) -> None:
        self.cluster.delete(ObjectRef(SCALER_API, SCALER_KIND, self.namespace, self.scaler_name()))

    def scaler_exists(self) -> bool:
        try:
            self._scaler_object()
        except LookupError:
            return False
        return True

    def change_settings(self, settings: list[tuple[str, str]]) -> None:
        """Change the scaler's settings (support.scaler_settings) as a user would edit them."""
        spec = self.cluster.scaler(self.namespace, self.scaler_name()).get("spec") or {}
        self.patch_scaler(scaler_settings.spec_changes(spec, settings))

    def scale_workload(self, replicas: int) -> None:
        """Set the inference Deployment's replicas, as `kubectl scale` would."""
        self.cluster.merge_patch("apps/v1", "Deployment", self.namespace, self._deployment(),
                                 {"spec": {"replicas": replicas}})

    # -- learning data and artifacts ------------------------------------------------------
    def learning_configmaps(self) -> list[dict]:
        """ConfigMaps labelled as the scaler's learning data (the controller's labels)."""
        if self._cached():
            return self.feed.list("ConfigMap", learning_data.labels(self.scaler_name()))
        return self.cluster.configmaps(self.namespace, learning_data.selector(self.scaler_name()))

    def learning_configmap(self) -> dict:
        """The scaler's learning ConfigMap; LookupError while there is none."""
        found = self.learning_configmaps()
        if not found:
            raise LookupError(f"no ConfigMap labelled {learning_data.selector(self.scaler_name())}")
        return found[0]

    def collected_data_points(self) -> int:
        return learning_data.parse_count(self.learning_status().get("dataPointsCollected"))

    def artifacts_directory(self) -> Path:
        """Where this scenario's reports and diagnostics go (created)."""
        directory = self.target.settings.artifacts / self.namespace
        directory.mkdir(parents=True, exist_ok=True)
        return directory

    def restart_controller(self) -> None:
        """Restart the controller and wait until the new one has written this scenario's scaler's status.

        The old controller pods are gone first (a terminating one may still write), so the first status
        written after that is the new controller's: what a later step reads is never the old one's count.
        A new controller pod is Ready before it reconciles (a real one may wait for the leader Lease), so
        its first write, not its readiness, says the restart is over.
        """
        self.target.restart_controller()
        if self.scaler is None:
            return
        before = self._scaler_object().get("status") or {}
        self.poller.eventually(lambda: self._scaler_object().get("status") or {}, is_not(before),
                               within=CONTROLLER_FIRST_WRITE_TIMEOUT,
                               what="the restarted BudAIScaler controller's first status write of the scaler")

    # -- ending -------------------------------------------------------------------------
    def end(self, keep: bool) -> str:
        """Clean up unless `keep`; a namespace the suite did not create is never deleted."""
        self.mocks.close()
        if self.feed is not None:
            self.feed.stop()
        if keep:
            return f"kept namespace {self.namespace} for inspection"
        if self.owns_namespace:
            self.cluster.delete_namespace(self.namespace)
            return f"deleted namespace {self.namespace}"
        for ref in reversed(self.applied):
            self.cluster.delete(ref)
        return f"deleted {len(self.applied)} objects from namespace {self.namespace} (not ours to delete)"


def _drop(document: dict, path: tuple[str, ...]) -> None:
    parent = document
    for key in path[:-1]:
        parent = parent.get(key) or {}
    parent.pop(path[-1], None)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "feature"


def _generated_name(prefix: str, feature: str) -> str:
    return f"{prefix}-{_slug(feature)[:40]}-{secrets.token_hex(3)}"

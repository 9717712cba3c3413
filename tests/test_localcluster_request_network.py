"""The simulator's metrics from the client requests it receives (issue 9 item 6), hand-worked.

A simulator pod with --max-num-seqs=2, --kv-cache-size=64 blocks of --block-size=16 tokens,
200 ms to the first token and 20 ms per token after it. The clients ask 100 tokens with a
4-word prompt: a request reserves ceil(104 / 16) = 7 blocks and takes 0.2 + 99 x 0.02 = 2.18 s.
At 1.01 s a running request has generated 1 + floor(0.81 / 0.02) = 41 tokens: 45 with its
prompt, ceil(45 / 16) = 3 blocks.
"""

import pytest

from support.clock import VirtualClock
from support.localcluster.node import images
from support.localcluster.node.images import InferenceSim, parse_sim_args
from support.localcluster.node.request_network import RequestNetwork, ServiceUnreachable
from support.localcluster.store import Store
from support.reference.vllm_engine import EngineMetrics
from support.manifests import load_program

NS = "budspec-load"
FLAGS = ["--port=8000", "--model=m", "--max-num-seqs=2", "--kv-cache-size=64", "--block-size=16",
         "--time-to-first-token=200", "--inter-token-latency=20"]
URL = "http://llm-inference-sim:8000"


def pod(name: str, ready: bool = True, image: str = "ghcr.io/llm-d/llm-d-inference-sim:v0.6.1") -> dict:
    return {"metadata": {"name": name, "namespace": NS, "labels": {"app": "llm-inference-sim"}},
            "spec": {"containers": [{"name": "simulator", "image": image, "args": FLAGS,
                                     "ports": [{"containerPort": 8000}]}]},
            "status": {"phase": "Running",
                       "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


@pytest.fixture
def world():
    clock = VirtualClock()
    store = Store(clock)
    store.create("Service", {"metadata": {"name": "llm-inference-sim", "namespace": NS},
                             "spec": {"selector": {"app": "llm-inference-sim"},
                                      "ports": [{"port": 8000, "targetPort": 8000}]}})
    network = RequestNetwork(store, clock, images.engine_params)
    network.start()
    yield clock, store, network.for_namespace(NS)
    network.stop()


def reported(clients, name: str) -> dict[str, float]:
    """The simulator's Prometheus text for pod `name`, as {metric: value}."""
    sim = InferenceSim(parse_sim_args(FLAGS), lambda: 0.0, engine=lambda: clients.metrics(name))
    return {line.split("{")[0]: float(line.rsplit(" ", 1)[1])
            for line in sim.metrics().splitlines() if not line.startswith("#")}


def start(clients, count: int, duration: float = 60.0):
    return clients.start_clients(URL, count, duration, prompt_tokens=4, output_tokens=100)


def test_the_engine_is_the_simulators_flags():
    engine = images.engine_params(pod("a")["spec"]["containers"][0])
    assert (engine.max_num_seqs, engine.kv_cache_blocks, engine.block_size) == (2, 64, 16)
    assert (engine.time_to_first_token, engine.inter_token_latency) == (0.2, 0.02)
    assert images.engine_params({"image": "python:3.11-slim"}) is None


def test_one_pod_runs_two_requests_and_queues_the_rest(world):
    clock, store, clients = world
    store.create("Pod", pod("a"))
    start(clients, 5)
    clock.advance(1.01)
    assert reported(clients, "a") == {"vllm:gpu_cache_usage_perc": 6 / 64, "vllm:num_requests_running": 2,
                                      "vllm:num_requests_waiting": 3}


def test_the_service_shares_the_requests_among_its_ready_pods(world):
    clock, store, clients = world
    for name in ("a", "b"):
        store.create("Pod", pod(name))
    store.create("Pod", pod("c", ready=False))
    start(clients, 5)                                   # a, b, a, b, a: c is not ready
    clock.advance(1.01)
    assert clients.metrics("a") == EngineMetrics(2, 1, 6 / 64)
    assert clients.metrics("b") == EngineMetrics(2, 0, 6 / 64)
    assert clients.metrics("c") is None


def test_stopped_clients_send_no_more_and_their_requests_are_answered(world):
    clock, store, clients = world
    store.create("Pod", pod("a"))
    run = start(clients, 3)
    clock.advance(1.0)
    run.stop()
    clock.advance(2.0)                                  # at 3 s: the first two ended at 2.18, the third runs
    assert clients.metrics("a") == EngineMetrics(1, 0, pytest.approx(clients.metrics("a").kv_cache_usage))
    stats, active = run.stats()
    assert (stats.sent, stats.completed, stats.in_flight, active) == (3, 2, 1, True)
    clock.advance(2.0)                                  # the third ended at 2.18 + 2.18 = 4.36 s
    stats, active = run.stats()
    assert (stats.sent, stats.completed, stats.in_flight, active) == (3, 3, 0, False)
    assert reported(clients, "a") == {"vllm:gpu_cache_usage_perc": 0, "vllm:num_requests_running": 0,
                                      "vllm:num_requests_waiting": 0}


def test_requests_of_a_pod_that_goes_are_sent_again_to_the_others(world):
    clock, store, clients = world
    for name in ("a", "b"):
        store.create("Pod", pod(name))
    run = start(clients, 5)
    clock.advance(1.0)
    store.delete("Pod", NS, "b")                        # its 2 requests go to a
    assert clients.metrics("a") == EngineMetrics(2, 3, pytest.approx(clients.metrics("a").kv_cache_usage))
    stats, _ = run.stats()
    assert (stats.sent, stats.resent, stats.in_flight) == (7, 2, 5)


def test_a_pod_that_becomes_ready_takes_its_share_of_new_requests(world):
    clock, store, clients = world
    store.create("Pod", pod("a"))
    start(clients, 4)                                   # a: 2 running, 2 waiting
    clock.advance(1.0)
    created = store.create("Pod", pod("b", ready=False))
    created["status"]["conditions"][0]["status"] = "True"
    store.update_status("Pod", created)                 # ready at 1 s: nothing moves yet
    assert clients.metrics("b") == EngineMetrics(0, 0, 0.0)
    clock.advance(1.5)                                  # at 2.18 the first two end: one resent to b, one to a
    assert clients.metrics("a") == EngineMetrics(2, 1, pytest.approx(clients.metrics("a").kv_cache_usage))
    assert clients.metrics("b").running == 1


def test_a_url_without_a_service_is_unreachable(world):
    _, _, clients = world
    with pytest.raises(ServiceUnreachable, match="no Service 'nowhere'"):
        clients.start_clients("http://nowhere:8000", 1, 10, 4, 100)
    with pytest.raises(ServiceUnreachable, match="no port 9999"):
        clients.start_clients("http://llm-inference-sim:9999", 1, 10, 4, 100)


def test_the_load_generator_program_runs_its_clients_on_the_network(world):
    clock, store, clients = world
    store.create("Pod", pod("a"))
    program = load_program("load_generator.py")
    generator = program.LoadGenerator(program.settings_from({"PROMPT": "a b c d", "MAX_TOKENS": "100"}),
                                      clock.now, network=clients)
    assert generator.handle("/start", "clients=3&duration=60")[0] == 200
    clock.advance(1.01)
    assert clients.metrics("a") == EngineMetrics(2, 1, 6 / 64)
    generator.handle("/stop", "")
    clock.advance(10)
    status = generator.status()[2]
    assert '"running": false' in status and '"sent": 3' in status and '"succeeded": 3' in status


def test_the_load_generator_says_when_its_target_is_no_service(world):
    clock, _, clients = world
    program = load_program("load_generator.py")
    generator = program.LoadGenerator(program.settings_from({"TARGET": "http://nowhere:8000"}), clock.now, clients)
    generator.handle("/start", "clients=3&duration=60")
    status = generator.status()[2]
    assert '"running": false' in status and '"failed": 1' in status and "no Service 'nowhere'" in status


def test_on_a_real_clock_the_simulator_answers_a_request_when_its_engine_has_generated_it():
    """The project's control plane runs the image as a process in real time: requests come over HTTP.
    One sequence at a time, 6 tokens at 20 ms after the first at once: 0.1 s a request, so three sent
    together are answered one after the other, the last no sooner than 0.3 s after they were sent."""
    import threading
    import time

    flags = ["--max-num-seqs=1", "--time-to-first-token=0", "--inter-token-latency=20"]
    sim = InferenceSim(parse_sim_args(flags), time.monotonic, paced=True)
    request = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 6}
    sent = time.monotonic()
    threads = [threading.Thread(target=sim.complete, args=(request, True)) for _ in range(3)]
    for thread in threads:
        thread.start()
    during = sim.metrics()
    for thread in threads:
        thread.join(timeout=10)
    assert time.monotonic() - sent >= 0.3
    assert "vllm:num_requests_running{model_name=\"unknown-model\"} 0" in sim.metrics()
    running = float(next(line for line in during.splitlines() if line.startswith("vllm:num_requests_running")
                         ).rsplit(" ", 1)[1])
    assert running <= 1, f"at most --max-num-seqs=1 request runs at a time: {during}"


def test_a_request_the_cache_cannot_hold_is_refused():
    sim = InferenceSim(parse_sim_args(["--kv-cache-size=1", "--block-size=16"]), lambda: 0.0, paced=True)
    with pytest.raises(ValueError, match="needs 2 KV-cache blocks"):
        sim.complete({"prompt": "x", "max_tokens": 20}, chat=False)


def test_a_deleted_service_is_forgotten_and_its_clients_reach_no_pod(world):
    clock, store, clients = world
    store.create("Pod", pod("a"))
    run = start(clients, 3)
    clock.advance(1.0)
    store.delete("Service", NS, "llm-inference-sim")
    assert clients.metrics("a") is None
    clock.advance(5.0)
    stats, active = run.stats()
    assert (stats.completed, stats.in_flight, active) == (0, 3, True)

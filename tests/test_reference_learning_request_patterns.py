"""Request load seen by learning (§5.5 patterns, issue 9 items 5 and 6): the vLLM metrics that
the request-load model makes of "N clients send requests for D", averaged over the pods as the
controller's scrape does, drive the pattern detector to cold start, traffic spike and drain."""
from support.reference.learning.patterns import LLMMetrics
from support.reference.learning.system import LearningSystem
from support.reference.model import CONTRACT
from support.reference.request_load import ClientLoad, LoadSimulation
from support.reference.vllm_engine import EngineParams

T0 = 1_767_607_200.0   # Monday 10:00 UTC
TICK = 10.0


def patterns(sim: LoadSimulation, pods: list[str], seconds: float) -> dict[float, str]:
    """The detected pattern after each 10 s tick, from the pods' mean metrics."""
    system = LearningSystem("llm", "ns", look_ahead_minutes=5, historical_days=7, enabled=True,
                            model=CONTRACT)
    seen = {}
    for tick in range(int(seconds / TICK) + 1):
        now = T0 + tick * TICK
        readings = [sim.metrics(pod, now) for pod in pods]
        llm = LLMMetrics(gpu_cache_usage=sum(m.kv_cache_usage for m in readings) / len(pods),
                         requests_waiting=sum(m.waiting for m in readings) / len(pods),
                         requests_running=sum(m.running for m in readings) / len(pods))
        system.record(now, {"vllm:gpu_cache_usage_perc": llm.gpu_cache_usage}, llm, 1, 1, 1)
        seen[tick * TICK] = system.detector.current
    return seen


def first(seen: dict[float, str], pattern: str, after: float) -> float | None:
    return next((t for t, p in sorted(seen.items()) if t >= after and p == pattern), None)


def test_answer_lengths_spread_evenly_and_the_same_every_run():
    load = ClientLoad(1, 0.0, 1.0, output_tokens=1000, shortest_answer=0.5)
    lengths = [load.answer_tokens(n) for n in range(1, 201)]
    assert min(lengths) >= 500 and max(lengths) <= 1000
    assert 740 <= sum(lengths) / len(lengths) <= 760          # the mean of 500..1000
    assert lengths == [load.answer_tokens(n) for n in range(1, 201)]
    assert ClientLoad(1, 0.0, 1.0, output_tokens=1000).answer_tokens(7) == 1000


def test_load_reaching_an_idle_service_is_a_cold_start_and_its_end_a_drain():
    sim = LoadSimulation()
    sim.add_load(ClientLoad(20, T0 + 60, 300, shortest_answer=0.5))
    sim.set_pods(T0, ["a"])
    seen = patterns(sim, ["a"], 600)
    assert set(seen[t] for t in seen if t < 60) == {"steady_state"}
    assert first(seen, "cold_start", 60) == 60           # the first tick with requests in flight
    # the last requests were sent before 360 s; the queue of 15 drains, then running falls
    drain = first(seen, "traffic_drain", 360)
    assert drain is not None and 360 < drain <= 480, seen


def test_load_jumping_on_a_busy_service_is_a_traffic_spike():
    # a cache of 256 blocks holds four 1020-token sequences: a busy pod's cache is over 20 % full
    sim = LoadSimulation(EngineParams(kv_cache_blocks=256))
    sim.add_load(ClientLoad(4, T0, 900, shortest_answer=0.5))
    sim.add_load(ClientLoad(16, T0 + 300, 300, shortest_answer=0.5))
    sim.set_pods(T0, ["a", "b"])
    seen = patterns(sim, ["a", "b"], 900)
    assert set(seen[t] for t in seen if t < 300) == {"steady_state"}
    spike = first(seen, "traffic_spike", 300)
    assert spike is not None and spike <= 360, seen
    assert first(seen, "traffic_drain", 600) is not None

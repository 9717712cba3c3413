"""Request load into vLLM metrics (issue 9 item 6): one engine, then clients over a Service's pods.

Hand-worked with a small engine: 2 sequences at most, 10 KV blocks of 4 tokens, first token
after 1 s, then one every 0.5 s. A request of 4 prompt + 5 output tokens needs ceil(9/4) = 3
blocks and takes 1 + 4 x 0.5 = 3 s.
"""
import pytest

from support.reference.request_load import ClientLoad, LoadSimulation
from support.reference.vllm_engine import (Engine, EngineMetrics, EngineParams, Request,
                                           RequestTooLarge)

SMALL = EngineParams(max_num_seqs=2, kv_cache_blocks=10, block_size=4, time_to_first_token=1.0,
                     inter_token_latency=0.5)


def request(number, at=0.0, prompt=4, output=5):
    return Request(number, at, prompt, output)


def test_defaults_are_the_simulators_flags():
    params = EngineParams()
    assert (params.max_num_seqs, params.kv_cache_blocks, params.block_size) == (5, 1024, 16)
    # 20 prompt + 1000 output tokens: 64 blocks; 0.2 + 999 x 0.02 = 20.18 s
    assert params.blocks(1020) == 64 and params.service_time(1000) == pytest.approx(20.18)
    with pytest.raises(ValueError, match="max_num_seqs"):
        EngineParams(max_num_seqs=0)


def test_running_waiting_and_cache_over_a_request_life():
    engine = Engine(SMALL)
    for number in range(1, 5):
        engine.submit(request(number), 0.0)
    # two run, two wait; each running request fills its prompt's ceil(4/4) = 1 block
    assert engine.metrics(0.0) == EngineMetrics(2, 2, 0.2)
    # at 2 s: 1 + floor(1 / 0.5) = 3 tokens generated, 7 tokens = 2 blocks each
    assert engine.advance(2.0) == [] and engine.metrics(2.0) == EngineMetrics(2, 2, 0.4)
    done = engine.advance(3.0)
    assert [(c.request.id, c.started, c.finished) for c in done] == [(1, 0.0, 3.0), (2, 0.0, 3.0)]
    assert engine.metrics(3.0) == EngineMetrics(2, 0, 0.2)       # 3 and 4 started at 3 s
    assert [c.request.id for c in engine.advance(6.0)] == [3, 4]
    assert engine.metrics(6.0) == EngineMetrics(0, 0, 0.0)


def test_the_kv_cache_limits_how_many_run():
    engine = Engine(EngineParams(max_num_seqs=4, kv_cache_blocks=5, block_size=4,
                                 time_to_first_token=1.0, inter_token_latency=0.5))
    for number in range(1, 4):
        engine.submit(request(number), 0.0)
    assert engine.metrics(0.0) == EngineMetrics(1, 2, 0.2)      # 3 + 3 blocks > 5
    with pytest.raises(RequestTooLarge, match="needs 26 KV-cache blocks, the server has 5"):
        engine.submit(request(9, output=100), 0.0)


def test_the_cache_reports_blocks_in_use_not_reserved():
    engine = Engine(SMALL)
    engine.submit(request(1), 0.0)
    # 3 blocks reserved; at 2.5 s 1 + floor(1.5 / 0.5) = 4 tokens out, 8 tokens in 2 blocks
    assert engine.metrics(2.5).kv_cache_usage == pytest.approx(0.2)


def test_dropped_requests_come_back_oldest_first():
    engine = Engine(SMALL)
    for number in (1, 2, 3):
        engine.submit(request(number), 0.0)
    assert [r.id for r in engine.drop_all()] == [1, 2, 3]
    assert engine.metrics(0.0) == EngineMetrics(0, 0, 0.0) and engine.in_flight() == 0


# --- clients over the pods of a Service ---------------------------------------------------------

def simulation(clients=4, start=0.0, duration=10.0, pods=("a",)):
    sim = LoadSimulation(SMALL)
    sim.add_load(ClientLoad(clients, start, duration, prompt_tokens=4, output_tokens=5))
    sim.set_pods(0.0, list(pods))
    return sim


def test_more_clients_than_a_pod_runs_wait_while_the_load_lasts():
    sim = simulation()
    for now in (0.0, 2.0, 5.5, 9.9):
        assert (sim.metrics("a", now).running, sim.metrics("a", now).waiting) == (2, 2), now


def test_when_the_load_ends_the_last_requests_drain():
    # clients send at 0 (2 run, 2 wait), 3 (2 run), 6, 9; requests sent at 9 start at 12
    sim = simulation()
    assert sim.metrics("a", 12.0) == EngineMetrics(2, 0, 0.2)
    assert sim.metrics("a", 15.0) == EngineMetrics(0, 0, 0.0)
    assert sim.in_flight() == 0
    assert sim.stats.sent == sim.stats.completed == 4 + 2 + 2 + 2


def test_two_pods_share_the_load_round_robin():
    sim = simulation(pods=("a", "b"))
    for now in (0.0, 4.0, 8.0):
        assert [sim.metrics(p, now).running for p in "ab"] == [2, 2]
        assert [sim.metrics(p, now).waiting for p in "ab"] == [0, 0]


def test_a_new_pod_takes_requests_sent_after_it_is_ready():
    sim = simulation(duration=60.0)
    sim.set_pods(1.0, ["a", "b"])
    assert sim.metrics("b", 1.0).running == 0                 # nothing moves to it
    # from the next completions on, requests alternate; once a's queue drained nothing waits
    later = [sim.metrics(p, 20.0) for p in "ab"]
    assert sum(m.running + m.waiting for m in later) == 4
    assert [m.waiting for m in later] == [0, 0]


def test_a_pod_that_leaves_hands_its_requests_back_to_the_clients():
    sim = simulation(duration=60.0, pods=("a", "b"))
    sim.set_pods(1.0, ["a"])
    # a's own two are 1 s in (prompt + first token: 2 blocks each); b's two queue behind them
    assert sim.metrics("a", 1.0) == EngineMetrics(2, 2, 0.4)
    assert sim.metrics("b", 1.0) == EngineMetrics(0, 0, 0.0)
    assert sim.stats.resent == 2


def test_without_pods_the_requests_wait_for_one():
    sim = LoadSimulation(SMALL)
    sim.add_load(ClientLoad(3, 5.0, 10.0, prompt_tokens=4, output_tokens=5))
    sim.set_pods(0.0, [])
    sim.advance(6.0)
    assert sim.in_flight() == 3
    sim.set_pods(7.0, ["a"])
    assert sim.metrics("a", 7.0) == EngineMetrics(2, 1, 0.2)


def test_a_load_starting_later_sends_nothing_before():
    sim = LoadSimulation(SMALL)
    sim.add_load(ClientLoad(2, 30.0, 10.0, prompt_tokens=4, output_tokens=5))
    sim.set_pods(0.0, ["a"])
    assert sim.metrics("a", 29.9) == EngineMetrics(0, 0, 0.0)
    assert sim.metrics("a", 30.0).running == 2


def test_time_does_not_go_backwards():
    sim = simulation()
    sim.advance(5.0)
    with pytest.raises(ValueError, match="backwards"):
        sim.advance(4.0)


def test_the_same_calls_give_the_same_metrics():
    def run():
        sim = LoadSimulation()
        sim.add_load(ClientLoad(20, 0.0, 120.0))
        sim.set_pods(0.0, ["a"])
        readings = [sim.metrics("a", t) for t in range(0, 60, 10)]
        sim.set_pods(60.0, ["a", "b", "c"])
        return readings + [sim.metrics(p, t) for t in range(60, 200, 10) for p in "abc"]

    assert run() == run()


def test_twenty_clients_on_the_simulators_defaults():
    # 20 clients, 1000-token answers (20.18 s each): one pod runs 5 and queues 15
    sim = LoadSimulation()
    sim.add_load(ClientLoad(20, 0.0, 400.0))
    sim.set_pods(0.0, ["a"])
    one = sim.metrics("a", 10.0)
    assert (one.running, one.waiting) == (5, 15)
    # 5 requests 9.8 s in: 20 + 1 + floor(9.8 / 0.02) = 511 tokens = 32 blocks each, 160 of 1024
    assert one.kv_cache_usage == pytest.approx(160 / 1024)
    # three more pods: new requests go round robin, but a's backlog only drains as a gets
    # fewer new requests (a quarter) than it finishes, a quarter of the backlog per 20 s
    sim.set_pods(10.0, ["a", "b", "c", "d"])
    midway = [sim.metrics(p, 100.0) for p in "abcd"]
    assert sum(m.running + m.waiting for m in midway) == 20
    assert 0 < midway[0].waiting < 15 and [m.waiting for m in midway[1:]] == [0, 0, 0]
    settled = [sim.metrics(p, 300.0) for p in "abcd"]
    assert [(m.running, m.waiting) for m in settled] == [(5, 0)] * 4


def test_a_load_ended_early_sends_no_more_and_its_in_flight_requests_are_answered():
    simulation = LoadSimulation(SMALL)
    load = simulation.add_load(ClientLoad(clients=3, start=0.0, duration=60.0, prompt_tokens=4, output_tokens=5))
    simulation.set_pods(0.0, ["pod-a"])
    # 3 clients, 2 sequences: two run from 0 s and end at 3 s, the third waits
    assert simulation.load_stats(load, 1.0).in_flight == 3 and simulation.load_active(load, 1.0)
    simulation.end_load(load, 1.0)
    # the third starts at 3 s when the first two end, and ends at 6 s; nothing is sent again
    stats = simulation.load_stats(load, 4.0)
    assert (stats.sent, stats.completed, stats.in_flight) == (3, 2, 1)
    assert simulation.load_active(load, 4.0)
    stats = simulation.load_stats(load, 6.0)
    assert (stats.sent, stats.completed, stats.in_flight) == (3, 3, 0)
    assert not simulation.load_active(load, 6.0)
    assert simulation.metrics("pod-a", 6.0) == EngineMetrics(0, 0, 0.0)


def test_a_load_ended_before_it_starts_sends_nothing():
    simulation = LoadSimulation(SMALL)
    load = simulation.add_load(ClientLoad(clients=2, start=10.0, duration=60.0, prompt_tokens=4, output_tokens=5))
    simulation.set_pods(0.0, ["pod-a"])
    simulation.end_load(load, 5.0)
    assert simulation.load_stats(load, 20.0).sent == 0 and not simulation.load_active(load, 20.0)


def test_each_load_counts_its_own_requests_and_those_sent_again():
    simulation = LoadSimulation(SMALL)
    first = simulation.add_load(ClientLoad(clients=1, start=0.0, duration=60.0, prompt_tokens=4, output_tokens=5))
    second = simulation.add_load(ClientLoad(clients=2, start=0.0, duration=60.0, prompt_tokens=4, output_tokens=5))
    simulation.set_pods(0.0, ["pod-a", "pod-b"])
    simulation.set_pods(1.0, ["pod-b"])   # pod-a's requests go to pod-b again
    one, two = simulation.load_stats(first, 1.0), simulation.load_stats(second, 1.0)
    assert one.sent + two.sent == 3 + one.resent + two.resent and one.resent + two.resent >= 1
    assert one.in_flight == 1 and two.in_flight == 2

"""The request-load model's and the vLLM engine's edges: what they accept, sizes at the limit, counts.

Written against the survivors of `make mutation` in support/reference/{request_load,vllm_engine}.py.
"""

import pytest

from support.reference.request_load import ClientLoad
from support.reference.vllm_engine import Engine, EngineParams, Request, RequestTooLarge


@pytest.mark.parametrize("fields", [dict(clients=-1, duration=1), dict(clients=1, duration=-1)])
def test_a_negative_load_is_refused_naming_it(fields):
    with pytest.raises(ValueError, match="clients and duration must be >= 0: ClientLoad"):
        ClientLoad(start=0, **fields)


def test_an_empty_or_instant_load_is_a_load():
    assert ClientLoad(clients=0, start=0, duration=0).end == 0


@pytest.mark.parametrize("shortest", [0.0, 1.5])
def test_the_shortest_answer_is_a_fraction_above_zero(shortest):
    with pytest.raises(ValueError, match=r"shortest_answer must be in \(0, 1\]: ClientLoad"):
        ClientLoad(clients=1, start=0, duration=1, shortest_answer=shortest)


def test_answers_are_full_length_at_one_and_spread_below_it():
    assert ClientLoad(1, 0, 1, output_tokens=100).answer_tokens(7) == 100
    spread = ClientLoad(1, 0, 1, output_tokens=100, shortest_answer=0.5)
    assert spread.answer_tokens(1) == round(100 * (0.5 + 0.5 * ((1 * 0.6180339887498949) % 1.0)))
    assert ClientLoad(1, 0, 1, output_tokens=1, shortest_answer=0.01).answer_tokens(2) == 1


@pytest.mark.parametrize("fields", [dict(max_num_seqs=0), dict(kv_cache_blocks=0), dict(block_size=0)])
def test_engine_sizes_must_be_at_least_one(fields):
    with pytest.raises(ValueError, match="must be >= 1"):
        EngineParams(**fields)


@pytest.mark.parametrize("fields", [dict(time_to_first_token=-0.1), dict(inter_token_latency=-0.1)])
def test_latencies_may_not_be_negative(fields):
    with pytest.raises(ValueError, match="latencies must be >= 0: EngineParams"):
        EngineParams(**fields)


def test_the_smallest_engine_and_instant_latencies_are_allowed():
    params = EngineParams(max_num_seqs=1, kv_cache_blocks=1, block_size=1, time_to_first_token=0,
                          inter_token_latency=0)
    assert params.service_time(1) == 0
    assert EngineParams(inter_token_latency=0.5).service_time(0) == 0.2


def test_a_request_that_fills_the_whole_cache_fits_and_one_more_block_does_not():
    engine = Engine(EngineParams(kv_cache_blocks=2, block_size=16, max_num_seqs=4))
    engine.submit(Request(1, 0.0, 16, 16), 0.0)   # 2 blocks: all of them
    assert engine.metrics(0.0).running == 1
    with pytest.raises(RequestTooLarge):
        engine.submit(Request(2, 0.0, 17, 16), 0.0)


def test_requests_wait_when_the_cache_is_full_and_count_in_flight():
    engine = Engine(EngineParams(kv_cache_blocks=3, block_size=16, max_num_seqs=4))
    for number in (1, 2):
        engine.submit(Request(number, 0.0, 16, 8), 0.0)  # 2 blocks each
    metrics = engine.metrics(0.0)
    assert (metrics.running, metrics.waiting) == (1, 1)
    assert engine.in_flight() == 2

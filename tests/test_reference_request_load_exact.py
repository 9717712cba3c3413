"""Request load, the exact edges: round robin from the first pod, request numbers from 1, a load's end (an answer
due exactly then sends nothing more; ended before it started; active until its end), and the engine's KV-cache
reservation across several admissions at once.

Times use SMALL of test_reference_request_load: a 4 + 5 token request takes 1 + 4 x 0.5 = 3 s.
"""
from hamcrest import assert_that, equal_to

from support.reference.request_load import ClientLoad, LoadSimulation
from support.reference.vllm_engine import Engine, EngineMetrics, EngineParams, Request
from test_reference_request_load import SMALL


def load(clients=1, start=0.0, duration=10.0, **fields):
    return ClientLoad(clients, start, duration, prompt_tokens=4, output_tokens=5, **fields)


def test_the_service_hands_requests_out_from_the_first_pod_in_order():
    sim = LoadSimulation(SMALL)
    sim.set_pods(0.0, ["a", "b", "c"])
    sim.add_load(load(clients=2))
    running = [sim.metrics(name, 0.0).running for name in ("a", "b", "c")]
    assert_that(running, equal_to([1, 1, 0]), "two clients' first requests go to pods a and b")


def test_full_length_answers_are_exactly_the_output_tokens_even_none():
    assert_that(ClientLoad(1, 0.0, 1.0, output_tokens=0).answer_tokens(1), equal_to(0),
                "with shortest_answer 1 an answer is output_tokens long, also when that is 0")


def test_requests_are_numbered_from_one():
    # answer_tokens(1) = round(5 x (0.5 + 0.5 x 0.618)) = 4 tokens: 1 + 3 x 0.5 = 2.5 s (request 2 would be 3 tokens, 2 s)
    sim = LoadSimulation(SMALL)
    sim.set_pods(0.0, ["a"])
    index = sim.add_load(load(shortest_answer=0.5))
    assert_that(sim.load_stats(index, 2.4).completed, equal_to(0), "the first answer is not back at 2.4 s")
    assert_that(sim.load_stats(index, 2.5).completed, equal_to(1), "the first answer (4 tokens) is back at 2.5 s")


def test_an_answer_due_exactly_at_the_loads_end_sends_nothing_more():
    sim = LoadSimulation(SMALL)
    sim.set_pods(0.0, ["a"])
    index = sim.add_load(load(duration=3.0))
    assert_that(sim.load_stats(index, 10.0).sent, equal_to(1), "the answer came at 3 s, the load's end: no resend")


def test_a_load_ended_before_it_starts_never_runs():
    sim = LoadSimulation(SMALL)
    sim.set_pods(0.0, ["a"])
    index = sim.add_load(load(start=5.0))
    sim.end_load(index, 2.0)
    assert_that(sim.load_active(index, 5.5), equal_to(False), "ended at 2 s, before its start at 5 s")
    assert_that(sim.load_stats(index, 6.0).sent, equal_to(0), "it sent nothing")


def test_a_load_is_active_until_its_end():
    sim = LoadSimulation(SMALL)
    index = sim.add_load(load(clients=0, duration=10.0))
    assert_that(sim.load_active(index, 9.9), equal_to(True), "before its end")
    assert_that(sim.load_active(index, 10.0), equal_to(False), "at its end, with nothing in flight")


def test_every_request_lost_with_a_pod_is_counted_as_resent():
    sim = LoadSimulation(SMALL)
    sim.set_pods(0.0, ["a"])
    index = sim.add_load(load(clients=2))
    sim.set_pods(1.0, ["b"])
    assert_that(sim.load_stats(index, 1.0).resent, equal_to(2), "both requests pod a ran went out again")


def test_admitting_several_requests_at_once_adds_up_their_kv_cache_blocks():
    # 10 blocks of 1 token; request 1 (6 blocks) ends at 1 s, request 2 (3 blocks) at 2 s, the rest need 3 each
    engine = Engine(EngineParams(max_num_seqs=5, kv_cache_blocks=10, block_size=1,
                                 time_to_first_token=1.0, inter_token_latency=1.0))
    engine.submit(Request(1, 0.0, 5, 1), 0.0)
    engine.submit(Request(2, 0.0, 1, 2), 0.0)
    for number in (3, 4, 5):
        engine.submit(Request(number, 0.0, 2, 1), 0.0)
    engine.advance(1.0)
    assert_that(engine.metrics(1.0), equal_to(EngineMetrics(3, 1, 0.6)),
                "request 1's 6 blocks freed: 3 + 3 + 3 reserved, the fifth request's 3 more would not fit")


def test_a_load_starting_as_an_answer_comes_back_sends_first():
    # load 1's answer on pod a is due at 3 s, when load 2 (12-token prompts: 3 blocks) starts: load 2's request
    # goes out first (to pod b, next in turn), then load 1's next one (to pod a)
    sim = LoadSimulation(SMALL)
    sim.set_pods(0.0, ["a", "b"])
    sim.add_load(load())
    sim.add_load(ClientLoad(1, 3.0, 10.0, prompt_tokens=12, output_tokens=5))
    assert_that(sim.metrics("a", 3.0), equal_to(EngineMetrics(1, 0, 0.1)), "pod a runs load 1's 4-token prompt")
    assert_that(sim.metrics("b", 3.0), equal_to(EngineMetrics(1, 0, 0.3)), "pod b runs load 2's 12-token prompt")

"""learning-metrics-server: patterns, seasonal factor, simulated time on an injected clock,
seeded noise, the vLLM fraction, manual /set and input validation."""


import pytest

from support.clock import VIRTUAL_EPOCH
from support.manifests import load_program

program = load_program("learning_metrics.py")
MODEL = '{model_name="mock-model"}'


class FakeClock:
    """A clock the test moves by hand; the epoch is Monday 10:00 UTC."""

    def __init__(self, now=VIRTUAL_EPOCH):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def serve(serve_program, clock):
    """start(seed, env) -> an httpx client on a fresh server using `clock`."""
    return lambda seed=1, env=None: serve_program(program, env=env or {}, clock=clock, seed=seed)


@pytest.fixture
def client(serve):
    return serve()


def read(client):
    """One /metrics read as {series: value}."""
    response = client.get("/metrics")
    assert response.status_code == 200
    pairs = (line.rsplit(" ", 1) for line in response.text.splitlines() if not line.startswith("#"))
    return {series: float(value) for series, value in pairs}


def values(client):
    """One /metrics read as short names (percent-scale cache from the old name)."""
    m = read(client)
    return {"cache": m[f"vllm_gpu_cache_usage_perc{MODEL}"],
            "running": m[f"vllm:num_requests_running{MODEL}"],
            "waiting": m[f"vllm:num_requests_waiting{MODEL}"],
            "throughput": m[f"vllm:avg_generation_throughput_toks_per_s{MODEL}"],
            "memory": m['gpu_memory_utilization{gpu="0"}'],
            "compute": m['gpu_compute_utilization{gpu="0"}']}


def ranges(client, reads=150):
    """(min, max) of each value over many reads."""
    seen = [values(client) for _ in range(reads)]
    return {key: (min(v[key] for v in seen), max(v[key] for v in seen)) for key in seen[0]}


def within(observed, low, high):
    return low <= observed[0] and observed[1] <= high


def test_metrics_serve_every_name_with_the_cache_as_a_fraction_and_in_percent(client):
    m = read(client)
    expected = {f"vllm:{n}{MODEL}" for n in ("gpu_cache_usage_perc", "num_requests_running",
                "num_requests_waiting", "avg_generation_throughput_toks_per_s")}
    expected |= {f"vllm_{n}{MODEL}" for n in ("gpu_cache_usage_perc", "num_requests_running",
                 "num_requests_waiting", "avg_generation_throughput_toks_per_s")}
    expected |= {'gpu_memory_utilization{gpu="0"}', 'gpu_compute_utilization{gpu="0"}'}
    assert set(m) == expected
    fraction, percent = m[f"vllm:gpu_cache_usage_perc{MODEL}"], m[f"vllm_gpu_cache_usage_perc{MODEL}"]
    assert 0 < fraction < 1
    assert fraction == pytest.approx(percent / 100)
    assert "# TYPE vllm:gpu_cache_usage_perc gauge" in client.get("/metrics").text


@pytest.mark.parametrize("hour, factor", [
    (10, 1.5), (15, 1.8), (23, 0.3), (3, 0.3), (9, 1.5), (11, 1.5), (12, 1.0), (14, 1.8),
    (17, 1.8), (18, 1.0), (22, 1.0), (0, 0.3), (6, 0.3), (7, 1.0),
])
def test_seasonal_factor_by_hour(hour, factor):
    assert program.seasonal_factor(hour) == factor


@pytest.mark.parametrize("hour, factor", [(10, 1.5), (15, 1.8), (23, 0.3), (3, 0.3)])
def test_set_time_sets_the_seasonal_factor(client, hour, factor):
    assert client.get(f"/set_time?hour={hour}&day=1").text == "OK"
    status = client.get("/status").json()
    assert (status["simulated_hour"], status["seasonal_factor"]) == (hour, factor)


def test_normal_at_hour_10_follows_the_morning_factor(client):
    r = ranges(client)  # f = 1.5 at the epoch's 10:00
    assert within(r["cache"], 65, 75) and within(r["running"], 10, 14)
    assert within(r["waiting"], 3, 6) and within(r["throughput"], 110, 130)
    assert within(r["memory"], 67.5, 77.5) and within(r["compute"], 65, 75)


def test_normal_at_night_is_low(client):
    client.get("/set_time?hour=3")
    r = ranges(client)  # f = 0.3
    assert within(r["cache"], 41, 51) and within(r["running"], 0, 4)
    assert within(r["throughput"], 14, 34)


def test_kv_pressure_ranges(client):
    assert client.get("/set_pattern?mode=kv_pressure").text == "OK"
    r = ranges(client)
    assert within(r["cache"], 85, 95) and within(r["running"], 17, 23)
    assert within(r["waiting"], 13, 20) and within(r["throughput"], 50, 70)
    assert within(r["memory"], 85, 95) and within(r["compute"], 80, 90)


def test_batch_spike_is_higher_in_the_first_half_of_its_duration(client, clock):
    client.get("/set_pattern?mode=batch_spike&duration=30")
    clock.now += 14.9
    first = ranges(client, reads=50)  # s = 2.5, clamped at 100
    assert within(first["cache"], 92.5, 100) and first["compute"] == (100, 100)
    assert first["running"] == (38, 38) and first["waiting"] == (20, 20)
    assert first["throughput"] == (175, 175) and first["memory"] == (97.5, 97.5)
    clock.now += 0.1
    second = ranges(client, reads=50)  # s = 1.5
    assert within(second["cache"], 77.5, 87.5) and second["compute"] == (80, 80)
    assert second["running"] == (23, 23) and second["throughput"] == (105, 105)


def test_traffic_drain_decreases_to_the_floor_and_stays(client, clock):
    client.get("/set_pattern?mode=traffic_drain&duration=100")
    seen = []
    for _ in range(6):
        seen.append(values(client)["throughput"])
        clock.now += 20
    assert seen == [80, 64, 48, 32, 16, 16]  # 80 d, d = max(0.2, 1 - elapsed/100)
    clock.now += 10_000
    assert values(client)["running"] == 2  # the pattern never ends: 10 x 0.2


def test_values_are_clamped(client):
    clamped = program.clamp({"gpu_cache": 104.2, "gpu_memory": -3, "gpu_compute": 50,
                             "requests_running": -1.4, "requests_waiting": 2.5, "throughput": -8})
    assert clamped == {"gpu_cache": 100, "gpu_memory": 0, "gpu_compute": 50,
                       "requests_running": 0, "requests_waiting": 3, "throughput": 0}


def test_set_switches_to_manual_with_the_cache_in_percent(client, clock):
    before = values(client)
    assert client.get("/set?gpu_cache=42&requests_running=7").text == "OK"
    for _ in range(3):
        clock.now += 30
        m = read(client)
        assert m[f"vllm:gpu_cache_usage_perc{MODEL}"] == 0.42
        assert m[f"vllm_gpu_cache_usage_perc{MODEL}"] == 42
        assert values(client) == dict(before, cache=42, running=7)
    assert client.get("/status").json()["pattern_mode"] == "manual"


def test_set_pattern_leaves_manual_mode(client):
    client.get("/set?gpu_cache=42")
    client.get("/set_pattern?mode=kv_pressure")
    assert values(client)["cache"] >= 85


def test_set_time_offset_runs_on_with_the_clock(client, clock):
    client.get("/set_time?hour=3&day=0")
    status = client.get("/status").json()
    assert (status["simulated_hour"], status["simulated_day"]) == (3, 0)
    clock.now += 3600
    status = client.get("/status").json()
    assert (status["simulated_hour"], status["simulated_day"]) == (4, 0)
    clock.now += 21 * 3600
    status = client.get("/status").json()
    assert (status["simulated_hour"], status["simulated_day"]) == (1, 1)


def test_set_time_without_day_keeps_the_simulated_day(client, clock):
    client.get("/set_time?hour=22&day=5")
    clock.now += 1800
    client.get("/set_time?hour=8")
    status = client.get("/status").json()
    assert (status["simulated_hour"], status["simulated_day"]) == (8, 5)


def test_without_set_time_the_simulated_time_is_the_clocks_utc_time(client, clock):
    status = client.get("/status").json()
    assert (status["simulated_hour"], status["simulated_day"]) == (10, 1)  # Monday 10:00
    clock.now += 2 * 86400 + 5 * 3600
    status = client.get("/status").json()
    assert (status["simulated_hour"], status["simulated_day"]) == (15, 3)


def test_simulated_time_changes_the_values(client):
    client.get("/set_time?hour=3")
    night = ranges(client, reads=40)["running"]
    client.get("/set_time?hour=15")
    peak = ranges(client, reads=40)["running"]
    assert night[1] < peak[0]


def test_the_same_seed_and_requests_give_the_same_values(serve, clock):
    a, b, other = serve(seed=7), serve(seed=7), serve(seed=8)
    from_env = serve(seed=None, env={"SEED": "7"})
    bodies = {name: [] for name in ("a", "b", "other", "env")}
    for step in range(5):
        for name, client in (("a", a), ("b", b), ("other", other), ("env", from_env)):
            client.get("/set_pattern?mode=kv_pressure" if step == 3 else "/health")
            bodies[name].append(client.get("/metrics").text)
        clock.now += 15
    assert bodies["a"] == bodies["b"] == bodies["env"]
    assert bodies["a"] != bodies["other"]
    assert len(set(bodies["a"])) == 5  # each read recomputes with fresh noise


def test_a_malformed_seed_fails_create_server():
    with pytest.raises(ValueError, match="SEED"):
        program.create_server("127.0.0.1", 0, env={"SEED": "forty-two"})


def test_status_reports_the_pattern_time_and_last_values(client, clock):
    client.get("/set_pattern?mode=batch_spike&duration=40")
    clock.now += 12.5
    last = values(client)
    status = client.get("/status").json()
    assert status["pattern_mode"] == "batch_spike"
    assert status["pattern_elapsed_seconds"] == 12.5
    assert status["pattern_duration_seconds"] == 40
    assert (status["simulated_hour"], status["simulated_day"], status["seasonal_factor"]) == (10, 1, 1.5)
    assert status["gpu_cache_usage"] == last["cache"]
    assert (status["requests_running"], status["requests_waiting"]) == (last["running"], last["waiting"])
    assert status["avg_generation_throughput_toks_per_s"] == last["throughput"]
    assert status["gpu_memory_utilization"] == last["memory"]
    assert status["gpu_compute_utilization"] == last["compute"]


@pytest.mark.parametrize("path, named", [
    ("/set_pattern", "mode"), ("/set_pattern?mode=bogus", "kv_pressure"),
    ("/set_pattern?mode=manual", "mode"), ("/set_pattern?mode=normal&duration=0", "duration"),
    ("/set_pattern?mode=normal&duration=-5", "duration"),
    ("/set_pattern?mode=normal&duration=abc", "duration"),
    ("/set_pattern?mode=normal&duration=inf", "duration"),
    ("/set_pattern?mode=normal&speed=2", "speed"),
    ("/set_time", "hour"), ("/set_time?hour=24", "hour"), ("/set_time?hour=-1", "hour"),
    ("/set_time?hour=1.5", "hour"), ("/set_time?hour=abc", "hour"),
    ("/set_time?hour=5&day=7", "day"), ("/set_time?hour=5&day=-1", "day"),
    ("/set_time?hour=5&day=", "day"),
    ("/set", "gpu_cache"), ("/set?gpu_cache=0.5&requests_running=x", "requests_running"),
    ("/set?gpu_cache=120", "gpu_cache"), ("/set?requests_waiting=-2", "requests_waiting"),
])
def test_bad_input_is_rejected_and_leaves_the_state_unchanged(client, path, named):
    client.get("/set_pattern?mode=kv_pressure&duration=90")
    client.get("/set_time?hour=15&day=2")
    before = client.get("/status").json()
    response = client.get(path)
    assert response.status_code == 400
    assert named in response.text
    assert client.get("/status").json() == before


def test_an_unknown_mode_lists_the_modes(client):
    text = client.get("/set_pattern?mode=spiky").text
    assert all(mode in text for mode in ("normal", "kv_pressure", "batch_spike", "traffic_drain"))


def test_unknown_paths_are_404_and_health_is_ok(client):
    assert client.get("/json").status_code == 404
    assert [client.get(p).text for p in ("/health", "/ready")] == ["OK", "OK"]

"""GPU awareness (§5.1): the DCGM parser as the controller reads it, the means, the status,
and the GPU step of BudScaler fed from a parsed exporter body, worked by hand."""
import pytest

from support.reference.budscaler import GPUMetrics, ScaleRequest, recommend
from support.reference.gpu import (DEFAULT_DCGM_URL, dcgm_url, gpu_metrics, gpu_status,
                                   learning_gpu_signals, parse_dcgm, reading_from_response)
from support.reference.metrics import snapshot
from support.reference.model import AS_BUILT, CONTRACT
from support.reference.scaling_context import ScalingContext
from support.reference.spec import ScalerSpec
from support.reference.stabilization import RecommendationWindow

A100 = 'gpu="0",UUID="GPU-abc123",modelName="NVIDIA A100"'


def body(*lines):
    return "\n".join(lines) + "\n"


def test_the_exporter_is_the_mock_service_in_the_scalers_namespace():
    assert dcgm_url("budspec-gpu-x1") == \
        "http://mock-dcgm-exporter.budspec-gpu-x1.svc.cluster.local:9400/metrics"
    assert dcgm_url("ns", "http://dcgm.monitoring:9400/metrics") == "http://dcgm.monitoring:9400/metrics"
    assert "{namespace}" in DEFAULT_DCGM_URL


def test_one_gpu_as_the_mock_serves_it():
    reading = parse_dcgm(body(
        "# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).",
        "# TYPE DCGM_FI_DEV_GPU_UTIL gauge",
        f"DCGM_FI_DEV_GPU_UTIL{{{A100}}} 50",
        f"DCGM_FI_DEV_FB_USED{{{A100}}} 20000",
        f"DCGM_FI_DEV_FB_TOTAL{{{A100}}} 40000"))
    for model in (CONTRACT, AS_BUILT):
        # memory 20000 / 40000 = 50 %
        assert gpu_metrics(reading, model) == GPUMetrics(50.0, 50.0, 1)


def test_means_over_gpus():
    # GPU 0: util 90, mem 36000/40000 = 90 %; GPU 1: util 30, mem 10000/40000 = 25 %
    # means: compute (90 + 30)/2 = 60, memory (90 + 25)/2 = 57.5
    reading = parse_dcgm(body(
        'DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-a"} 90',
        'DCGM_FI_DEV_GPU_UTIL{gpu="1",UUID="GPU-b"} 30',
        'DCGM_FI_DEV_FB_USED{gpu="0",UUID="GPU-a"} 36000',
        'DCGM_FI_DEV_FB_USED{gpu="1",UUID="GPU-b"} 10000',
        'DCGM_FI_DEV_FB_TOTAL{gpu="0",UUID="GPU-a"} 40000',
        'DCGM_FI_DEV_FB_TOTAL{gpu="1",UUID="GPU-b"} 40000'))
    assert gpu_metrics(reading, CONTRACT) == GPUMetrics(57.5, 60.0, 2)


def test_utilisation_needs_the_gpu_label_before_a_uuid():
    reading = parse_dcgm(body(
        'DCGM_FI_DEV_GPU_UTIL{UUID="GPU-a",gpu="0"} 90',    # UUID first: ignored
        'DCGM_FI_DEV_GPU_UTIL{gpu="1"} 80',                  # no UUID: ignored
        'DCGM_FI_DEV_GPU_UTIL{gpu="2",device="nvidia2",UUID="GPU-c"} 70',
        'DCGM_FI_DEV_FB_USED{gpu="1"} 100',                  # memory needs no UUID
        'DCGM_FI_DEV_FB_TOTAL{gpu="1"} 400'))
    # GPUs seen: 2 (util 70, no memory) and 1 (util 0, memory 25 %); GPU 0 never counted
    assert [d.index for d in reading.devices] == ["2", "1"]
    assert gpu_metrics(reading, CONTRACT) == GPUMetrics(12.5, 35.0, 2)


@pytest.mark.parametrize("value", ["-5", "1e+02", "+50", "NaN", "50%", "1.2.3"])
def test_values_must_be_plain_digits_and_dots(value):
    reading = parse_dcgm(body(f"DCGM_FI_DEV_GPU_UTIL{{{A100}}} {value}"))
    assert reading.devices == ()


def test_a_later_line_overwrites_the_same_gauge_of_the_same_gpu():
    reading = parse_dcgm(body(f"DCGM_FI_DEV_GPU_UTIL{{{A100}}} 10",
                              f"DCGM_FI_DEV_GPU_UTIL{{{A100}}} 95"))
    assert gpu_metrics(reading, CONTRACT) == GPUMetrics(0.0, 95.0, 1)


def test_other_metrics_and_names_that_merely_start_alike_are_ignored():
    reading = parse_dcgm(body('DCGM_FI_DEV_GPU_UTILX{gpu="0",UUID="u"} 10',
                              'DCGM_FI_DEV_SM_CLOCK{gpu="0",UUID="u"} 1410',
                              "  ", "# comment"))
    assert reading.devices == ()


def test_real_exporter_publishes_free_memory_not_total():
    # dcgm-exporter defaults: FB_USED 30000, FB_FREE 9000, FB_RESERVED 1000 (MiB)
    # contract: 30000 / (30000 + 9000 + 1000) = 75 %; as built no FB_TOTAL -> 0 %
    reading = parse_dcgm(body(f"DCGM_FI_DEV_GPU_UTIL{{{A100}}} 40",
                              f"DCGM_FI_DEV_FB_USED{{{A100}}} 30000",
                              f"DCGM_FI_DEV_FB_FREE{{{A100}}} 9000",
                              f"DCGM_FI_DEV_FB_RESERVED{{{A100}}} 1000"))
    assert gpu_metrics(reading, CONTRACT) == GPUMetrics(75.0, 40.0, 1)
    assert gpu_metrics(reading, AS_BUILT) == GPUMetrics(0.0, 40.0, 1)


def test_total_wins_over_free_when_both_are_published():
    reading = parse_dcgm(body(f"DCGM_FI_DEV_FB_USED{{{A100}}} 10000",
                              f"DCGM_FI_DEV_FB_FREE{{{A100}}} 10000",
                              f"DCGM_FI_DEV_FB_TOTAL{{{A100}}} 40000"))
    assert gpu_metrics(reading, CONTRACT).memory_utilization == 25.0


def test_empty_answer_is_zero_gpus_and_errors_are_no_reading():
    empty = reading_from_response(200, "")
    assert gpu_metrics(empty, CONTRACT) == GPUMetrics(0.0, 0.0, 0)
    assert reading_from_response(503, f"DCGM_FI_DEV_GPU_UTIL{{{A100}}} 50") is None
    assert reading_from_response(None, "") is None
    assert gpu_metrics(None, CONTRACT) is None


def test_gpu_status_contract_and_as_built():
    reading = parse_dcgm(body(
        'DCGM_FI_DEV_GPU_UTIL{gpu="1",UUID="GPU-b",modelName="NVIDIA H100"} 33',
        'DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-a",modelName="NVIDIA A100"} 66',
        'DCGM_FI_DEV_FB_USED{gpu="0"} 1', 'DCGM_FI_DEV_FB_TOTAL{gpu="0"} 3',
        'DCGM_FI_DEV_FB_USED{gpu="1"} 2', 'DCGM_FI_DEV_FB_TOTAL{gpu="1"} 3'))
    # memory (33.33 + 66.67)/2 = 49.999... -> 50, compute (33 + 66)/2 = 49.5 -> 50 (half away
    # from zero); the type of GPU 0, though GPU 1 came first
    assert gpu_status(reading, CONTRACT) == {
        "averageMemoryUtilization": 50, "averageComputeUtilization": 50, "totalGPUs": 2,
        "gpuType": "NVIDIA A100"}
    assert gpu_status(reading, AS_BUILT) is None
    assert gpu_status(None, CONTRACT) is None
    assert gpu_status(parse_dcgm(""), CONTRACT) == {
        "averageMemoryUtilization": 0, "averageComputeUtilization": 0, "totalGPUs": 0}


def test_learning_gets_the_gpu_utilisations():
    assert learning_gpu_signals(GPUMetrics(80.0, 60.0, 2)) == {
        "gpu_memory_utilization": 80.0, "gpu_compute_utilization": 60.0}
    assert learning_gpu_signals(None) == {}


# --- the GPU step of BudScaler (§4.3 step 2), fed from an exporter body -------------------

def gpu_request(exporter_body, current, load, model=CONTRACT, mem=70, comp=80):
    spec = ScalerSpec.from_object({"spec": {
        "scaleTargetRef": {"kind": "Deployment", "name": "llm"}, "minReplicas": 1, "maxReplicas": 10,
        "metricsSources": [{"metricSourceType": "pod", "targetMetric": "kv", "targetValue": "0.7"}],
        "gpuConfig": {"enabled": True, "gpuMemoryThreshold": mem, "gpuComputeThreshold": comp}}})
    gpu = gpu_metrics(reading_from_response(200, exporter_body), model)
    req = ScaleRequest(spec, ScalingContext.build(spec, {}), current, current, 0,
                       {"kv": snapshot([load])}, 1_000_000.0, None, gpu=gpu)
    return recommend(req, model, RecommendationWindow())


def gauges(util, used, total=40000):
    return body(f"DCGM_FI_DEV_GPU_UTIL{{{A100}}} {util}", f"DCGM_FI_DEV_FB_USED{{{A100}}} {used}",
                f"DCGM_FI_DEV_FB_TOTAL{{{A100}}} {total}")


def test_memory_pressure_raises_the_recommendation():
    # load at target: metric keeps 2; memory 36000/40000 = 90 %, 90/70 = 1.2857
    # gpuCalc = ceil(2 x 1.2857) = 3 > 2
    result = gpu_request(gauges(50, 36000), current=2, load=0.7)
    assert result.replicas == 3
    assert result.reason == "BudScaler: Scaling up from 2 to 3 replicas (GPU mem: 90.0%, compute: 50.0%)"


def test_compute_utilisation_raises_the_recommendation():
    # compute 100/80 = 1.25, memory 20000/40000 = 50 % -> 0.714; ceil(3 x 1.25) = 4
    assert gpu_request(gauges(100, 20000), current=3, load=0.7).replicas == 4


def test_below_both_thresholds_changes_nothing_and_never_lowers():
    # ratios 0.5/0.7 and 10/80: gpuCalc ceil(2 x 0.714) = 2, not above the metric's 2
    assert gpu_request(gauges(10, 20000), current=2, load=0.7).replicas == 2
    # load 1.0 at 2 -> metric 3 (ceil 2 x 1.343); idle GPUs do not pull it down
    assert gpu_request(gauges(0, 0), current=2, load=1.0).replicas == 3


def test_free_memory_form_only_counts_under_the_contract():
    real = body(f"DCGM_FI_DEV_GPU_UTIL{{{A100}}} 40", f"DCGM_FI_DEV_FB_USED{{{A100}}} 36000",
                f"DCGM_FI_DEV_FB_FREE{{{A100}}} 4000")
    # contract: memory 90 % -> ceil(2 x 90/70) = 3; as built 0 % -> compute 40/80 -> 1, metric 2
    assert gpu_request(real, current=2, load=0.7, model=CONTRACT).replicas == 3
    assert gpu_request(real, current=2, load=0.7, model=AS_BUILT).replicas == 2

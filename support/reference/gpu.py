"""GPU awareness (catalogue §5.1): reading a DCGM exporter, and status.gpuStatus.

The controller GETs one DCGM exporter per scaler namespace and reads three gauges,
line by line (trimmed; blank and ``#`` lines skipped):

- ``DCGM_FI_DEV_GPU_UTIL{... gpu="<n>" ... UUID="<u>" ...} <v>``: compute utilisation
  in percent; the ``gpu`` label must come before ``UUID``, a line without ``UUID`` is
  ignored;
- ``DCGM_FI_DEV_FB_USED{... gpu="<n>" ...} <v>`` and ``DCGM_FI_DEV_FB_TOTAL{...}``:
  framebuffer used / total in MiB.

Values must be plain ``[0-9.]+`` (no sign, no exponent; anything else skips the line).
GPUs are keyed by the ``gpu`` label and a later line of the same gauge and GPU
overwrites an earlier one. Memory utilisation of a GPU is ``used / total x 100``
(0 without a total); the scaler sees the means over GPUs (0 with no GPU: an empty
200 answer is a reading of zero GPUs). A failed request or a non-200 answer is no
reading, and the GPU step is skipped.

Contract decisions where §7.15 says the code departs:

- **Memory total.** Real dcgm-exporters publish ``DCGM_FI_DEV_FB_FREE`` (and
  ``FB_RESERVED``), not ``FB_TOTAL``. The contract reads the total from ``FB_TOTAL``
  when published, else as ``FB_USED + FB_FREE + FB_RESERVED``, so memory pressure
  is seen on a real exporter. As built (quirk ``dcgm-needs-fb-total``) only
  ``FB_TOTAL`` counts, and with ``FB_FREE`` the memory utilisation reads 0.
- **Where the exporter is.** No CRD field names it (the README's
  ``gpuConfig.dcgmEndpoint`` does not exist; the Helm value ``gpu.dcgmEndpoint`` is
  never read). The contract keeps the code's address, the Service
  ``mock-dcgm-exporter`` on port 9400 in the scaler's namespace
  (:data:`DEFAULT_DCGM_URL`); an operator may be configured with another template.
- **status.gpuStatus** is written under the contract (means rounded to whole
  percent, half away from zero; GPU count; the ``modelName`` of the lowest-numbered GPU
  that has one); as built it never is (quirk
  ``gpu-status-never-written``, which also covers the GPU type never being parsed).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .budscaler import GPUMetrics
from .gomath import go_int, go_round
from .model import Model

DEFAULT_DCGM_URL = "http://mock-dcgm-exporter.{namespace}.svc.cluster.local:9400/metrics"
TIMEOUT_SECONDS = 10.0

GPU_UTIL = "DCGM_FI_DEV_GPU_UTIL"
FB_USED = "DCGM_FI_DEV_FB_USED"
FB_TOTAL = "DCGM_FI_DEV_FB_TOTAL"
FB_FREE = "DCGM_FI_DEV_FB_FREE"
FB_RESERVED = "DCGM_FI_DEV_FB_RESERVED"
_GAUGES = (GPU_UTIL, FB_USED, FB_TOTAL, FB_FREE, FB_RESERVED)

_LINE = re.compile(r"^(?P<name>[A-Za-z_:][A-Za-z0-9_:]*)\{(?P<labels>[^}]*)\}\s+(?P<value>\S+)$")
_LABEL = re.compile(r'(?P<key>[A-Za-z_][A-Za-z0-9_]*)="(?P<value>[^"]*)"')
_PLAIN = re.compile(r"[0-9.]+")


def dcgm_url(namespace: str, template: str = DEFAULT_DCGM_URL) -> str:
    """The exporter address the controller reads for a scaler in ``namespace``."""
    return template.format(namespace=namespace)


@dataclass
class GPUDevice:
    """What one exporter said about one GPU (gauges it did not publish are None)."""

    index: str
    model_name: str = ""
    gauges: dict[str, float] = field(default_factory=dict)

    def utilization(self) -> float:
        return self.gauges.get(GPU_UTIL, 0.0)

    def memory_utilization(self, model: Model) -> float:
        """Framebuffer used over total, in percent; 0 when there is no total."""
        used = self.gauges.get(FB_USED, 0.0)
        total = self.gauges.get(FB_TOTAL, 0.0)
        if total <= 0 and FB_FREE in self.gauges and not model.has("dcgm-needs-fb-total"):
            total = used + self.gauges[FB_FREE] + self.gauges.get(FB_RESERVED, 0.0)
        return used / total * 100 if total > 0 else 0.0


@dataclass(frozen=True)
class DcgmReading:
    """One successful scrape: the GPUs in the order the exporter first named them."""

    devices: tuple[GPUDevice, ...]


def parse_dcgm(text: str) -> DcgmReading:
    """Parse an exporter's /metrics body as the controller does (see the module notes)."""
    devices: dict[str, GPUDevice] = {}
    for raw in text.splitlines():
        match = _LINE.match(raw.strip())    # comments ("# ...") and blank lines match nothing
        if match is None or match["name"] not in _GAUGES or not _PLAIN.fullmatch(match["value"]):
            continue
        labels = _labels(match["labels"])
        if labels is None or not _gpu_label_ok(match["name"], labels):
            continue
        try:
            value = float(match["value"])
        except ValueError:  # "1.2.3" is [0-9.]+ but not a number
            continue
        index = labels[0][1]
        device = devices.setdefault(index, GPUDevice(index))
        device.gauges[match["name"]] = value
        model_name = dict(labels).get("modelName")
        if model_name and not device.model_name:
            device.model_name = model_name
    return DcgmReading(tuple(devices.values()))


def _labels(block: str) -> list[tuple[str, str]] | None:
    """The (key, value) pairs from the ``gpu`` label on, or None without a ``gpu`` label."""
    pairs = [(m["key"], m["value"]) for m in _LABEL.finditer(block)]
    for at, (key, value) in enumerate(pairs):
        if key == "gpu" and value.isdigit():
            return pairs[at:]
    return None


def _gpu_label_ok(name: str, labels_from_gpu: list[tuple[str, str]]) -> bool:
    """Utilisation lines need a UUID label after the gpu label; memory lines do not."""
    return name != GPU_UTIL or any(key == "UUID" for key, _ in labels_from_gpu[1:])


def reading_from_response(status_code: int | None, body: str) -> DcgmReading | None:
    """The reading of one exporter request; None (GPU step skipped) unless it answered 200.

    ``status_code`` is None when the request itself failed (no Service, refused, timed out).
    """
    return parse_dcgm(body) if status_code == 200 else None


def gpu_metrics(reading: DcgmReading | None, model: Model) -> GPUMetrics | None:
    """What BudScaler's GPU step gets: means over the GPUs (0 with none); None without a reading."""
    return None if reading is None else _averages(reading.devices, model)


def _averages(devices: tuple[GPUDevice, ...], model: Model) -> GPUMetrics:
    if not devices:
        return GPUMetrics(0.0, 0.0, 0)
    memory = sum(d.memory_utilization(model) for d in devices) / len(devices)
    compute = sum(d.utilization() for d in devices) / len(devices)
    return GPUMetrics(memory, compute, len(devices))


def gpu_status(reading: DcgmReading | None, model: Model) -> dict | None:
    """``status.gpuStatus`` to write, or None to leave it out (no reading, or as built)."""
    if reading is None or model.has("gpu-status-never-written"):
        return None
    metrics = _averages(reading.devices, model)
    status = {"averageMemoryUtilization": go_int(go_round(metrics.memory_utilization)),
              "averageComputeUtilization": go_int(go_round(metrics.compute_utilization)),
              "totalGPUs": metrics.gpu_count}
    gpu_type = next((d.model_name for d in _by_index(reading.devices) if d.model_name), "")
    if gpu_type:
        status["gpuType"] = gpu_type
    return status


def _by_index(devices: tuple[GPUDevice, ...]) -> list[GPUDevice]:
    return sorted(devices, key=lambda d: int(d.index))


def learning_gpu_signals(metrics: GPUMetrics | None) -> dict[str, float]:
    """The GPU utilisations the controller copies into the learning feedback (§5.1, §5.5)."""
    if metrics is None:
        return {}
    return {"gpu_memory_utilization": metrics.memory_utilization,
            "gpu_compute_utilization": metrics.compute_utilization}

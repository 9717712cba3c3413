"""Reading a DCGM exporter at its edges (§5.1): label order, lines to skip, the model name, memory forms.

Written against the survivors of `make mutation` in support/reference/gpu.py.
"""

import pytest

from support.reference.gpu import gpu_status, parse_dcgm
from support.reference.model import CONTRACT


def body(*lines):
    return "\n".join(lines) + "\n"


def memory(reading, index="0"):
    return next(d for d in reading.devices if d.index == index).memory_utilization(CONTRACT)


def test_the_gpu_label_is_found_even_after_other_numeric_labels():
    reading = parse_dcgm(body('DCGM_FI_DEV_FB_USED{device="3",gpu="0"} 100',
                              'DCGM_FI_DEV_FB_TOTAL{device="3",gpu="0"} 400'))
    assert [d.index for d in reading.devices] == ["0"]


def test_a_line_it_cannot_use_does_not_end_the_reading():
    reading = parse_dcgm(body('DCGM_FI_DEV_SM_CLOCK{gpu="0"} 1400',
                              'DCGM_FI_DEV_FB_USED{gpu="0"} 1.2.3',
                              'DCGM_FI_DEV_FB_USED{gpu="0"} 100',
                              'DCGM_FI_DEV_FB_TOTAL{gpu="0"} 400'))
    assert memory(reading) == 25.0


def test_the_first_model_name_of_a_gpu_stays_and_the_lowest_named_gpu_gives_the_type():
    reading = parse_dcgm(body('DCGM_FI_DEV_FB_USED{gpu="1"} 100',
                              'DCGM_FI_DEV_FB_USED{gpu="0",modelName="NVIDIA A100"} 100',
                              'DCGM_FI_DEV_FB_TOTAL{gpu="0",modelName="NVIDIA H100"} 400',
                              'DCGM_FI_DEV_FB_TOTAL{gpu="1"} 400'))
    assert gpu_status(reading, CONTRACT)["gpuType"] == "NVIDIA A100"
    unnamed_first = parse_dcgm(body('DCGM_FI_DEV_FB_USED{gpu="0"} 1', 'DCGM_FI_DEV_FB_USED{gpu="1",modelName="L4"} 1'))
    assert gpu_status(unnamed_first, CONTRACT)["gpuType"] == "L4"


def test_the_status_reads_free_memory_under_the_contract():
    reading = parse_dcgm(body('DCGM_FI_DEV_FB_USED{gpu="0"} 100', 'DCGM_FI_DEV_FB_FREE{gpu="0"} 300'))
    assert gpu_status(reading, CONTRACT)["averageMemoryUtilization"] == 25


@pytest.mark.parametrize("lines, percent", [
    (['DCGM_FI_DEV_FB_TOTAL{gpu="0"} 400'], 0.0),                                  # nothing used
    (['DCGM_FI_DEV_FB_USED{gpu="0"} 100', 'DCGM_FI_DEV_FB_FREE{gpu="0"} 300'], 25.0),  # no reserved line
    (['DCGM_FI_DEV_FB_USED{gpu="0"} 1', 'DCGM_FI_DEV_FB_TOTAL{gpu="0"} 1',
      'DCGM_FI_DEV_FB_FREE{gpu="0"} 3'], 100.0),                                   # a total of 1 is a total
])
def test_memory_utilisation_in_each_form(lines, percent):
    assert memory(parse_dcgm(body(*lines))) == percent

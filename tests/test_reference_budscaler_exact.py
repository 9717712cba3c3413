"""BudScaler's damping when it lands back on the current count: no rate limit applies then, even a rate that (as
built) points the other way."""
from hamcrest import assert_that, equal_to

from support.reference.budscaler import desired_for_metric
from support.reference.model import model_named
from support.reference.scaling_context import ScalingContext

REVERSED = model_named("as-built", ["rate-reverses-direction"])


def test_a_damped_count_equal_to_the_current_one_is_not_rate_limited():
    # ratio 0.9 outside a 5 % scale-down tolerance: round(4 x (1 - 0.5 x 0.1)) = round(3.8) = 4, the current count
    slow_up = ScalingContext(1, 10, scale_down_tolerance=0.05, max_scale_up_rate=0.5)
    assert_that(desired_for_metric(0.9, 4, 4, slow_up, REVERSED), equal_to(4),
                "not capped at ceil(4 x 0.5) = 2 by the (reversed) scale-up rate")
    fast_down = ScalingContext(1, 10, scale_down_tolerance=0.05, max_scale_down_rate=2.0)
    assert_that(desired_for_metric(0.9, 4, 4, fast_down, REVERSED), equal_to(4),
                "not raised to floor(4 x 2) = 8 by the (reversed) scale-down rate")

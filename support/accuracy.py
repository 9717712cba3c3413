"""The suite's own accuracy arithmetic over recorded (time, predicted, actual) samples.

Independent of the controller: the suite records what was predicted and what
happened, computes MAE, MAPE and direction accuracy itself, and compares with
the controller's ``learningStatus`` strings (parsed by ``parse_percent`` /
``parse_number``). Functions take items that are either ``(predicted, actual)``
pairs or ``Sample``s (only the last two fields are read). An empty input gives
None, never a made-up 0.

MAPE conventions:
* ``mape``: samples whose actual is 0 have no percentage error and are left
  out; if every actual is 0 the result is None.
* ``mape_controller_style``: like the controller, a sample with actual 0
  counts as 0 % error.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, NamedTuple, Sequence

DEFAULT_ALPHA = 0.1


class Sample(NamedTuple):
    time: float  # epoch seconds
    predicted: float
    actual: float


def _pairs(items: Iterable[Sequence[float]]) -> list[tuple[float, float]]:
    return [(float(item[-2]), float(item[-1])) for item in items]


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def mae(pairs: Iterable[Sequence[float]]) -> float | None:
    """Mean absolute error; None for no samples."""
    return _mean([abs(p - a) for p, a in _pairs(pairs)])


def mape(pairs: Iterable[Sequence[float]]) -> float | None:
    """Mean absolute percentage error in percent, over samples with actual ≠ 0."""
    return _mean([abs(p - a) / abs(a) * 100 for p, a in _pairs(pairs) if a != 0])


def controller_pct_error(predicted: float, actual: float) -> float:
    """The controller's per-sample percentage error: 0 when actual is 0."""
    return abs(predicted - actual) / actual * 100 if actual > 0 else 0.0


def mape_controller_style(pairs: Iterable[Sequence[float]]) -> float | None:
    """Plain mean of the controller's percentage errors (actual 0 -> 0 %)."""
    return _mean([controller_pct_error(p, a) for p, a in _pairs(pairs)])


def _direction(before: float, after: float) -> int:
    return (after > before) - (after < before)


def direction_accuracy(series: Iterable[Sequence[float]]) -> float | None:
    """Fraction of steps whose predicted direction matches the actual one.

    For each sample after the first, directions are taken from the previous
    sample's actual value; a step is correct iff the directions are equal or
    predicted == actual (the controller's rule). None with fewer than 2 samples.
    """
    pairs = _pairs(series)
    steps = [(pairs[i - 1][1], *pairs[i]) for i in range(1, len(pairs))]
    correct = [p == a or _direction(before, p) == _direction(before, a)
               for before, p, a in steps]
    return _mean([1.0 if ok else 0.0 for ok in correct])


def direction_accuracy_from(triples: Iterable[Sequence[float]]) -> float | None:
    """Direction accuracy over (before, predicted, actual): the controller's rule with an explicit 'before'.

    `before` is what ran when the prediction was made; a prediction is right when it moves
    the same way from there as what then ran did, or when it was exactly right.
    """
    checks = [p == a or _direction(b, p) == _direction(b, a) for b, p, a in triples]
    return _mean([1.0 if ok else 0.0 for ok in checks])


def ewma(values: Iterable[float], alpha: float = DEFAULT_ALPHA) -> float | None:
    """Exponentially weighted mean; the first value is taken as-is. None if empty."""
    result = None
    for value in values:
        result = value if result is None else alpha * value + (1 - alpha) * result
    return result


def parse_percent(text: str) -> float:
    """``"66.7%"`` -> 66.7; anything else -> ValueError naming the value."""
    if not isinstance(text, str) or not text.endswith("%"):
        raise ValueError(f"not a percentage like '66.7%': {text!r}")
    return _finite(text[:-1], text)


def parse_number(text: str) -> float:
    """``"0.38"`` -> 0.38; anything else -> ValueError naming the value."""
    if not isinstance(text, str):
        raise ValueError(f"not a number: {text!r}")
    return _finite(text, text)


def _finite(body: str, original: str) -> float:
    try:
        value = float(body) if body == body.strip() else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {original!r}")
    return value


@dataclass(frozen=True)
class AccuracySummary:
    samples: int
    mae: float | None
    mape: float | None
    mape_controller_style: float | None
    direction_accuracy: float | None
    ewma_mae: float | None
    ewma_mape: float | None

    @classmethod
    def of(cls, samples: Sequence[Sequence[float]],
           befores: Sequence[float] | None = None) -> "AccuracySummary":
        """Summary of samples; with `befores` (what ran at each prediction) direction uses them."""
        pairs = _pairs(samples)
        direction = (direction_accuracy(pairs) if befores is None
                     else direction_accuracy_from((b, p, a) for b, (p, a) in zip(befores, pairs)))
        return cls(len(pairs), mae(pairs), mape(pairs), mape_controller_style(pairs),
                   direction,
                   ewma(abs(p - a) for p, a in pairs),
                   ewma(controller_pct_error(p, a) for p, a in pairs))

    def table(self) -> str:
        """A fixed-width two-column table for printing."""
        rows = [
            ("samples", str(self.samples)),
            ("MAE (replicas)", _fmt(self.mae, "{:.2f}")),
            ("MAPE, actual > 0", _fmt(self.mape, "{:.2f}%")),
            ("MAPE, controller style", _fmt(self.mape_controller_style, "{:.2f}%")),
            ("direction accuracy", _fmt(self.direction_accuracy, "{:.1%}")),
            ("EWMA MAE (alpha 0.1)", _fmt(self.ewma_mae, "{:.2f}")),
            ("EWMA MAPE (alpha 0.1)", _fmt(self.ewma_mape, "{:.2f}%")),
        ]
        return "\n".join(f"{name:<24}{value:>10}" for name, value in rows)


def _fmt(value: float | None, pattern: str) -> str:
    return "n/a" if value is None else pattern.format(value)

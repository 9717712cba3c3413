"""Phrase types the sentences share: durations ("90 seconds", "3 minutes") and percentages ("85%").

Loaded first (the underscore sorts before the step modules) so every pattern can use them.
"""

from behave import register_type
from parse import with_pattern

from support.phrases import parse_duration, parse_percent


@with_pattern(r"\d+(?:\.\d+)?\s+(?:seconds?|minutes?|hours?)")
def _duration(text: str) -> float:
    return parse_duration(text)


@with_pattern(r"\d+(?:\.\d+)?%")
def _percent(text: str) -> float:
    return parse_percent(text)


register_type(Duration=_duration, Percent=_percent)

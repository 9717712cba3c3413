"""PyHamcrest matchers in the suite's own words."""

from __future__ import annotations

from typing import Any, Sequence

from hamcrest import all_of, greater_than_or_equal_to, less_than_or_equal_to, only_contains
from hamcrest.core.base_matcher import BaseMatcher
from hamcrest.core.description import Description
from hamcrest.core.matcher import Matcher


class _AllEqual(BaseMatcher):
    def __init__(self, names: Sequence[str]):
        self._names = names

    def _matches(self, item: Sequence[Any]) -> bool:
        return len(set(item)) == 1

    def describe_to(self, description: Description) -> None:
        description.append_text(" = ".join(self._names) + " (all equal)")

    def describe_mismatch(self, item: Sequence[Any], description: Description) -> None:
        description.append_text(", ".join(f"{n} {v!r}" for n, v in zip(self._names, item)))


def all_equal(*names: str) -> Matcher:
    """Matches a tuple whose values are all the same; `names` label them in messages."""
    return _AllEqual(names)


def between(low: int, high: int) -> Matcher:
    return all_of(greater_than_or_equal_to(low), less_than_or_equal_to(high))


def each_between(low: int, high: int) -> Matcher:
    """Every value of a sequence lies in [low, high]."""
    return only_contains(between(low, high))


class _NumberText(BaseMatcher):
    """A number written as text (as status fields such as "0.84" are), whose value `matcher` matches."""

    def __init__(self, matcher: Matcher):
        self._matcher = matcher

    def _matches(self, item: Any) -> bool:
        try:
            return self._matcher.matches(float(item))
        except (TypeError, ValueError):
            return False

    def describe_to(self, description: Description) -> None:
        description.append_text("a number written as text that is ").append_description_of(self._matcher)


def number_text(matcher: Matcher) -> Matcher:
    return _NumberText(matcher)

"""Label and field selectors (`labelSelector=`, `fieldSelector=`), and a LabelSelector's string form."""

from __future__ import annotations

import re
from typing import Callable

from support.localcluster.apiserver.tables import jsonpath
from support.localcluster.errors import bad_request

_SET_TERM = re.compile(r"^([\w./-]+)\s+(in|notin)\s*\(([^)]*)\)$")
_EQ_TERM = re.compile(r"^([\w./-]+)\s*(==|=|!=)\s*([\w.\-]*)$")
_EXISTS_TERM = re.compile(r"^(!?)\s*([\w./-]+)$")


def _split_terms(selector: str) -> list[str]:
    terms, depth, current = [], 0, ""
    for char in selector:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            terms.append(current.strip())
            current = ""
        else:
            current += char
    terms.append(current.strip())
    return [t for t in terms if t]


def parse_label_selector(selector: str) -> Callable[[dict], bool]:
    """A predicate over a labels dict for `a=b,c!=d,e in (f,g),h notin (i),j,!k`."""
    checks = [_label_term(term) for term in _split_terms(selector)]
    return lambda labels: all(check(labels) for check in checks)


def _label_term(term: str) -> Callable[[dict], bool]:
    if match := _SET_TERM.match(term):
        key, op, values = match.groups()
        wanted = {v.strip() for v in values.split(",") if v.strip()}
        if op == "in":
            return lambda labels: labels.get(key) in wanted
        return lambda labels: labels.get(key) not in wanted
    if match := _EQ_TERM.match(term):
        key, op, value = match.groups()
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if match := _EXISTS_TERM.match(term):
        negate, key = match.groups()
        return lambda labels: (key in labels) != bool(negate)
    raise bad_request(f"unable to parse requirement: {term!r}")


def parse_field_selector(selector: str) -> Callable[[dict], bool]:
    """A predicate over an object for `metadata.name=x,status.phase!=Running` (any dotted path)."""
    checks = []
    for term in _split_terms(selector):
        match = re.match(r"^([\w.\-]+)\s*(==|=|!=)\s*(.*)$", term)
        if not match:
            raise bad_request(f"invalid field selector: {term!r}")
        checks.append(_field_term(*match.groups()))
    return lambda obj: all(check(obj) for check in checks)


def _field_term(path: str, op: str, value: str) -> Callable[[dict], bool]:
    def check(obj: dict) -> bool:
        found = jsonpath(obj, "." + path)
        actual = "" if not found or found[0] is None else str(found[0])
        return (actual == value) != (op == "!=")
    return check



def selector_string(selector: dict | None) -> str:
    """A LabelSelector (matchLabels + matchExpressions) as `a=b,c in (d,e),!f` (what Scale status reports)."""
    selector = selector or {}
    terms = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values") or []
        if operator in ("In", "NotIn"):
            terms.append(f"{key} {operator.lower()} ({','.join(sorted(values))})")
        elif operator == "Exists":
            terms.append(key)
        elif operator == "DoesNotExist":
            terms.append(f"!{key}")
    return ",".join(terms)

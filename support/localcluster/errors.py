"""Errors as the Kubernetes API reports them: `ApiError` renders as a `Status` object.

The store raises them, the API server answers with them, and the in-process
controllers and the node agent see them through `access.ClusterAccess`.
"""

from __future__ import annotations


class ApiError(Exception):
    """An error the API server returns as a Kubernetes `Status` object."""

    def __init__(self, code: int, reason: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def status(self) -> dict:
        status = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                  "message": self.message, "reason": self.reason, "code": self.code}
        if self.details:
            status["details"] = self.details
        return status


def not_found(kind: str, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{kind.lower()}s "{name}" not found')


def already_exists(kind: str, name: str) -> ApiError:
    return ApiError(409, "AlreadyExists", f'{kind.lower()}s "{name}" already exists')


def conflict(kind: str, name: str) -> ApiError:
    return ApiError(409, "Conflict", f'Operation cannot be fulfilled on {kind.lower()}s "{name}": '
                                     "the object has been modified; please apply your changes to the latest version "
                                     "and try again")


def invalid(kind: str, name: str, detail: str) -> ApiError:
    return ApiError(422, "Invalid", f'{kind} "{name}" is invalid: {detail}')


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def gone(since: int, oldest: int) -> ApiError:
    """A watch from a resourceVersion older than the history window (kube-apiserver's wording)."""
    return ApiError(410, "Expired", f"too old resource version: {since} ({oldest})")

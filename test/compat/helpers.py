"""Shared helpers for the compatibility tests (raw HTTP and MLflow error assertions)."""

from __future__ import annotations

import contextlib
import time
from typing import Any, Iterator

import pytest
import requests

PREFIXES = ["/api/2.0/mlflow", "/ajax-api/2.0/mlflow"]


class Api:
    """Raw HTTP against one Cairn, under either MLflow prefix."""

    def __init__(self, base: str):
        self.base = base
        self.session = requests.Session()

    def url(self, path: str, prefix: str = PREFIXES[0]) -> str:
        return f"{self.base}{prefix}/{path.lstrip('/')}"

    def get(self, path: str, params: Any = None, prefix: str = PREFIXES[0], **kw) -> requests.Response:
        return self.session.get(self.url(path, prefix), params=params, timeout=30, **kw)

    def post(self, path: str, json: Any = None, prefix: str = PREFIXES[0], **kw) -> requests.Response:
        return self.session.post(self.url(path, prefix), json=json, timeout=30, **kw)

    def request(self, method: str, path: str, prefix: str = PREFIXES[0], **kw) -> requests.Response:
        return self.session.request(method, self.url(path, prefix), timeout=30, **kw)


def assert_error(res: requests.Response, status: int, code: str) -> dict:
    """MLflow's error shape: the exact status and error_code, and a message."""
    assert res.status_code == status, f"expected {status} {code}, got {res.status_code}: {res.text[:500]}"
    try:
        body = res.json()
    except ValueError:
        raise AssertionError(f"error body is not JSON: {res.text[:500]!r}") from None
    assert body.get("error_code") == code, f"expected error_code {code}, got {body}"
    assert isinstance(body.get("message"), str) and body["message"], f"error without a message: {body}"
    return body


def assert_ok(res: requests.Response) -> dict:
    assert res.status_code == 200, f"expected 200, got {res.status_code}: {res.text[:500]}"
    return res.json()


def error_code(exc: BaseException) -> str | None:
    """The MLflow error code carried by an MlflowException (e.g. 'INVALID_PARAMETER_VALUE')."""
    return getattr(exc, "error_code", None)


@contextlib.contextmanager
def raises_mlflow(code: str) -> Iterator[pytest.ExceptionInfo]:
    """pytest.raises for an MlflowException carrying that error_code."""
    from mlflow.exceptions import MlflowException

    with pytest.raises(MlflowException) as excinfo:
        yield excinfo
    got = error_code(excinfo.value)
    assert got == code, f"expected error_code {code}, got {got}: {excinfo.value}"


def now_ms() -> int:
    return int(time.time() * 1000)

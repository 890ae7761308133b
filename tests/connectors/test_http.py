"""The shared HTTP client: paging, retries and rate limits, against a real local server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.utils import formatdate

import pytest

from productops.connectors import ConnectorError, HttpClient, RetryPolicy
from tests.connectors.server import FixtureServer, Reply, Request


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def numbers(request: Request, base: str) -> Reply:
    """/numbers?page=N: three pages of two numbers, linked by rel="next"."""
    if request.path != "/numbers":
        return Reply(404, {"message": "Not Found"})
    page = int(request.query.get("page", 1))
    headers = {"Link": f'<{base}/numbers?page={page + 1}>; rel="next"'} if page < 3 else {}
    return Reply(body=[2 * page - 1, 2 * page], headers=headers)


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer(numbers) as running:
        yield running


def client(server: FixtureServer, sleeps: Sleeps, attempts: int = 3) -> HttpClient:
    policy = RetryPolicy(
        max_attempts=attempts, backoff_seconds=0.25, max_wait_seconds=10, sleep=sleeps
    )
    return HttpClient(server.url, policy=policy)


def test_link_headers_are_followed(server: FixtureServer) -> None:
    with client(server, Sleeps()) as http:
        pages = [r.data for r in http.paginate("/numbers")]
    assert pages == [[1, 2], [3, 4], [5, 6]]


def test_retry_after_as_a_date_and_a_capped_wait(server: FixtureServer) -> None:
    later = formatdate(time.time() + 3, usegmt=True)
    server.fault("/numbers", Reply(503, {}, {"Retry-After": later}))
    server.fault("page=2", Reply(429, {}, {"Retry-After": "120"}))
    sleeps = Sleeps()
    with client(server, sleeps) as http:
        pages = [r.data for r in http.paginate("/numbers")]
    assert pages == [[1, 2], [3, 4], [5, 6]]
    assert 1 < sleeps[0] <= 3
    assert sleeps[1] == 10  # 120 s asked, capped by max_wait_seconds


def test_a_used_up_rate_limit_delays_the_next_request(server: FixtureServer) -> None:
    reset = str(int(time.time()) + 4)
    server.fault(
        "/numbers",
        Reply(
            200,
            [1, 2],
            {
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": reset,
                "Link": f'<{server.url}/numbers?page=2>; rel="next"',
            },
        ),
    )
    sleeps = Sleeps()
    with client(server, sleeps) as http:
        assert len(list(http.paginate("/numbers"))) == 3
    assert len(sleeps) == 1
    assert 2 < sleeps[0] <= 4


def test_giving_up_names_the_url_and_the_last_status(server: FixtureServer) -> None:
    for n in (1, 2, 3):
        server.fault("/numbers", Reply(503, {"message": "down"}), nth=n)
    sleeps = Sleeps()
    with client(server, sleeps) as http, pytest.raises(ConnectorError) as caught:
        http.get("/numbers", {"page": 1})
    assert str(caught.value).startswith(f"GET {server.url}/numbers?page=1: still failing after 3")
    assert "last: HTTP 503" in str(caught.value)
    assert sleeps == [0.25, 0.5]


def test_not_found_and_unreachable(server: FixtureServer) -> None:
    with (
        client(server, Sleeps()) as http,
        pytest.raises(ConnectorError, match="HTTP 404, not found"),
    ):
        http.get("/nothing")
    sleeps = Sleeps()
    policy = RetryPolicy(max_attempts=2, sleep=sleeps)
    gave_up = r"127.0.0.1:9/x: still failing after 2 attempts \(last: ConnectError"
    with (
        HttpClient("http://127.0.0.1:9", policy=policy) as http,
        pytest.raises(ConnectorError, match=gave_up),
    ):
        http.get("/x")
    assert sleeps == [1.0]

"""The one HTTP client every API connector uses: JSON, paging, retries and rate limits.

- 429, and 403 with `X-RateLimit-Remaining: 0`: wait for `Retry-After` (seconds or
  an HTTP date) or until `X-RateLimit-Reset`, then retry. GitLab's `RateLimit-Remaining`
  and `RateLimit-Reset` (a Unix time, or seconds from now as the IETF draft has it)
  are read the same way.
- 5xx and network errors: retry with exponential backoff.
- A successful response that says the rate limit is used up makes the next
  request wait until the reset.
- Every wait is capped by `HttpSettings.max_wait_seconds`; after
  `max_attempts` the request fails with a `ConnectorError` naming the URL.
- A body that is not JSON is a `ConnectorError` naming the URL: nothing of
  that page is stored, and the stream's cursor stays where it was.
- `timeout_seconds` bounds the whole request, from sending it to the last
  byte of the answer (a server trickling bytes is cut off), and an answer
  larger than `max_page_bytes` is refused; the body is streamed and checked
  per chunk.

Secrets travel only in headers, over https (plain http only to this
machine), and only to the API root's host. Messages, logs and the URLs
handed back (stored as `raw_record.endpoint`) never hold `user:password@`
or the value of a secret-looking query parameter (`redact_url`), and any
secret value that a server echoes (ours, or one from a URL it sent) is masked.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from productops.config import HttpSettings, api_url_problem, is_loopback
from productops.connectors.base import ConnectorError
from productops.connectors.secrets import redact_url, url_secrets

__all__ = ["HttpClient", "JsonResponse", "RetryPolicy", "as_objects", "expect"]

log = logging.getLogger("productops.connectors")


@dataclass(frozen=True)
class RetryPolicy:
    """How long and how often to retry, and how long and large one answer may be.

    `sleep` is replaceable so tests need not wait.
    """

    max_attempts: int = 6
    backoff_seconds: float = 1.0
    max_wait_seconds: float = 300.0
    timeout_seconds: float = 30.0
    max_page_bytes: int = 50 * 1024 * 1024
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    @classmethod
    def from_settings(cls, settings: HttpSettings) -> RetryPolicy:
        return cls(
            settings.max_attempts,
            settings.backoff_seconds,
            settings.max_wait_seconds,
            settings.timeout_seconds,
            settings.max_page_bytes,
        )


@dataclass(frozen=True)
class JsonResponse:
    """A parsed JSON body with the URL it came from and the response headers."""

    url: str
    data: Any
    headers: httpx.Headers
    next_url: str | None = None


class HttpClient:
    """JSON over HTTP with retries and rate limits, for one API root.

    >>> with HttpClient("https://api.github.com", bearer=token) as http:  # doctest: +SKIP
    ...     for page in http.paginate("/repos/o/r/pulls", {"state": "all"}):
    ...         print(len(page.data))
    """

    def __init__(
        self,
        base_url: str,
        *,
        policy: RetryPolicy | None = None,
        basic: tuple[str, str] | None = None,
        bearer: str | None = None,
        authorization: str | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        problem = api_url_problem(base_url)
        if problem is not None:
            raise ConnectorError(
                f"{redact_url(base_url)}: the URL {problem} (connectors section of productops.toml)"
            )
        self.policy = policy or RetryPolicy()
        all_headers = {"Accept": "application/json", "User-Agent": "productops"}
        all_headers.update(headers or {})
        self._secrets: list[str] = []
        if bearer:
            all_headers["Authorization"] = f"Bearer {bearer}"
            self._secrets.append(bearer)
        if authorization:
            all_headers["Authorization"] = authorization
            self._secrets.append(authorization)
        if basic:
            pair = f"{basic[0]}:{basic[1]}".encode()
            self._secrets += [basic[1], base64.b64encode(pair).decode()]
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=all_headers,
            auth=httpx.BasicAuth(*basic) if basic else None,
            timeout=self.policy.timeout_seconds,
            transport=transport,
            follow_redirects=True,
        )
        self._host = self._client.base_url.host
        self._resume_at = 0.0

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    # -- requests -------------------------------------------------------------

    def get(self, url: str, params: Mapping[str, Any] | None = None) -> JsonResponse:
        """GET `url` (absolute, or relative to the API root) and parse its JSON."""
        return self.request("GET", url, params=params)

    def post(self, url: str, body: Any, *, once: bool = False) -> JsonResponse:
        """POST `body` as JSON to `url` and parse the JSON answer (`once`: no retry, for a
        create that a failed answer may still have made)."""
        return self.request("POST", url, json_body=body, attempts=1 if once else None)

    def paginate(self, url: str, params: Mapping[str, Any] | None = None) -> Iterator[JsonResponse]:
        """GET `url`, then each next page: the one a `Link: <...>; rel="next"` header points
        to, else the page number of `X-Next-Page` (GitLab), else the URL of a `next` in the
        body (Bitbucket) or of its `paging.next` (Opsgenie), else the same URL with the
        body's `next_page_token` as `page-token` (CircleCI), with the next `offset` while
        the body says `more` (PagerDuty), or with the `x-ms-continuationtoken` header's
        token as `continuationToken` (Azure DevOps)."""
        page: str | None = url
        query: Mapping[str, Any] | None = params
        while page is not None:
            response = self.get(page, query)
            yield response
            page, query = response.next_url, None

    def ranges(self, url: str, key: str, fields: str, size: int) -> Iterator[JsonResponse]:
        """Jenkins' ranges: GET `url?tree=KEY[FIELDS]{START,END}`, `size` items at a time,
        until an answer holds fewer (the list under `key` is checked to be one)."""
        start = 0
        while True:
            response = self.get(url, {"tree": f"{key}[{fields}]{{{start},{start + size}}}"})
            items = expect(response, key, list)
            yield response
            if len(items) < size:
                return
            start += size

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        attempts: int | None = None,
    ) -> JsonResponse:
        """One request with retries (at most `attempts`, default the policy's); the JSON body,
        or a `ConnectorError` naming the URL."""
        attempts = attempts or self.policy.max_attempts
        built = self._client.build_request(method, url, params=params, json=json_body)
        shown = self._show(built.url)
        self._check_target(built.url, shown)
        last = ""
        for attempt in range(1, attempts + 1):
            self._wait_for_rate_limit(shown)
            try:
                response, body = self._send(built, shown)
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {self._safe(str(exc))}"
                self._wait(self._backoff(attempt), f"{method} {shown}: {last}", attempt)
                continue
            shown = self._show(response.url)
            self._note_rate_limit(response)
            wait = self._retry_wait(response, attempt)
            if wait is not None:
                last = f"HTTP {response.status_code}"
                self._wait(wait, f"{method} {shown}: {last}", attempt)
                continue
            self._raise_for_status(method, shown, response, body)
            return self._parse(shown, response, body)
        raise ConnectorError(
            f"{method} {shown}: still failing after {attempts} attempts "
            f"(last: {last}); try again later, or raise connectors.http.max_attempts"
        )

    def _send(self, request: httpx.Request, shown: str) -> tuple[httpx.Response, bytes]:
        """Send `request` and read the whole answer within `timeout_seconds` and `max_page_bytes`."""
        deadline = time.monotonic() + self.policy.timeout_seconds
        response = self._client.send(request, stream=True)
        try:
            declared = response.headers.get("Content-Length", "")
            body = bytearray()
            if declared.isdigit() and int(declared) > self.policy.max_page_bytes:
                self._too_large(request.method, shown)
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > self.policy.max_page_bytes:
                    self._too_large(request.method, shown)
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout(
                        f"no whole answer within {self.policy.timeout_seconds:g}s "
                        "(connectors.http.timeout_seconds)",
                        request=request,
                    )
        finally:
            response.close()
        return response, bytes(body)

    def _too_large(self, method: str, shown: str) -> None:
        raise ConnectorError(
            f"{method} {shown}: the answer is larger than {self.policy.max_page_bytes:,} bytes "
            "(connectors.http.max_page_bytes); nothing from this page was stored; ask for smaller "
            "pages (the connector's page_size) or raise the cap"
        )

    def _check_target(self, url: httpx.URL, shown: str) -> None:
        """Refuse to send a secret in clear (http:// off this machine) or to another host."""
        if not self._secrets:
            return
        if url.scheme != "https" and not is_loopback(url.host):
            raise ConnectorError(
                f"{shown}: refusing to send the token over plain http://; use https:// "
                "(only localhost may use http)"
            )
        if url.host != self._host:
            raise ConnectorError(
                f"{shown}: the server links to another host than {self._host}; refusing to "
                "send the token there"
            )

    # -- retries and rate limits -------------------------------------------------

    def _retry_wait(self, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before retrying `response`, or None when it is not retried."""
        status = response.status_code
        limited = _remaining(response.headers) == "0"
        if status == 429 or (status == 403 and (limited or "Retry-After" in response.headers)):
            return (
                self._retry_after(response) or self._until_reset(response) or self._backoff(attempt)
            )
        if 500 <= status < 600:
            return self._retry_after(response) or self._backoff(attempt)
        return None

    def _backoff(self, attempt: int) -> float:
        return float(self.policy.backoff_seconds * 2 ** (attempt - 1))

    @staticmethod
    def _retry_after(response: httpx.Response) -> float | None:
        value = response.headers.get("Retry-After")
        if value is None:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None

    @staticmethod
    def _until_reset(response: httpx.Response) -> float | None:
        headers = response.headers
        reset = headers.get("X-RateLimit-Reset") or headers.get("RateLimit-Reset")
        try:
            value = float(reset) if reset else None
        except ValueError:
            return None
        if value is None:
            return None
        # A Unix time (GitHub, GitLab, Azure DevOps), or seconds from now (the IETF draft).
        return max(0.0, value - time.time()) if value > _EPOCH_2001 else value

    def _note_rate_limit(self, response: httpx.Response) -> None:
        if response.is_success and _remaining(response.headers) == "0":
            wait = self._until_reset(response)
            if wait:
                self._resume_at = time.monotonic() + min(wait, self.policy.max_wait_seconds)

    def _wait_for_rate_limit(self, shown: str) -> None:
        wait = self._resume_at - time.monotonic()
        if wait > 0:
            log.info("rate limit used up; waiting %.1fs before %s", wait, shown)
            self.policy.sleep(wait)
        self._resume_at = 0.0

    def _wait(self, seconds: float, why: str, attempt: int) -> None:
        if attempt >= self.policy.max_attempts:
            return
        capped = min(seconds, self.policy.max_wait_seconds)
        log.info("%s; retrying in %.1fs (asked %.1fs, attempt %d)", why, capped, seconds, attempt)
        self.policy.sleep(capped)

    # -- answers ------------------------------------------------------------------

    def _raise_for_status(
        self, method: str, shown: str, response: httpx.Response, body: bytes
    ) -> None:
        status = response.status_code
        if response.is_success:
            return
        if status in (401, 403):
            raise ConnectorError(
                f"{method} {shown}: HTTP {status}, not authorised; check the credentials the "
                "connector's token_env or token_file names, and their permissions"
            )
        if status == 404:
            raise ConnectorError(
                f"{method} {shown}: HTTP 404, not found; check the URL and names in "
                "the connectors section of productops.toml"
            )
        text = body[:200].decode(response.encoding or "utf-8", errors="replace")
        detail = self._safe(text.replace("\n", " "))
        raise ConnectorError(f"{method} {shown}: HTTP {status}: {detail}")

    def _parse(self, shown: str, response: httpx.Response, body: bytes) -> JsonResponse:
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise ConnectorError(
                f"{shown}: the response is not valid JSON ({self._safe(str(exc))}); nothing from "
                "this page was stored and the sync can be run again"
            ) from None
        next_link = response.links.get("next", {}).get("url") or _next_page(response, data)
        return JsonResponse(shown, data, response.headers, next_link)

    def _show(self, url: httpx.URL) -> str:
        """`url` as messages and `raw_record.endpoint` hold it; its secrets are masked from now on."""
        for secret in url_secrets(str(url)):
            if secret not in self._secrets:
                self._secrets.append(secret)
        return self._safe(redact_url(str(url)))

    def _safe(self, text: str) -> str:
        for secret in self._secrets:
            if secret:
                text = text.replace(secret, "***")
        return text


_EPOCH_2001 = 978307200.0


def _remaining(headers: httpx.Headers) -> str | None:
    found: str | None = headers.get("X-RateLimit-Remaining") or headers.get("RateLimit-Remaining")
    return found


def _next_page(response: httpx.Response, data: Any) -> str | None:
    """The next page's URL when no `Link` names it: GitLab's `X-Next-Page`, Bitbucket's
    `next` in the body, Opsgenie's `paging.next`, CircleCI's `next_page_token` (as
    `page-token`), PagerDuty's `more` (the next `offset`), Azure DevOps's continuation
    token; None on the last page."""
    number = response.headers.get("X-Next-Page", "").strip()
    if number.isdigit():
        return str(response.url.copy_set_param("page", number))
    body = data if isinstance(data, dict) else {}
    paging = body.get("paging")
    for found in (body.get("next"), paging.get("next") if isinstance(paging, dict) else None):
        if isinstance(found, str) and found:
            return found
    token = body.get("next_page_token")
    if isinstance(token, str) and token:
        return str(response.url.copy_set_param("page-token", token))
    offset, limit = body.get("offset"), body.get("limit")
    if body.get("more") is True and isinstance(offset, int) and isinstance(limit, int) and limit:
        return str(response.url.copy_set_param("offset", offset + limit))
    token = response.headers.get("x-ms-continuationtoken", "").strip()
    if token:
        return str(response.url.copy_set_param("continuationToken", token))
    return None


def expect(response: JsonResponse, key: str | None, kind: type) -> Any:
    """`response.data[key]` (or the data itself) checked to be a `kind`, else a `ConnectorError`."""
    data = response.data
    if key is not None:
        if not isinstance(data, dict) or key not in data:
            raise ConnectorError(
                f"{response.url}: expected a JSON object with {key!r}; nothing from this page "
                "was stored"
            )
        data = data[key]
    if not isinstance(data, kind):
        raise ConnectorError(
            f"{response.url}: expected {kind.__name__} at {key or 'the top'}, got "
            f"{type(data).__name__}; nothing from this page was stored"
        )
    return data


def as_objects(response: JsonResponse, items: Sequence[Any]) -> list[dict[str, Any]]:
    """`items`, checked to be JSON objects."""
    for item in items:
        if not isinstance(item, dict):
            raise ConnectorError(
                f"{response.url}: expected JSON objects in the list, got {type(item).__name__}; "
                "nothing from this page was stored"
            )
    return list(items)

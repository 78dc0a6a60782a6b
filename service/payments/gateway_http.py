"""The payment gateways' HTTP client: aiohttp's own, called directly (the gateways' official
Python SDKs are synchronous and would block the event loop), through one `ClientSession` per
app (opened and closed with the services: service/runtime/bootstrap.py).

Every call has a deadline (`SALDO_GATEWAY_TIMEOUT`, backoff included), so a gateway that is down
or slow never holds a request longer than that; within it, a timeout, a connection error, a 5xx
or a 429 is retried (`SALDO_GATEWAY_ATTEMPTS` in all) after an exponential backoff with full
jitter. The pause and the randomness are injected (`Backoff`), so tests never sleep.
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import random
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import AsyncIterator, Awaitable, Callable

import aiohttp

from billing.errors import GatewayUnavailable, ValidationFailed

log = logging.getLogger("saldo.gateways")
RETRYABLE = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Backoff:
    """How a retry waits: `base` × 2^attempt, capped at `cap`, times `random()` (full jitter)."""
    base: float = 0.2
    cap: float = 2.0
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False)
    random: Callable[[], float] = field(default=random.random, repr=False)

    def delay(self, attempt: int) -> float:
        return min(self.cap, self.base * (2 ** attempt)) * self.random()


def basic_auth(username: str, password: str = "") -> str:
    """`Authorization: Basic …` of a gateway key (the key as user name, an empty password)."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def portal_return_url(public_url: str, payment_id: str) -> str:
    """Where a gateway's hosted page sends the customer back to: the customer portal's page
    for this payment (the portal serves it)."""
    return f"{public_url.rstrip('/')}/portal/return/{payment_id}"


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class GatewayHttp:
    """JSON over HTTP to one gateway, with retries under one deadline."""

    def __init__(self, name: str, session: aiohttp.ClientSession, *, deadline: timedelta,
                 attempts: int = 3, backoff: Backoff = Backoff()) -> None:
        self.name = name
        self._session = session
        self._deadline = deadline.total_seconds()
        self._attempts = max(1, attempts)
        self._backoff = backoff

    def __repr__(self) -> str:
        return f"GatewayHttp({self.name!r})"

    @contextlib.asynccontextmanager
    async def bounded(self) -> AsyncIterator[None]:
        """Several calls that make one step (look up, then create) under the one deadline."""
        try:
            async with asyncio.timeout(self._deadline):
                yield
        except TimeoutError:
            raise GatewayUnavailable(f"The payment gateway {self.name} did not answer in "
                                     "time; retry shortly") from None

    async def call(self, method: str, url: str, *, headers: dict[str, str],
                   body: dict | None = None, query: dict[str, str] | None = None) -> Answer:
        """→ the gateway's answer (any status it decided: 2xx, or a 4xx that is not 429).
        GatewayUnavailable when every attempt failed or the deadline passed."""
        try:
            async with asyncio.timeout(self._deadline):
                return await self._attempt_all(method, url, headers, body, query)
        except TimeoutError:
            log.warning("gateway call timed out", extra={"fields": {
                "gateway": self.name, "method": method, "deadline_s": self._deadline}})
            raise GatewayUnavailable(f"The payment gateway {self.name} did not answer in time; "
                                     "retry shortly") from None

    async def _attempt_all(self, method: str, url: str, headers: dict[str, str],
                           body: dict | None, query: dict[str, str] | None) -> Answer:
        attempt_timeout = aiohttp.ClientTimeout(total=self._deadline / self._attempts)
        failure = "no attempt"
        for attempt in range(self._attempts):
            if attempt:
                await self._backoff.sleep(self._backoff.delay(attempt - 1))
            try:
                answer = await self._once(method, url, headers, body, query, attempt_timeout)
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                failure = type(exc).__name__
                continue
            if answer.status not in RETRYABLE:
                return answer
            failure = f"HTTP {answer.status}"
        log.warning("gateway unavailable", extra={"fields": {
            "gateway": self.name, "method": method, "attempts": self._attempts,
            "last_failure": failure}})
        raise GatewayUnavailable(f"The payment gateway {self.name} is unavailable "
                                 f"({failure}); retry shortly")

    async def _once(self, method: str, url: str, headers: dict[str, str], body: dict | None,
                    query: dict[str, str] | None, timeout: aiohttp.ClientTimeout) -> Answer:
        sent = {"Accept": "application/json", **headers}
        data = None
        if body is not None:
            sent["Content-Type"] = "application/json"
            data = json.dumps(body, separators=(",", ":"))
        async with self._session.request(method, url, headers=sent, data=data, params=query,
                                         timeout=timeout) as resp:
            raw = await resp.read()
            try:
                parsed = json.loads(raw) if raw else {}
            except ValueError:
                parsed = {}
            return Answer(resp.status, parsed if isinstance(parsed, dict) else {"items": parsed})


def whole_amount(value: object, field_name: str) -> int:
    """A gateway's amount (a JSON number, or a string such as Midtrans' "50000.00") → whole
    units of the currency; anything with a fraction, negative or not a number is refused."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValidationFailed(f"{field_name} must be an amount", field=field_name)
    try:
        exact = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationFailed(f"{field_name} must be an amount", field=field_name) from None
    if not exact.is_finite() or exact < 0 or exact != exact.to_integral_value():
        raise ValidationFailed(f"{field_name} must be a whole amount", field=field_name)
    return int(exact)

"""Settings from the environment (contract §7). Secrets are kept out of repr() and logs."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """'24h', '90m', '3600' (seconds), '7d' → timedelta."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. 24h, 30m, 7d or seconds)")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


EMBEDDED_STORES = 2    # NX-27017 processes without MONGODB_URI (service/runtime/bootstrap.py)


def default_web_processes(cores: int, embedded: bool) -> int:
    """SALDO_WEB_PROCESSES unset: one web process per core the stores leave free, at least one.
    The embedded stores are two busy processes of their own on the same cores, and every web
    process more halves the others' group commits (twice the store commands per request):
    on 2 cores, two web processes cost 1.5-1.75x the CPU per webhook of one (README, Benchmarks)."""
    return max(1, cores - EMBEDDED_STORES) if embedded else cores


@dataclass(frozen=True)
class Settings:
    mongodb_uri: str | None = None
    mongodb_db: str = "saldo"
    whatsapp_log_db: str | None = None   # with MONGODB_URI: the WhatsApp log's database
    port: int = 8080
    web_processes: int = 1               # python -m service: SALDO_WEB_PROCESSES (default_web_processes)
    data_dir: Path = Path("./var")
    admin_token: str = field(default="", repr=False)
    whatsapp_verify_token: str = field(default="", repr=False)
    whatsapp_app_secrets: tuple[str, ...] = field(default=(), repr=False)
    payment_webhook_secret: str = field(default="", repr=False)
    payment_expiry: timedelta = timedelta(hours=24)
    timezone: str = "Asia/Jakarta"
    log_level: str = "INFO"
    category_grace: timedelta = timedelta(minutes=10)
    sweep_interval: timedelta = timedelta(seconds=30)
    public_url: str = ""
    topup_conversation_min: int = 10_000
    topup_conversation_max: int = 1_000_000
    topup_broadcast_min: int = 10_000
    topup_broadcast_max: int = 5_000_000
    seller_name: str = "Saldo"
    seller_address: str = ""
    seller_tax_id: str = ""
    payment_provider: str = "none"
    payment_sweep_interval: timedelta = timedelta(seconds=60)
    renewal_lead: timedelta = timedelta(days=3)        # issue 4: renewal invoice ahead of the end
    renewal_grace: timedelta = timedelta(days=7)       # unpaid renewal → Free after this
    billing_claim_lease: timedelta = timedelta(minutes=5)
    billing_tick: timedelta = timedelta(minutes=1)
    # issue 16: a full reconcile reads the whole ledger; a pass runs one when the last is older
    reconcile_every: timedelta = timedelta(hours=1)
    # issue 17: how long a request waits for an unreachable store before its 503
    store_timeout: timedelta = timedelta(seconds=2)
    # issue 12: the customer portal's single-use links and its sessions
    portal_link_ttl: timedelta = timedelta(minutes=10)
    portal_session_ttl: timedelta = timedelta(hours=2)
    portal_frame_ancestors: str = "'self'"
    metrics_token: str = field(default="", repr=False)   # GET /metrics: Bearer it, if set
    # issue 14: payment gateways (service/payments/xendit.py, midtrans.py); secrets repr=False
    xendit_secret_key: str = field(default="", repr=False)
    xendit_callback_token: str = field(default="", repr=False)
    xendit_base_url: str = "https://api.xendit.co"
    midtrans_server_key: str = field(default="", repr=False)
    midtrans_is_production: bool = False
    midtrans_base_url: str = ""          # Snap; empty: Midtrans' sandbox or production one
    midtrans_api_base_url: str = ""      # status and refunds; empty: likewise
    gateway_timeout: timedelta = timedelta(seconds=8)   # a whole gateway call, retries included
    gateway_attempts: int = 3
    # issue 15: outbound webhooks (service/outbound/)
    webhooks_allow_private: bool = False     # http:// and private addresses: development, tests
    webhook_timeout: timedelta = timedelta(seconds=10)
    webhook_interval: timedelta = timedelta(seconds=5)
    webhook_lease: timedelta = timedelta(minutes=1)
    demo: bool = False        # SALDO_DEMO=1 (`make run`): service/portal/demo.py
    # PyMongo command listeners for the store's clients; only tests set it
    # (tests/handlers/test_store_commands.py counts the store commands of a flow).
    event_listeners: tuple = field(default=(), repr=False, compare=False)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        secrets = tuple(s.strip() for s in env.get("WHATSAPP_APP_SECRETS", "").split(",") if s.strip())
        settings = cls(
            mongodb_uri=env.get("MONGODB_URI") or None,
            mongodb_db=env.get("MONGODB_DB", "saldo"),
            whatsapp_log_db=env.get("MONGODB_WHATSAPP_LOG_DB") or None,
            port=int(env.get("PORT", "8080")),
            web_processes=max(1, int(env.get("SALDO_WEB_PROCESSES") or default_web_processes(
                _cores(), embedded=not env.get("MONGODB_URI")))),
            data_dir=Path(env.get("SALDO_DATA_DIR", "./var")),
            admin_token=env.get("SALDO_ADMIN_TOKEN", ""),
            whatsapp_verify_token=env.get("WHATSAPP_VERIFY_TOKEN", ""),
            whatsapp_app_secrets=secrets,
            payment_webhook_secret=env.get("PAYMENT_WEBHOOK_SECRET", ""),
            payment_expiry=parse_duration(env.get("PAYMENT_EXPIRY", "24h")),
            timezone=env.get("SALDO_TIMEZONE", "Asia/Jakarta"),
            log_level=env.get("LOG_LEVEL", "INFO").upper(),
            category_grace=parse_duration(env.get("SALDO_CATEGORY_GRACE", "10m")),
            sweep_interval=parse_duration(env.get("SALDO_SWEEP_INTERVAL", "30s")),
            public_url=env.get("SALDO_PUBLIC_URL", ""),
            topup_conversation_min=int(env.get("SALDO_TOPUP_CONVERSATION_MIN", "10000")),
            topup_conversation_max=int(env.get("SALDO_TOPUP_CONVERSATION_MAX", "1000000")),
            topup_broadcast_min=int(env.get("SALDO_TOPUP_BROADCAST_MIN", "10000")),
            topup_broadcast_max=int(env.get("SALDO_TOPUP_BROADCAST_MAX", "5000000")),
            seller_name=env.get("SALDO_SELLER_NAME", "Saldo"),
            seller_address=env.get("SALDO_SELLER_ADDRESS", ""),
            seller_tax_id=env.get("SALDO_SELLER_TAX_ID", ""),
            payment_provider=env.get("SALDO_PAYMENT_PROVIDER", "none").strip().lower(),
            payment_sweep_interval=parse_duration(env.get("SALDO_PAYMENT_SWEEP_INTERVAL", "60s")),
            renewal_lead=parse_duration(env.get("SALDO_RENEWAL_LEAD", "3d")),
            renewal_grace=parse_duration(env.get("SALDO_RENEWAL_GRACE", "7d")),
            billing_claim_lease=parse_duration(env.get("SALDO_BILLING_CLAIM_LEASE", "5m")),
            billing_tick=parse_duration(env.get("SALDO_BILLING_TICK", "60s")),
            reconcile_every=parse_duration(env.get("SALDO_RECONCILE_EVERY", "1h")),
            store_timeout=parse_duration(env.get("SALDO_STORE_TIMEOUT", "2s")),
            portal_link_ttl=parse_duration(env.get("SALDO_PORTAL_LINK_TTL", "10m")),
            portal_session_ttl=parse_duration(env.get("SALDO_PORTAL_SESSION_TTL", "2h")),
            portal_frame_ancestors=env.get("SALDO_PORTAL_FRAME_ANCESTORS", "'self'").strip()
            or "'self'",
            metrics_token=env.get("SALDO_METRICS_TOKEN", ""),
            xendit_secret_key=env.get("XENDIT_SECRET_KEY", ""),
            xendit_callback_token=env.get("XENDIT_CALLBACK_TOKEN", ""),
            xendit_base_url=env.get("XENDIT_BASE_URL") or "https://api.xendit.co",
            midtrans_server_key=env.get("MIDTRANS_SERVER_KEY", ""),
            midtrans_is_production=env.get("MIDTRANS_IS_PRODUCTION", "").strip().lower()
            in ("1", "true", "yes"),
            midtrans_base_url=env.get("MIDTRANS_BASE_URL", ""),
            midtrans_api_base_url=env.get("MIDTRANS_API_BASE_URL", ""),
            gateway_timeout=parse_duration(env.get("SALDO_GATEWAY_TIMEOUT", "8s")),
            gateway_attempts=max(1, int(env.get("SALDO_GATEWAY_ATTEMPTS", "3"))),
            webhooks_allow_private=env.get("SALDO_WEBHOOKS_ALLOW_PRIVATE", "").strip().lower()
            in ("1", "true", "yes"),
            webhook_timeout=parse_duration(env.get("SALDO_WEBHOOK_TIMEOUT", "10s")),
            webhook_interval=parse_duration(env.get("SALDO_WEBHOOK_INTERVAL", "5s")),
            webhook_lease=parse_duration(env.get("SALDO_WEBHOOK_LEASE", "60s")),
            demo=env.get("SALDO_DEMO", "") == "1",
        )
        settings.tz  # fail fast on an unknown zone
        return settings

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


@dataclass(frozen=True)
class Settings:
    mongodb_uri: str | None = None
    mongodb_db: str = "saldo"
    port: int = 8080
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
            port=int(env.get("PORT", "8080")),
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
        )
        settings.tz  # fail fast on an unknown zone
        return settings

"""Portal links and browser sessions, stored in MongoDB (`portal_links`, `portal_sessions`).

A link (`POST /v1/workspaces/{ws}/portal-sessions`) is a random token, valid for
`SALDO_PORTAL_LINK_TTL` and usable once: opening it claims it (one conditional update, so two
tabs racing on one link open one session) and starts a session of `SALDO_PORTAL_SESSION_TTL`.
Only SHA-256 hashes of tokens are stored: a copy of the database opens nothing.

Expiry is decided here, from the injected clock, never by a TTL index (NX-27017 applies TTL
indexes on read by the real wall clock; the suite runs with frozen clocks). Old documents are
deleted by `purge`, called by the payments sweep's loop.

A session has a `kind`: `portal` (one workspace) or `panel` (the agency panel: the admin or one
reseller) — the panel's sessions reuse this store; a page checks the kind it serves.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo import ReturnDocument

from service.mongo.filters import explicit
from service.runtime.context import Services

LOCALES = ("id", "en")


@dataclass(frozen=True)
class PortalLink:
    url_token: str          # the secret part of the URL, shown once
    expires_at: datetime


@dataclass(frozen=True)
class PortalSession:
    token_hash: str
    kind: str               # portal | panel
    workspace_id: str | None
    role: str               # workspace (portal) | admin | reseller (panel)
    reseller_id: str | None
    csrf: str
    locale: str
    return_url: str | None
    expires_at: datetime
    key_hash: str | None = None   # panel: the signing-in key's hash, re-checked on every request


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _session(doc: dict) -> PortalSession:
    return PortalSession(doc["_id"], doc.get("kind", "portal"), doc.get("workspace_id"),
                         doc.get("role", "workspace"), doc.get("reseller_id"), doc["csrf"],
                         doc.get("locale", "id"), doc.get("return_url"), doc["expires_at"],
                         doc.get("key_hash"))


async def create_link(svc: Services, workspace_id: str, *, locale: str | None,
                      return_url: str | None, now: datetime) -> PortalLink:
    token = secrets.token_urlsafe(32)
    expires = now + svc.settings.portal_link_ttl
    await svc.db.portal_links.insert_one({
        "_id": _hash(token), "workspace_id": workspace_id, "locale": locale or "id",
        "return_url": return_url, "created_at": now, "expires_at": expires, "used_at": None})
    return PortalLink(token, expires)


async def open_link(svc: Services, token: str,
                    now: datetime) -> tuple[str, PortalSession] | None:
    """(cookie, session) of the link's new session; None when unknown, used or expired."""
    link = await svc.db.portal_links.find_one_and_update(
        explicit({"_id": _hash(token), "used_at": None}), {"$set": {"used_at": now}},
        return_document=ReturnDocument.AFTER)
    if link is None or link["expires_at"] <= now:
        return None
    return await start(svc, kind="portal", role="workspace", workspace_id=link["workspace_id"],
                       reseller_id=None, locale=link.get("locale", "id"),
                       return_url=link.get("return_url"), now=now)


async def start(svc: Services, *, kind: str, role: str, workspace_id: str | None,
                reseller_id: str | None, locale: str, return_url: str | None,
                now: datetime, key_hash: str | None = None) -> tuple[str, PortalSession]:
    """A new session: (the cookie's value, the session)."""
    token = secrets.token_urlsafe(32)
    doc = {"_id": _hash(token), "kind": kind, "role": role, "workspace_id": workspace_id,
           "reseller_id": reseller_id, "csrf": secrets.token_urlsafe(24),
           "locale": locale if locale in LOCALES else "id", "return_url": return_url,
           "created_at": now, "expires_at": now + svc.settings.portal_session_ttl,
           "ended_at": None, "key_hash": key_hash}
    await svc.db.portal_sessions.insert_one(doc)
    return token, _session(doc)


async def current(svc: Services, cookie: str | None, kind: str,
                  now: datetime) -> PortalSession | None:
    """The live session of this cookie and kind, or None (unknown, ended, expired, other kind)."""
    if not cookie:
        return None
    doc = await svc.db.portal_sessions.find_one(explicit({"_id": _hash(cookie)}))
    if doc is None or doc.get("ended_at") is not None or doc["expires_at"] <= now:
        return None
    session = _session(doc)
    return session if session.kind == kind else None


async def set_locale(svc: Services, session: PortalSession, locale: str) -> None:
    if locale in LOCALES:
        await svc.db.portal_sessions.update_one({"_id": session.token_hash},
                                                {"$set": {"locale": locale}})


async def end(svc: Services, session: PortalSession, now: datetime) -> None:
    await svc.db.portal_sessions.update_one({"_id": session.token_hash},
                                            {"$set": {"ended_at": now}})


async def purge(svc: Services, now: datetime, keep: timedelta = timedelta(days=1)) -> int:
    """Delete links and sessions expired for more than `keep` (kept a day for support)."""
    cutoff = now - keep
    gone = 0
    for name in ("portal_links", "portal_sessions"):
        result = await svc.db[name].delete_many({"expires_at": {"$lt": cutoff}})
        gone += result.deleted_count
    return gone


async def sweep(svc: Services, everything: bool = False) -> dict:
    """The portal's background sweep (service.runtime.background.sweeper)."""
    now = svc.clock.now()
    stale = int((now - timedelta(days=1)).timestamp() * 1000)    # throttle.py's counts
    old = await svc.db.signin_failures.delete_many(
        {"first_ms": {"$lt": stale}, "locked_until_ms": {"$lt": stale}})
    return {"purged": await purge(svc, now) + old.deleted_count}

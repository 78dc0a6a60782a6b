"""The Create / Edit Add-on form of the agency panel (issue 13): the posted form → the admin API's
request body, validated by the API's own model (handlers/addon_models.py) so that its every
refusal — pydantic's, then billing/addon_catalog.py's ValidationFailed — is shown next to the
form field it names (`form_field`). An add-on → the form's values, for editing."""
from __future__ import annotations

import re
from typing import Any

from multidict import MultiDictProxy
from pydantic import ValidationError

from billing.addons import DEFAULT_CURRENCY, normal_visibility
from billing.money import BILLED_DIGITS
from handlers.addon_models import AddonFields, AddonIn
from handlers.portal.i18n import _
from service.addons.records import Addon

UNITS = ("monthly", "quarterly", "yearly")
CURRENCIES = tuple(BILLED_DIGITS)
TYPES = ("users", "contacts", "conversation_credit", "broadcast_credit", "feature")
SCHEMES = ("unit", "volume", "tier", "package")
LIMIT_KEYS = ("users", "contacts", "broadcast_quota")
_BRACKET = re.compile(r"^\s*([0-9]{1,15})\s*-\s*([0-9]{0,15})\s*[:=]\s*(.+?)\s*$")


class FormErrors(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def form_field(path: str | None) -> str:
    """An API error's field (`periods.monthly.amount`, `limits.0.value`, …) → the form field."""
    if not path:
        return "_form"
    parts = path.split(".")
    if parts[0] == "periods" and len(parts) > 1:
        if parts[-1] == "currency":
            return "currency"
        if parts[1] in UNITS:
            return f"price_{parts[1]}"
    return parts[0]


def parse_price(raw: str, currency: str) -> int | None:
    """A price as typed (`30000`, `30.000`, `Rp 30.000`, `12.50`, `1,299.00`) → minor units of
    `currency`; thousands grouped by 3 with `.` or `,`, cents only where the currency has them."""
    text = re.sub(r"^(?:rp|idr|usd|\$)", "", re.sub(r"\s", "", raw), flags=re.IGNORECASE)
    digits = BILLED_DIGITS.get(currency, 2)
    whole, fraction = text, ""
    cents = re.fullmatch(r"(.*?)([.,])([0-9]{1,%d})" % digits, text) if digits else None
    if cents and cents.group(2) not in cents.group(1):
        whole, fraction = cents.group(1), cents.group(3)
    if not re.fullmatch(r"[0-9]{1,15}|[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]{1,3}(?:,[0-9]{3})+", whole):
        return None
    return int(re.sub(r"[.,]", "", whole)) * 10 ** digits + int(fraction.ljust(digits, "0") or 0)


def show_price(amount: int | None, currency: str) -> str:
    if amount is None:
        return ""
    digits = BILLED_DIGITS.get(currency, 2)
    return f"{amount / 10 ** digits:.{digits}f}" if digits else str(amount)


def _brackets(raw: str, currency: str, field: str) -> list[dict]:
    out = []
    for line in filter(None, (ln.strip() for ln in raw.splitlines())):
        found = _BRACKET.match(line)
        amount = parse_price(found.group(3), currency) if found else None
        if amount is None:
            raise FormErrors({field: _("Write one bracket a line: from-to: price, for example "
                                       "1-10: 5000 (leave “to” empty for no end).")})
        out.append({"from": int(found.group(1)),
                    "to": int(found.group(2)) if found.group(2) else None, "amount": amount})
    return out


def _limits(raw: str) -> list[dict]:
    out = []
    for line in filter(None, (ln.strip() for ln in raw.splitlines())):
        words = line.split()
        value = words[2].lower() if len(words) == 3 else ""
        if len(words) != 3 or not (re.fullmatch(r"-?[0-9]{1,15}", value)
                                   or value == "unlimited"):
            raise FormErrors({"limits": _("Write one limit a line: key action value, for "
                                          "example users increment 5 or contacts set unlimited.")})
        out.append({"key": words[0], "action": words[1],
                    "value": -1 if value == "unlimited" else int(value)})
    return out


def _metadata(raw: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for line in filter(None, (ln.strip() for ln in raw.splitlines())):
        key, sep, value = line.partition("=")
        if not sep:
            raise FormErrors({"metadata": _("Write one entry a line: key=value.")})
        value = value.strip()
        out[key.strip()] = (value == "true" if value in ("true", "false") else int(value)
                            if re.fullmatch(r"-?[0-9]{1,13}", value) else value)
    return out


def _integer(form: MultiDictProxy, name: str, errors: dict) -> int | None:
    raw = str(form.get(name, "")).strip()
    if not raw:
        return None
    if not re.fullmatch(r"-?[0-9]{1,15}", raw):
        errors[name] = _("Enter a whole number.")
        return None
    return int(raw)


def body_of(form: MultiDictProxy) -> dict:
    """The API body the form says (raises FormErrors for what cannot even be read)."""
    errors: dict[str, str] = {}
    currency = str(form.get("currency", DEFAULT_CURRENCY))
    scheme = str(form.get("pricing_scheme", "unit"))
    periods: dict[str, dict] = {}
    for unit in (u for u in UNITS if u in form.getall("periods", [])):
        field = f"price_{unit}"
        try:
            if scheme == "unit":
                raw = str(form.get(field, "")).strip()
                amount = parse_price(raw, currency) if raw else None
                if raw and amount is None:
                    errors[field] = _("Enter a price, for example 30000 or 12.50.")
                periods[unit] = {"currency": currency, "amount": amount}
            else:
                found = _brackets(str(form.get(f"brackets_{unit}", "")), currency, field)
                periods[unit] = {"currency": currency, "brackets": found or None}
        except FormErrors as exc:
            errors.update(exc.errors)
    texts = {}
    for name, parse in (("limits", _limits), ("metadata", _metadata)):
        try:
            texts[name] = parse(str(form.get(name, "")))
        except FormErrors as exc:
            errors.update(exc.errors)
    consumption = _integer(form, "consumption", errors)
    maximum = _integer(form, "max_quantity", errors)
    if errors:
        raise FormErrors(errors)
    chosen = str(form.get("visibility", "all"))
    plans = [str(p) for p in form.getall("applicable_plans", [])]
    return {
        "name": str(form.get("name", "")).strip(),
        "display_name": str(form.get("display_name", "")).strip(),
        "description": str(form.get("description", "")).strip(),
        "type": str(form.get("type", "")), "consumption": 1 if consumption is None else consumption,
        "applicable_plans": "all" if "all" in plans else plans,
        "billing": str(form.get("billing", "")), "pricing_scheme": scheme, "periods": periods,
        "entitlements": [e.strip() for e in str(form.get("entitlements", "")).split(",")
                         if e.strip()],
        "limits": texts["limits"], "allow_multiple": form.get("allow_multiple") == "on",
        "max_quantity": maximum,
        "requires": [str(a) for a in form.getall("requires", [])],
        "incompatible_with": [str(a) for a in form.getall("incompatible_with", [])],
        "status": "active" if form.get("active") == "on" else "inactive",
        "visibility": {"resellers": [str(r) for r in form.getall("resellers", [])]
                       if chosen == "chosen" else chosen if chosen in ("all", "none") else "",
                       "direct": form.get("direct") == "on"},
        "metadata": texts["metadata"], "tax_exempt": form.get("tax_exempt") == "on",
    }


def _refused(field: str) -> str:
    """What to do about a field pydantic refused, in the page's language (pydantic's own
    message is English and names patterns: never shown)."""
    known = {
        "name": _("Fill in the internal name: lowercase letters, digits, dots and dashes, "
                  "for example wa-conv-1000."),
        "display_name": _("Fill in the name customers see."),
        "type": _("Choose the add-on type."),
        "billing": _("Choose how it is billed."),
        "consumption": _("Enter a whole number of 0 or more."),
        "entitlements": _("Write entitlements as lowercase words separated by commas, for "
                          "example api_access, webhooks."),
        "limits": _("Write one limit a line: key action value, for example users increment 5 "
                    "or contacts set unlimited."),
        "metadata": _("Write one entry a line: key=value."),
    }
    return known.get(field) or _("Check this value.")


def validated(body: dict, *, new: bool) -> AddonFields:
    """The API's model over the body: {field: message} for every refusal pydantic finds."""
    try:
        return (AddonIn if new else AddonFields).model_validate(body)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = form_field(".".join(str(p) for p in error["loc"]))
            errors.setdefault(field, _refused(field))
        raise FormErrors(errors) from None


def values_of(addon: Addon | None, form: MultiDictProxy | None = None) -> dict:
    """What the form's inputs show: a posted form again, an add-on being edited, or the
    defaults of a new one (USD, monthly, active, visible to all)."""
    if form is not None:
        return {"name": form.get("name", ""), "display_name": form.get("display_name", ""),
                "description": form.get("description", ""), "type": form.get("type", ""),
                "consumption": form.get("consumption", ""),
                "applicable_plans": form.getall("applicable_plans", []),
                "billing": form.get("billing", ""), "pricing_scheme": form.get("pricing_scheme"),
                "periods": form.getall("periods", []), "currency": form.get("currency"),
                **{f"price_{u}": form.get(f"price_{u}", "") for u in UNITS},
                **{f"brackets_{u}": form.get(f"brackets_{u}", "") for u in UNITS},
                "entitlements": form.get("entitlements", ""), "limits": form.get("limits", ""),
                "allow_multiple": form.get("allow_multiple") == "on",
                "max_quantity": form.get("max_quantity", ""),
                "requires": form.getall("requires", []),
                "incompatible_with": form.getall("incompatible_with", []),
                "active": form.get("active") == "on", "visibility": form.get("visibility", "all"),
                "resellers": form.getall("resellers", []), "direct": form.get("direct") == "on",
                "metadata": form.get("metadata", ""), "tax_exempt": form.get("tax_exempt") == "on"}
    if addon is None:
        return {"currency": DEFAULT_CURRENCY, "periods": ["monthly"], "pricing_scheme": "unit",
                "billing": "recurring", "consumption": "1", "active": True,
                "visibility": "all", "direct": True, "applicable_plans": []}
    currency = next((p.get("currency") for p in addon.periods.values() if p), DEFAULT_CURRENCY)
    visibility = normal_visibility(addon.visibility)
    chosen = visibility["resellers"]

    def brackets(entry: dict | None) -> str:
        return "\n".join(f"{b['from']}-{b.get('to') or ''}: {show_price(b['amount'], currency)}"
                         for b in (entry or {}).get("brackets") or [])
    return {
        "name": addon.name, "display_name": addon.display_name or "",
        "description": addon.description or "", "type": addon.type,
        "consumption": str(addon.consumption),
        "applicable_plans": list(addon.applicable_plans)
        if isinstance(addon.applicable_plans, list) else ["all"],
        "billing": addon.billing, "pricing_scheme": addon.pricing_scheme,
        "periods": list(addon.periods), "currency": currency,
        **{f"price_{u}": show_price((addon.periods.get(u) or {}).get("amount"), currency)
           for u in UNITS},
        **{f"brackets_{u}": brackets(addon.periods.get(u)) for u in UNITS},
        "entitlements": ", ".join(addon.entitlements or []),
        "limits": "\n".join(f"{r['key']} {r['action']} "
                            f"{'unlimited' if r['value'] == -1 else r['value']}"
                            for r in addon.limits or []),
        "allow_multiple": addon.allow_multiple, "max_quantity": str(addon.max_quantity),
        "requires": list(addon.requires or []),
        "incompatible_with": list(addon.incompatible_with or []),
        "active": addon.status == "active",
        "visibility": chosen if chosen in ("all", "none") else "chosen",
        "resellers": chosen if isinstance(chosen, list) else [],
        "direct": visibility["direct"],
        "metadata": "\n".join(f"{k}={str(v).lower() if isinstance(v, bool) else v}"
                              for k, v in (addon.metadata or {}).items()),
        "tax_exempt": addon.tax_exempt}

"""A workspace's billing information: who the invoices are made out to (the buyer).

Design choices:
- Every field is text, trimmed; a field left empty is *missing*, not invalid. An order that needs
  the information (a plan change to a paid plan, a renewal, an add-on purchase) is refused with
  `billing_info_incomplete` naming the missing fields; top-ups and switches to Free never ask.
- The NPWP (Indonesian tax id) is kept as digits only: dots and dashes are what people type
  (`01.234.567.8-901.000`), so they are stripped; what remains must be 15 digits (the old
  format) or 16 (the NIK-based one since 2024). Anything else is a 422 on `npwp`.
- The e-mail check is deliberately shallow (one `@`, a dot in the domain, no spaces): the
  address is printed on invoices, not used to send mail here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields

from billing.errors import BillingInfoIncomplete, ValidationFailed

MAX_LENGTHS = {"legal_name": 200, "billing_email": 254, "phone": 32, "address": 500, "npwp": 32}
NPWP_LENGTHS = (15, 16)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{5,30}$")


@dataclass(frozen=True)
class BillingInfo:
    legal_name: str = ""
    billing_email: str = ""
    phone: str = ""
    address: str = ""
    npwp: str = ""

    def missing(self) -> list[str]:
        """The fields still empty, in the order of the form."""
        return [f.name for f in fields(self) if not getattr(self, f.name)]

    def to_dict(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def normalize_npwp(text: str) -> str:
    """`01.234.567.8-901.000` → `012345678901000`; ValidationFailed unless 15 or 16 digits."""
    digits = text.replace(".", "").replace("-", "").strip()
    if not digits.isdigit() or not digits.isascii() or len(digits) not in NPWP_LENGTHS:
        raise ValidationFailed("npwp must be 15 or 16 digits (dots and dashes are ignored)",
                               field="npwp")
    return digits


def _clean(name: str, value: str) -> str:
    value = value.strip()
    if len(value) > MAX_LENGTHS[name]:
        raise ValidationFailed(f"{name} is longer than {MAX_LENGTHS[name]} characters",
                               field=name)
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise ValidationFailed(f"{name} contains control characters", field=name)
    return value


def billing_info(legal_name: str = "", billing_email: str = "", phone: str = "",
                 address: str = "", npwp: str = "") -> BillingInfo:
    """Validated, normalised billing information (empty fields allowed: they are missing)."""
    given = {"legal_name": legal_name, "billing_email": billing_email, "phone": phone,
             "address": address, "npwp": npwp}
    clean = {name: _clean(name, value) for name, value in given.items()}
    if clean["billing_email"] and not _EMAIL.match(clean["billing_email"]):
        raise ValidationFailed("billing_email is not an e-mail address", field="billing_email")
    if clean["phone"] and not _PHONE.match(clean["phone"]):
        raise ValidationFailed("phone must be digits (with +, spaces, dashes or brackets)",
                               field="phone")
    if "\n" in clean["legal_name"] or "\t" in clean["legal_name"]:
        raise ValidationFailed("legal_name must be one line", field="legal_name")
    if clean["npwp"]:
        clean["npwp"] = normalize_npwp(clean["npwp"])
    return BillingInfo(**clean)


def require_complete(info: BillingInfo | None) -> BillingInfo:
    """The information an order needs; else `billing_info_incomplete` with `details.missing`."""
    missing = (info or BillingInfo()).missing()
    if missing:
        raise BillingInfoIncomplete(
            "Complete the workspace's billing information first (PUT …/billing-info)",
            field=missing[0], details={"missing": missing})
    assert info is not None
    return info

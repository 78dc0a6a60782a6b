"""The tax configuration (admin: `GET/PUT /v1/admin/tax`), one document in `tax_config`, and the
tax of an order about to be invoiced (billing/tax.py computes it).

Document: {_id: "tax", seller_tax_id, schedules: [{effective_from_ms, prices_include_tax,
rates: {kind: {name, rate: [n, d], base: [n, d]}}}], updated_at}. Missing: no tax (the
default), and the seller's NPWP is `SALDO_SELLER_TAX_ID`. `effective_from` is kept as epoch
milliseconds (service/mongo/docs.py: NX-27017 compares datetimes as strings); schedules are
chosen in code, never by a query.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from billing.invoices import Order
from billing.tax import (InvoiceTax, TaxRate, TaxSchedule, check_schedules, in_force,
                         invoice_tax, normal_tax_id, order_lines)
from billing.money import Money
from service.mongo.docs import from_ms, money_from_doc, money_to_doc, to_ms
from service.runtime.context import Services

CONFIG_ID = "tax"


@dataclass(frozen=True)
class TaxConfig:
    seller_tax_id: str = ""                      # empty: the setting SALDO_SELLER_TAX_ID
    schedules: tuple[TaxSchedule, ...] = ()      # sorted by effective_from


def _pair(value: Fraction) -> list[int]:
    return [value.numerator, value.denominator]


def _rate_doc(rate: TaxRate) -> dict:
    return {"name": rate.name, "rate": _pair(rate.rate), "base": _pair(rate.base)}


def _rate(doc: dict) -> TaxRate:
    return TaxRate(doc["name"], Fraction(*doc["rate"]), Fraction(*doc["base"]))


def to_doc(config: TaxConfig, now: datetime) -> dict:
    return {"_id": CONFIG_ID, "seller_tax_id": config.seller_tax_id, "updated_at": now,
            "schedules": [{"effective_from_ms": to_ms(s.effective_from),
                           "prices_include_tax": s.prices_include_tax,
                           "rates": {k: _rate_doc(r) for k, r in s.rates.items()}}
                          for s in config.schedules]}


def from_doc(doc: dict | None) -> TaxConfig:
    if not doc:
        return TaxConfig()
    return TaxConfig(doc.get("seller_tax_id") or "", tuple(
        TaxSchedule(from_ms(s["effective_from_ms"]), bool(s["prices_include_tax"]),
                    {k: _rate(r) for k, r in s["rates"].items()})
        for s in doc.get("schedules") or ()))


async def load(svc: Services) -> TaxConfig:
    return from_doc(await svc.db.tax_config.find_one({"_id": CONFIG_ID}))


async def replace(svc: Services, config: TaxConfig, now: datetime) -> TaxConfig:
    """Validate and store the whole configuration. Invoices already issued keep their tax."""
    check_schedules(config.schedules)
    config = TaxConfig(normal_tax_id(config.seller_tax_id),
                       tuple(sorted(config.schedules, key=lambda s: s.effective_from)))
    # a whole-document replace (NX-27017 keeps the datetime's type; its upsert needs the _id)
    await svc.db.tax_config.replace_one({"_id": CONFIG_ID}, to_doc(config, now), upsert=True)
    return config


def invoice_tax_to_doc(tax: InvoiceTax) -> dict:
    """An invoice's `tax` (absent when the invoice is not taxed); its `amount` is the total."""
    return {"subtotal": money_to_doc(tax.subtotal), "tax_base": money_to_doc(tax.tax_base),
            "tax": money_to_doc(tax.tax), "prices_include_tax": tax.prices_include_tax,
            "rates": [_rate_doc(r) for r in tax.rates]}


def invoice_tax_from_doc(doc: dict | None, total: Money) -> InvoiceTax | None:
    if not doc:
        return None
    return InvoiceTax(money_from_doc(doc["subtotal"]), money_from_doc(doc["tax_base"]),
                      tuple(_rate(r) for r in doc["rates"]), money_from_doc(doc["tax"]), total,
                      bool(doc["prices_include_tax"]))


@dataclass(frozen=True)
class OrderTax:
    """What an order's invoice records about tax: the tax (None: not taxed) and the seller's
    NPWP in force when it was issued; `schedule` the schedule it was computed by."""
    tax: InvoiceTax | None
    seller_tax_id: str
    schedule: TaxSchedule | None = None

    def of(self, order: Order) -> OrderTax:
        """The same schedule applied to `order` (e.g. with its "Credit applied" line)."""
        return OrderTax(invoice_tax(order_lines(order), self.schedule), self.seller_tax_id,
                        self.schedule)

    def due(self, order: Order) -> Money:
        """What the invoice of `order` costs: the total with tax (the sum of its lines if not
        taxed)."""
        return self.tax.total if self.tax else order.total


async def schedule_at(svc: Services, now: datetime) -> TaxSchedule | None:
    """The schedule in force for an invoice issued at `now` (previews ask it)."""
    return in_force((await load(svc)).schedules, now)


async def order_tax(svc: Services, order: Order, now: datetime) -> OrderTax:
    """The tax of `order` invoiced at `now`, by the schedule in force then."""
    config = await load(svc)
    schedule = in_force(config.schedules, now)
    return OrderTax(invoice_tax(order_lines(order), schedule),
                    config.seller_tax_id or svc.settings.seller_tax_id, schedule)

"""Top-ups: buying WhatsApp balance. A top-up is an order for the `purchased` bucket of one
balance; the balance rises only once its invoice is paid (arrears of that balance first)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from billing.errors import TopupAboveMaximum, TopupBelowMinimum, ValidationFailed
from billing.invoices import InvoiceLine, Order, Text
from billing.money import Money
from billing.wallet import BALANCE_KINDS


@dataclass(frozen=True, slots=True)
class TopupLimit:
    minimum: Money
    maximum: Money

    def __post_init__(self) -> None:
        if self.minimum.is_negative() or self.minimum > self.maximum:
            raise ValueError("top-up limits need 0 <= minimum <= maximum")


DEFAULT_LIMITS: dict[str, TopupLimit] = {
    "conversation": TopupLimit(Money.idr(10_000), Money.idr(1_000_000)),
    "broadcast": TopupLimit(Money.idr(10_000), Money.idr(5_000_000)),
}

BALANCE_NAMES: dict[str, Text] = {
    "conversation": Text("percakapan", "conversation"),
    "broadcast": Text("broadcast", "broadcast"),
}


def check_topup(balance: str, amount: Money, limits: Mapping[str, TopupLimit]) -> None:
    """Raise ValidationFailed (field `balance` or `amount`) unless the top-up may be ordered."""
    if balance not in BALANCE_KINDS:
        raise ValidationFailed(f"Unknown balance {balance!r}; use conversation or broadcast",
                               field="balance")
    limit = limits[balance]
    if amount.currency != limit.minimum.currency:
        raise ValidationFailed(f"Top-ups are paid in {limit.minimum.currency}", field="amount")
    details = {"balance": balance, "minimum": limit.minimum.to_dict(),
               "maximum": limit.maximum.to_dict()}
    if amount < limit.minimum:
        raise TopupBelowMinimum(
            f"A {balance} top-up is at least {limit.minimum.amount} {amount.currency}",
            field="amount", details=details)
    if amount > limit.maximum:
        raise TopupAboveMaximum(
            f"A {balance} top-up is at most {limit.maximum.amount} {amount.currency}",
            field="amount", details=details)


def topup_order(topup_id: str, balance: str, amount: Money) -> Order:
    """The order (and so the invoice) of a top-up of `amount` to `balance`."""
    name = BALANCE_NAMES[balance]
    line = InvoiceLine(Text(f"Saldo {name.id} WhatsApp", f"WhatsApp {name.en} balance"),
                       1, amount)
    package = Text(f"Top-up saldo {name.id} WhatsApp {{amount}}",
                   f"WhatsApp {name.en} balance top-up {{amount}}")
    return Order(kind="topup", invoice_type="topup", package=package, lines=(line,),
                 reference={"topup_id": topup_id, "balance": balance})

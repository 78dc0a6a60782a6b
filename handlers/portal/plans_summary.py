"""The Upgrade / downgrade page's data (handlers/portal/plans.py): the form as it was sent
(`Choice`: plan, period, add-on quantities, the ➕/➖ pressed), the plan cards, and the Order
Summary, every number taken as the previews use case gave it (service/previews/): lines,
credit, tax, totals, when it takes effect, what shrinks and which add-ons go. Nothing here
prices anything; the template only formats."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping
from urllib.parse import urlencode

from babel.numbers import format_decimal

from billing.errors import BillingError
from billing.periods import UNIT_MONTHS
from billing.plans import PlanTerms, saving_vs_monthly
from billing.previews import Preview
from billing.subscriptions import Choice as PlanChoice, change_direction
from handlers.portal.i18n import LANG, _
from handlers.portal.messages import error_text
from service.addons.plan_offers import Offer
from service.subscriptions.records import SubscriptionView

QTY = "qty."           # form field of an add-on's quantity: qty.<addon id>
MAX_FORM_QUANTITY = 1_000_000


@dataclass
class Choice:
    """What the customer asked for: a plan and period, and add-on quantities (strings as sent:
    a bad one is shown back at its field)."""
    plan: str = ""
    period: str = ""
    quantities: dict[str, str] = field(default_factory=dict)
    step: tuple[str, int] | None = None     # (add-on id, +1 | -1): ➕ or ➖ pressed

    @classmethod
    def of(cls, values: Mapping) -> Choice:
        step = None
        for name, delta in (("inc", 1), ("dec", -1)):
            if values.get(name):
                step = (str(values[name])[:100], delta)
        return cls(str(values.get("plan", ""))[:40], str(values.get("period", ""))[:20],
                   {k[len(QTY):][:100]: str(v)[:20] for k, v in values.items()
                    if isinstance(k, str) and k.startswith(QTY)}, step)


@dataclass
class Row:
    """One add-on of the Order Summary with its ➕/➖ control."""
    offer: Offer
    value: str                   # as shown in the input (the sent text when it was bad)
    quantity: int | None         # None: not a whole number in range
    minimum: int
    default: int                 # what the subscription will hold if nothing is asked

    @property
    def id(self) -> str:
        return self.offer.addon.id

    @property
    def name(self) -> str:
        return self.offer.addon.display_name or self.offer.addon.name


def _held(view: SubscriptionView) -> dict[str, int]:
    """Units of each add-on held for the next period (what carries over if nothing is said)."""
    return {a.addon_id: a.quantity if a.next_quantity is None else a.next_quantity
            for a in view.addons}


def rows(choice: Choice, offers: list[Offer], view: SubscriptionView,
         errors: dict[str, str]) -> list[Row]:
    held = _held(view)
    out = []
    for offer in offers:
        default = held.get(offer.addon.id, 0)
        minimum = 1 if default else 0
        text = choice.quantities.get(offer.addon.id, str(default)).strip() or "0"
        quantity = int(text) if text.isdigit() and int(text) <= MAX_FORM_QUANTITY else None
        if quantity is not None and choice.step and choice.step[0] == offer.addon.id:
            quantity = max(minimum, quantity + choice.step[1])
            text = str(quantity)
        if quantity is None or quantity < minimum:
            errors[QTY + offer.addon.id] = (
                _("Enter a whole number of at least %(minimum)s.") % {"minimum": minimum}
                if minimum else _("Enter a whole number of 0 or more."))
            quantity = None
        out.append(Row(offer, text, quantity, minimum, default))
    return out


def asked_addons(rows_: list[Row]) -> list[tuple[str, int]]:
    """The body's `addons`: what differs from what carries over (held add-ons stay as they are
    unless asked otherwise; their stop is on the Add-ons page)."""
    return [(r.id, r.quantity) for r in rows_
            if r.quantity is not None and r.quantity > 0 and r.quantity != r.default]


def errors_of(exc: BillingError, asked: list[tuple[str, int]]) -> dict[str, str]:
    """An API refusal at the field it names: `addons.N.…` → that add-on's quantity field."""
    where = exc.field or ""
    if where.startswith("addons."):
        index = where.split(".")[1]
        if index.isdigit() and int(index) < len(asked):
            return {QTY + asked[int(index)][0]: error_text(exc)}
    return {"_form": error_text(exc)}


def url(choice_plan: str, period: str, rows_: list[Row]) -> str:
    """The page showing this summary (after an update without JavaScript; htmx's address)."""
    query = [("plan", choice_plan), ("period", period)] + [
        (QTY + r.id, str(r.quantity)) for r in rows_ if r.quantity and r.quantity != r.default]
    return "/portal/plans?" + urlencode(query)


def unit_label(unit: str) -> str:
    return {"monthly": _("Monthly"), "quarterly": _("Quarterly"),
            "yearly": _("Yearly")}.get(unit, unit)


def limit_label(key: str) -> str:
    return {"users": _("Users"), "contacts": _("Contacts"),
            "broadcast_quota": _("Broadcast quota")}.get(key, key)


def count(value: int) -> str:
    """A limit or a quantity as a person reads it (-1: unlimited)."""
    return _("Unlimited") if value == -1 else format_decimal(value, locale=LANG.get())


def cards(plans: list[PlanTerms], view: SubscriptionView, chosen: tuple[str, str]) -> list[dict]:
    """The plans side by side: each period it is sold in, its price and the saving against
    paying monthly; a free plan as one choice."""
    out = []
    for plan in plans:
        units = [u for u in UNIT_MONTHS if u in plan.prices]
        paid = any(plan.is_paid(u) for u in units)
        options = [{
            "unit": u, "label": unit_label(u) if paid else _("Free"), "price": plan.prices[u],
            "saving": saving_vs_monthly(plan, u), "href": url(plan.id, u, []) + "#summary",
            "selected": chosen == (plan.id, u),
            "current": view.plan.id == plan.id and (view.period == u or not paid)}
            for u in (units if paid else units[:1])]
        out.append({"id": plan.id, "name": plan.name, "current": view.plan.id == plan.id,
                    "grant": plan.grant, "options": options,
                    "limits": [(limit_label(k), count(v)) for k, v in plan.limits.items()]})
    return out


def heading(view: SubscriptionView, plan: PlanTerms | None, period: str) -> str:
    """The page's name for the change chosen (the domain's `change_direction`): a downgrade is
    not called an upgrade; before a choice, the overview's button's name."""
    direction = change_direction(PlanChoice(view.plan, view.period), PlanChoice(plan, period)) \
        if plan is not None else "upgrade"
    return {"downgrade": _("Downgrade Subscription"),
            "period_change": _("Change Subscription Period")}.get(direction,
                                                                   _("Upgrade Subscription"))


def scheduled(view: SubscriptionView, plans: list[PlanTerms]) -> dict | None:
    """The change already waiting (a new order replaces it)."""
    change = view.scheduled_change
    if change is None or not change.plan:
        return None
    names = {p.id: p.name for p in plans}
    return {"name": names.get(change.plan, change.plan), "period": unit_label(change.period or ""),
            "date": change.effective_at}


def summary(preview: Preview, view: SubscriptionView, lang: str) -> dict:
    """The Order Summary's numbers as the previews use case gave them."""
    names = {a.addon_id: a.display_name or a.name or a.addon_id for a in view.addons}
    lines = [{"description": line.description.render(lang), "units": line.units,
              "unit_price": line.unit_price, "amount": line.amount, "kind": line.kind,
              "proration": line.proration} for line in preview.lines]
    plan_line = next((line for line in preview.lines if line.kind == "plan"), None)
    return {
        "lines": lines,
        "credits": [{"description": c.description.render(lang), "amount": c.amount}
                    for c in preview.credits_applied],
        "taxes": preview.tax, "totals": preview.totals,
        "takes_effect": preview.takes_effect, "effective_at": preview.effective_at,
        "proration": plan_line.proration if plan_line else None,
        "shrinking": [{"label": limit_label(s.key), "used": count(s.used),
                       "before": count(s.current_max), "after": count(s.new_max), "exceeded": s.exceeded} for s in preview.shrinking],
        "removed": [{"name": names.get(r.addon_id, r.addon_id), "quantity": r.quantity,
                     "reason": r.reason} for r in preview.removed_addons],
        "to_pay": any(t.amount > 0 for t in preview.totals),
    }

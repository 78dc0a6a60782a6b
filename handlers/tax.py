"""PPN as data (admin): `GET/PUT /v1/admin/tax`, the seller's NPWP and the tax schedules (rates per
product kind, from a date). What GET returns PUT accepts back. Empty: no tax (the default)."""
from __future__ import annotations

from fractions import Fraction

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, Field, StrictBool, StrictInt

from billing.tax import PRODUCT_KINDS, TaxRate, TaxSchedule, tax_rate
from handlers.http import admin_only, parse_body, request_now, respond, RouteTable, services
from handlers.models import Request
from service.invoices import taxes

routes = RouteTable()


class FractionIn(Request):
    numerator: StrictInt = Field(ge=0, le=1_000_000)
    denominator: StrictInt = Field(ge=1, le=1_000_000)


class TaxRateIn(Request):
    name: str = Field(default="PPN", min_length=1, max_length=40,
                      description="Printed on invoices")
    rate: FractionIn = Field(description="e.g. 11/100 (PPN 11%) or 12/100")
    base: FractionIn = Field(default_factory=lambda: FractionIn(numerator=1, denominator=1),
                             description="Share of the price taxed (tax base, DPP): 1/1, or "
                                         "11/12 for PPN 12% on a DPP nilai lain")


class TaxScheduleIn(Request):
    effective_from: AwareDatetime = Field(description="Invoices issued from this moment on use "
                                                      "this schedule (until a later one begins)")
    prices_include_tax: StrictBool = Field(default=False, description="true: prices contain the "
                                           "tax, which is taken out; false: tax is added")
    rates: dict[str, TaxRateIn] = Field(default_factory=dict, max_length=len(PRODUCT_KINDS),
                                        description="Per product kind: plan, addon, topup (a "
                                                    "kind left out is not taxed)")


class TaxConfigIn(Request):
    seller_tax_id: str = Field(default="", max_length=40, description="The seller's NPWP (15 or "
                               "16 digits); empty: the SALDO_SELLER_TAX_ID setting")
    schedules: list[TaxScheduleIn] = Field(default_factory=list, max_length=100)


class TaxConfigOut(BaseModel):
    seller_tax_id: str
    schedules: list[TaxScheduleIn]


def _fraction(value: Fraction) -> FractionIn:
    return FractionIn(numerator=value.numerator, denominator=value.denominator)


def _rate(rate: TaxRate) -> TaxRateIn:
    return TaxRateIn(name=rate.name, rate=_fraction(rate.rate), base=_fraction(rate.base))


def config_out(config: taxes.TaxConfig) -> TaxConfigOut:
    return TaxConfigOut(seller_tax_id=config.seller_tax_id, schedules=[
        TaxScheduleIn(effective_from=s.effective_from, prices_include_tax=s.prices_include_tax,
                      rates={kind: _rate(r) for kind, r in s.rates.items()})
        for s in config.schedules])


def _schedule(i: int, body: TaxScheduleIn) -> TaxSchedule:
    where = f"schedules.{i}.rates"
    return TaxSchedule(body.effective_from, body.prices_include_tax, {
        kind: tax_rate(r.name, (r.rate.numerator, r.rate.denominator),
                       (r.base.numerator, r.base.denominator), f"{where}.{kind}")
        for kind, r in body.rates.items()})


@routes.route("GET", "/v1/admin/tax", "Tax (PPN) configuration (admin)", response=TaxConfigOut)
async def read(request: web.Request) -> web.Response:
    await admin_only(request)
    return respond(config_out(await taxes.load(services(request))))


@routes.route("PUT", "/v1/admin/tax", "Replace the tax (PPN) configuration (admin): schedules of "
              "rates per product kind (plan, addon, topup), each from its effective_from; "
              "invoices already issued keep their tax", body=TaxConfigIn, response=TaxConfigOut)
async def write(request: web.Request) -> web.Response:
    await admin_only(request)
    body = await parse_body(request, TaxConfigIn)
    config = taxes.TaxConfig(body.seller_tax_id, tuple(
        _schedule(i, s) for i, s in enumerate(body.schedules)))
    saved = await taxes.replace(services(request), config, request_now(request))
    return respond(config_out(saved))

"""Add-ons, pure: catalog validation, visibility and applicability, quantity rules, effective
limits and entitlements."""
import pytest

from billing.addon_catalog import validate_addon
from billing.addons import (AddonTerms, Holding, allows, check_combination, check_purchase,
                            effective_limits, entitlements, required_by)
from billing.errors import Conflict, PlanNotFound, ValidationFailed

PLANS = {"free", "growth", "pro"}
BRACKETS = [{"from": 1, "to": 10, "amount": 1500}, {"from": 11, "to": None, "amount": 1200}]


def data(**extra) -> dict:
    return {"name": "extra-user", "display_name": "Extra user", "type": "users",
            "consumption": 1, "applicable_plans": ["growth"], "billing": "recurring",
            "pricing_scheme": "unit", "periods": {"monthly": {"currency": "IDR",
                                                               "amount": 10_000}},
            "entitlements": [], "limits": [], "allow_multiple": True, "max_quantity": 5,
            "requires": [], "incompatible_with": [], "status": "active",
            "visibility": {"resellers": "all"}, "metadata": {}, **extra}


def validate(body: dict, **known):
    return validate_addon(body, plans=PLANS, addons=known.get("addons", ()),
                          resellers=known.get("resellers", ()), self_id="ad_self")


def terms(addon_id: str = "ad_a", **extra) -> AddonTerms:
    return AddonTerms.from_data({**data(**extra), "id": addon_id})


@pytest.mark.parametrize("changes, field", [
    ({"applicable_plans": []}, "applicable_plans"),                              # no plan
    ({"periods": {}}, "periods"),                                                 # no period
    ({"periods": {"monthly": None}}, "periods.monthly"),                          # price missing
    ({"periods": {"monthly": {"currency": "IDR"}}}, "periods.monthly"),           # price missing
    ({"periods": {"weekly": {"currency": "IDR", "amount": 1}}}, "periods.weekly"),  # unsold one
    ({"periods": {"monthly": {"currency": "IDR", "amount": -1}}}, "periods.monthly.amount"),
    ({"periods": {"monthly": {"currency": "IDR", "amount": 1},
                  "yearly": {"currency": "USD", "amount": 1}}}, "periods"),        # two currencies
    ({"periods": {"monthly": {"currency": "XXX", "amount": 1}}}, "periods.monthly.currency"),
    ({"pricing_scheme": "tier", "periods": {"monthly": {"currency": "USD", "brackets": [
        {"from": 1, "to": 10, "amount": 1}, {"from": 12, "to": None, "amount": 1}]}}},
     "periods.monthly.brackets"),                                                 # gap
    ({"pricing_scheme": "volume", "periods": {"monthly": {"currency": "USD", "brackets": [
        {"from": 1, "to": 10, "amount": 1}, {"from": 10, "to": None, "amount": 1}]}}},
     "periods.monthly.brackets"),                                                 # overlap
    ({"pricing_scheme": "package", "periods": {"monthly": {"currency": "USD", "brackets": [
        {"from": 1, "to": 10, "amount": -5}]}}}, "periods.monthly.brackets"),       # negative
    ({"pricing_scheme": "tier", "periods": {"monthly": {"currency": "USD", "amount": 5}}},
     "periods.monthly.brackets"),                                                 # wrong shape
    ({"max_quantity": 0}, "max_quantity"),
    ({"pricing_scheme": "volume", "max_quantity": 20, "periods": {"monthly": {
        "currency": "USD", "brackets": [{"from": 1, "to": 10, "amount": 1}]}}}, "max_quantity"),
    ({"consumption": 0}, "consumption"),
    ({"type": "feature", "entitlements": []}, "entitlements"),
    ({"limits": [{"key": "seats", "value": 1, "action": "increment"}]}, "limits.0.key"),
    ({"limits": [{"key": "users", "value": -2, "action": "set"}]}, "limits.0.value"),
    ({"requires": ["ad_missing"]}, "requires.0"),
    ({"incompatible_with": ["ad_self"]}, "incompatible_with.0"),
    ({"visibility": {"resellers": ["rs_unknown"]}}, "visibility.resellers"),
])
def test_invalid_addons_are_refused_with_the_field(changes, field):
    with pytest.raises(ValidationFailed) as refused:
        validate(data(**changes))
    assert refused.value.field == field


@pytest.mark.parametrize("plans", [["platinum"], ["growth", "platinum"]])
def test_an_unknown_plan_has_the_plan_not_found_code_on_its_field(plans):
    with pytest.raises(PlanNotFound) as refused:        # a 404, like a plan in a path
        validate(data(applicable_plans=plans))
    assert (refused.value.code, refused.value.field) == ("plan_not_found", "applicable_plans")


def test_an_addon_cannot_both_require_and_exclude_another():
    with pytest.raises(ValidationFailed) as refused:
        validate(data(requires=["ad_b"], incompatible_with=["ad_b"]), addons={"ad_b"})
    assert refused.value.field == "incompatible_with"


def test_valid_addons_pass_and_users_get_a_derived_increment_limit():
    clean = validate(data())
    assert clean["limits"] == [{"key": "users", "value": 1, "action": "increment"}]
    contacts = validate(data(type="contacts", consumption=1000))
    assert contacts["limits"] == [{"key": "contacts", "value": 1000, "action": "increment"}]
    tiered = validate(data(pricing_scheme="tier", periods={"monthly": {"currency": "USD",
                                                                       "brackets": BRACKETS}}))
    assert tiered["periods"]["monthly"]["brackets"] == BRACKETS
    assert validate(data(applicable_plans="all", visibility={"resellers": ["rs_a"]}),
                    resellers={"rs_a"})["applicable_plans"] == "all"


def test_visibility_all_none_and_a_list():
    assert terms(visibility={"resellers": "all"}).visible_to("rs_a")
    assert not terms(visibility={"resellers": "none"}).visible_to("rs_a")
    listed = terms(visibility={"resellers": ["rs_a"]})
    assert listed.visible_to("rs_a") and not listed.visible_to("rs_b")
    assert listed.visible_to(None)          # direct customers and the admin see everything


@pytest.mark.parametrize("changes, plan, unit, code", [
    ({"status": "inactive"}, "growth", "monthly", "addon_inactive"),
    ({}, "pro", "monthly", "addon_not_applicable"),
    ({}, "growth", "yearly", "addon_period_not_available"),
])
def test_what_cannot_be_bought(changes, plan, unit, code):
    with pytest.raises(ValidationFailed) as refused:
        check_purchase(terms(**changes), 1, {}, {}, plan, unit)
    assert refused.value.code == code


@pytest.mark.parametrize("changes, quantity, code", [
    ({"max_quantity": 5}, 6, "quantity_above_maximum"),
    ({"allow_multiple": False}, 2, "addon_multiple_not_allowed"),
])
def test_quantity_rules(changes, quantity, code):
    with pytest.raises(ValidationFailed) as refused:
        check_purchase(terms(**changes), quantity, {}, {}, "growth", "monthly")
    assert (refused.value.code, refused.value.field) == (code, "quantity")
    check_purchase(terms(**changes), quantity - 1, {}, {}, "growth", "monthly")


def test_a_held_recurring_addon_is_changed_not_bought_again():
    addon = terms()
    with pytest.raises(Conflict):
        check_purchase(addon, 1, {"ad_a": Holding("ad_a", 1)}, {"ad_a": addon}, "growth",
                       "monthly")
    once = terms(billing="one_time", allow_multiple=False)
    with pytest.raises(ValidationFailed) as refused:
        check_purchase(once, 1, {"ad_a": Holding("ad_a", 1)}, {"ad_a": once}, "growth",
                       "monthly")
    assert refused.value.code == "addon_multiple_not_allowed"


def test_requires_and_incompatible_with_both_ways():
    base, other = terms("ad_base"), terms("ad_other")
    needs = terms("ad_needs", requires=["ad_base"])
    with pytest.raises(ValidationFailed) as refused:
        check_combination(needs, {})
    assert refused.value.code == "addon_requires"
    check_combination(needs, {"ad_base": base})
    excludes = terms("ad_x", incompatible_with=["ad_other"])
    with pytest.raises(ValidationFailed) as refused:
        check_combination(excludes, {"ad_other": other})
    assert refused.value.code == "addon_incompatible"
    with pytest.raises(ValidationFailed):          # the other direction
        check_combination(other, {"ad_x": excludes})
    assert required_by("ad_base", {"ad_needs": needs, "ad_base": base}) == ["ad_needs"]


def limited(*rules: tuple[str, int, str], addon_id: str = "ad_l") -> AddonTerms:
    return terms(addon_id, limits=[{"key": k, "value": v, "action": a} for k, v, a in rules])


PLAN = {"users": 5, "contacts": 10_000, "broadcast_quota": 5_000}


def test_limits_with_increments_times_quantity():
    users = limited(("users", 1, "increment"))
    contacts = limited(("contacts", 1000, "increment"), addon_id="ad_c")
    limits = effective_limits(PLAN, [(users, 3), (contacts, 2)])
    assert limits == {"users": 8, "contacts": 12_000, "broadcast_quota": 5_000}


def test_set_wins_over_increments_and_the_largest_set_wins():
    inc = limited(("users", 10, "increment"))
    assert effective_limits(PLAN, [(inc, 1), (limited(("users", 3, "set"), addon_id="ad_s"),
                                               1)])["users"] == 3
    sets = [(limited(("users", 7, "set"), addon_id="ad_1"), 1),
            (limited(("users", 20, "set"), addon_id="ad_2"), 1)]
    assert effective_limits(PLAN, sets)["users"] == 20


def test_minus_one_is_unlimited():
    assert effective_limits(PLAN, [(limited(("users", -1, "set")), 1),
                                   (limited(("users", 50, "set"), addon_id="ad_2"), 1)]
                            )["users"] == -1
    assert effective_limits(PLAN, [(limited(("contacts", -1, "increment")), 1)]
                            )["contacts"] == -1
    assert effective_limits({**PLAN, "users": -1}, [(limited(("users", 1, "increment")), 2)]
                            )["users"] == -1
    assert allows(-1, 10**9, 1) and allows(5, 4, 1) and not allows(5, 5, 1)


def test_entitlements_come_from_held_addons():
    bundle = terms(type="feature", entitlements=["api_access", "webhooks"])
    assert entitlements([(bundle, 1)]) == {"api_access", "webhooks"}
    assert entitlements([(bundle, 0)]) == set()

"""`visibility.direct`, pure (issue 9 item 13)."""
from billing.addon_catalog import validate_addon
from billing.addons import AddonTerms
from tests.billing.test_addons import data


def terms(**visibility) -> AddonTerms:
    return AddonTerms.from_data({**data(visibility=visibility), "id": "ad_a"})


def test_direct_customers_see_only_what_visibility_direct_allows():
    assert terms(resellers="all").visible_to(None)              # stored before `direct`
    assert not terms(resellers="all", direct=False).visible_to(None)
    assert terms(resellers="all", direct=False).visible_to("rs_a")
    assert terms(resellers="none", direct=True).visible_to(None)
    assert not terms(resellers="none", direct=True).visible_to("rs_a")


def test_validation_fills_in_direct():
    clean = validate_addon(data(visibility={"resellers": "none"}), plans={"growth"}, addons=(),
                           resellers=())
    assert clean["visibility"] == {"resellers": "none", "direct": True}

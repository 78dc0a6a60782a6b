"""Each refusal of the add-on catalog (billing/addon_catalog.py) reaches the panel's form as the
sentence for its case: the panel tells them apart by the refusal's `details`, not by words of its
English message, so rewording the API's message cannot give an operator the wrong advice."""
import pytest

from billing.addon_catalog import _check_links, _check_quantity, quantity_rules
from billing.errors import ValidationFailed
from handlers.panel.addons import _refusal
from handlers.panel.addon_form import form_field
from handlers.portal.i18n import LANG

BRACKETS = [{"from": 1, "to": 10, "amount": 1000}]


def refused(check) -> tuple[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        check()
    field = form_field(caught.value.field)
    token = LANG.set("en")
    try:
        return field, _refusal(field, caught.value.details or {})
    finally:
        LANG.reset(token)


@pytest.mark.parametrize("check, said", [
    (lambda: quantity_rules(True, None),
     "Enter a maximum quantity of 2 or more when a customer may buy several units."),
    (lambda: quantity_rules(True, 1),
     "Enter a maximum quantity of 2 or more when a customer may buy several units."),
    (lambda: quantity_rules(False, 5), "Enter a maximum quantity of 1, or allow multiple."),
    (lambda: quantity_rules(None, 0), "Enter a maximum quantity of 1 or more."),
    (lambda: _check_quantity({"max_quantity": 20,
                              "periods": {"monthly": {"brackets": BRACKETS}}}),
     "Keep the maximum quantity within the last price bracket."),
    (lambda: _check_links({"requires": ["self"]}, "self", {"self", "other"}),
     "An add-on cannot refer to itself."),
    (lambda: _check_links({"requires": ["other"], "incompatible_with": ["other"]}, "self",
                          {"self", "other"}),
     "An add-on cannot both require and exclude the same add-on."),
    (lambda: _check_links({"incompatible_with": ["gone"]}, "self", {"self"}),
     "Choose add-ons from the list."),
])
def test_each_catalog_refusal_gets_the_sentence_for_its_case(check, said):
    assert refused(check)[1] == said

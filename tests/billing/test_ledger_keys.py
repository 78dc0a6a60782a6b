"""The ledger keys are stored (the `_id` of each ledger entry): their formats never change, or a
retry after a deploy would post the same event twice."""
from datetime import datetime, timedelta, timezone

from billing import ledger_keys

WIB = timezone(timedelta(hours=7))
START = datetime(2026, 4, 1, tzinfo=WIB)


def test_each_ledger_key_keeps_its_stored_format():
    assert ledger_keys.charge("wamid.HBg") == "charge:wamid.HBg"
    assert ledger_keys.grant("ws_1", START) == "grant:ws_1:2026-04-01T00:00:00+07:00"
    assert (ledger_keys.upgrade_grant("ws_1", START, "pro")
            == "grant:ws_1:2026-04-01T00:00:00+07:00:upgrade:pro")
    assert ledger_keys.expiry("ws_1", START) == "expiry:ws_1:2026-04-01T00:00:00+07:00"
    assert ledger_keys.topup("top_1") == "topup:top_1"
    assert ledger_keys.addon_credit("ao_1", "ad_1") == "addon_credit:ao_1:ad_1"
    assert ledger_keys.addon_refund("ws_1", "ad_1", 3, 1, 7) == "addon_refund:ws_1:ad_1:3:1:r7"
    assert (ledger_keys.addon_excess("ws_1", START, "ad_1")
            == "addon_excess:ws_1:2026-04-01T00:00:00+07:00:ad_1")

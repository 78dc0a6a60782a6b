"""The wallet's `last` journal (service/wallet/journal.py) is compact (issue 16: it is encoded,
sent and stored with every wallet write), and reads back as exactly the entry documents the
ledger collection receives: charges, arrears, credits with their arrears settlement, with and
without a flush's writer token; journals of the earlier form (a list of documents) still read."""
import json
from datetime import datetime, timezone

import pytest

from billing.money import Money
from billing.wallet import LedgerIntent
from service.wallet.journal import journal_of, unjournal, wallet_write
from service.wallet.ledger import zero_wallet_doc

NOW = datetime(2026, 12, 1, 5, 6, 7, 890000, tzinfo=timezone.utc)


def intents() -> list[LedgerIntent]:
    charges = [LedgerIntent(f"charge:wamid.{n}", "charge", "broadcast" if n % 3 else "conversation",
                            Money.idr(650 if n % 3 else 30),
                            {"wamid": f"wamid.{n}", "category": "marketing", "inferred_category": n == 4})
               for n in range(8)]
    return [LedgerIntent("grant:g1", "grant", "conversation", Money.idr(100), {}), *charges,
            LedgerIntent("topup:t1", "topup", "broadcast", Money.idr(1000), {"id": "t1"})]


@pytest.mark.parametrize("writer", [None, "0123456789abcdef"])
def test_the_journal_reads_back_as_the_entry_documents_written(writer):
    wallet = {**zero_wallet_doc("ws_1", NOW), "seq": 41}
    write = wallet_write(wallet, "ws_1", intents(), NOW, writer)
    kinds = [d["kind"] for d in write.entry_docs]
    assert {"charge", "arrears", "topup", "arrears_settlement", "grant"} <= set(kinds)
    assert unjournal(write.replacement) == write.entry_docs
    stored = json.loads(write.replacement["last"])
    assert isinstance(stored, dict)        # the compact form, about half the list's size
    assert len(write.replacement["last"]) < 0.6 * len(json.dumps(write.entry_docs, separators=(",", ":")))


def test_entries_that_do_not_share_their_fields_are_journaled_as_documents():
    wallet = zero_wallet_doc("ws_1", NOW)
    docs = wallet_write(wallet, "ws_1", intents()[:4], NOW, "w1").entry_docs
    mixed = [docs[0], {**docs[1], "writer": "w2"}, {k: v for k, v in docs[2].items() if k != "writer"},
             {**docs[0], "_id": "other", "extra": 1}]
    assert isinstance(json.loads(journal_of(mixed)), list)
    assert unjournal({"last": journal_of(mixed)}) == mixed


def test_a_journal_of_the_earlier_form_still_reads():
    docs = wallet_write(zero_wallet_doc("ws_1", NOW), "ws_1", intents()[:2], NOW).entry_docs
    assert unjournal({"last": json.dumps(docs)}) == docs
    assert unjournal({"last": "[]"}) == [] and unjournal({}) == []

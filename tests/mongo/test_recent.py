"""The bounded memory behind the hot path's hints (remembered wallets, recently written wamids)."""
from service.mongo.recent import Recent


def test_keeps_the_most_recently_added_keys_only():
    recent: Recent[str, int] = Recent(limit=3)
    for i, key in enumerate("abcd"):
        recent.add(key, i)
    assert len(recent) == 3 and "a" not in recent and "d" in recent


def test_adding_a_key_again_makes_it_the_newest():
    recent: Recent[str, int] = Recent(limit=2)
    recent.add("a", 1)
    recent.add("b", 2)
    recent.add("a", 3)
    recent.add("c", 4)
    assert "b" not in recent
    assert recent.take("a") == 3


def test_take_forgets_the_key():
    recent: Recent[str, int] = Recent(limit=2)
    recent.add("a", 1)
    assert recent.take("a") == 1
    assert recent.take("a") is None and "a" not in recent

import asyncio

import pytest

from service.mongo.batching import GroupCommit


async def test_calls_made_during_a_flush_are_merged_into_the_next_one():
    flushed: list[list[int]] = []
    gate = asyncio.Event()

    async def flush(_, items):
        flushed.append(list(items))
        if len(flushed) == 1:
            await gate.wait()
        return [i * 10 for i in items]

    batching = GroupCommit(flush)
    first = asyncio.create_task(batching.submit(1))
    await asyncio.sleep(0)  # let the first flush start
    rest = [asyncio.create_task(batching.submit(i)) for i in (2, 3, 4)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(first, *rest) == [10, 20, 30, 40]
    assert flushed == [[1], [2, 3, 4]]


async def test_a_failed_flush_fails_every_caller_in_it_and_the_next_batch_still_runs():
    async def flush(_, items):
        if 0 in items:
            raise RuntimeError("database down")
        return items

    batching = GroupCommit(flush)
    results = await asyncio.gather(batching.submit(0), batching.submit(5),
                                   return_exceptions=True)
    assert [type(r) for r in results] == [RuntimeError, RuntimeError]
    assert await batching.submit(7) == 7


async def test_keys_are_flushed_separately_each_in_one_call():
    flushed: list[tuple[str, list[int]]] = []

    async def flush(key, items):
        flushed.append((key, list(items)))
        return [f"{key}{i}" for i in items]

    batching = GroupCommit(flush)
    results = await asyncio.gather(*(batching.submit(i, key) for key, i in
                                     (("a", 1), ("b", 2), ("a", 3), ("b", 4))))
    assert results == ["a1", "b2", "a3", "b4"]
    assert sorted(flushed) == [("a", [1, 3]), ("b", [2, 4])]


async def test_a_flush_takes_at_most_max_batch_items_the_rest_go_in_the_next():
    flushed: list[list[int]] = []

    async def flush(_, items):
        flushed.append(list(items))
        return items

    batching = GroupCommit(flush, max_batch=2)
    assert await asyncio.gather(*(batching.submit(i) for i in range(5))) == [0, 1, 2, 3, 4]
    assert flushed == [[0, 1], [2, 3], [4]]


async def test_a_delay_of_zero_lets_items_of_the_next_loop_turn_join_the_flush():
    flushed: list[list[int]] = []

    async def flush(_, items):
        flushed.append(list(items))
        return items

    eager, delayed = GroupCommit(flush), GroupCommit(flush, delay=0)
    for batching in (eager, delayed):
        first = batching.enqueue(1)
        await asyncio.sleep(0)          # one loop turn later
        await asyncio.gather(first, batching.enqueue(2))
    assert flushed == [[1], [2], [1, 2]]


async def test_close_flushes_what_nobody_awaits():
    written: list[int] = []

    async def flush(_, items):
        written.extend(items)
        return [None] * len(items)

    batching = GroupCommit(flush, delay=0)
    batching.enqueue(1, "x")
    batching.enqueue(2, "y")
    await batching.close()
    assert sorted(written) == [1, 2]


async def test_a_flush_answering_for_the_wrong_number_of_items_fails_its_callers():
    async def flush(_, items):
        return items[:1]

    batching = GroupCommit(flush)
    with pytest.raises(RuntimeError, match="1 results for 2 items"):
        await asyncio.gather(batching.submit(1), batching.submit(2))


async def test_with_a_weight_a_flush_takes_at_most_max_batch_summed_weight():
    """E.g. message records, not requests: a heavy item goes alone, never split or dropped."""
    flushed: list[list[list[int]]] = []

    async def flush(_, items):
        flushed.append([list(i) for i in items])
        return [len(i) for i in items]

    batching = GroupCommit(flush, max_batch=4, weight=len)
    items = [[1, 1], [2, 2], [3], [4] * 7, [5]]
    assert await asyncio.gather(*(batching.submit(i) for i in items)) == [2, 2, 1, 7, 1]
    assert flushed == [[[1, 1], [2, 2]], [[3]], [[4] * 7], [[5]]]

import asyncio


from service.mongo.coalesce import Coalescer


async def test_calls_made_during_a_flush_are_merged_into_the_next_one():
    flushed: list[list[int]] = []
    gate = asyncio.Event()

    async def flush(items):
        flushed.append(list(items))
        if len(flushed) == 1:
            await gate.wait()
        return [i * 10 for i in items]

    coalescer = Coalescer(flush)
    first = asyncio.create_task(coalescer.submit(1))
    await asyncio.sleep(0)  # let the first flush start
    rest = [asyncio.create_task(coalescer.submit(i)) for i in (2, 3, 4)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(first, *rest) == [10, 20, 30, 40]
    assert flushed == [[1], [2, 3, 4]]


async def test_a_failed_flush_fails_every_caller_in_it_and_the_next_batch_still_runs():
    async def flush(items):
        if 0 in items:
            raise RuntimeError("database down")
        return items

    coalescer = Coalescer(flush)
    results = await asyncio.gather(coalescer.submit(0), coalescer.submit(5),
                                   return_exceptions=True)
    assert [type(r) for r in results] == [RuntimeError, RuntimeError]
    assert await coalescer.submit(7) == 7

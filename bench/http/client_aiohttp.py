"""The client benchmark with aiohttp: N GETs over keep-alive one at a time, then N with C in
flight. Prints requests/s for both."""
import asyncio, sys, time
import aiohttp

async def main(url, n, c):
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=c)) as s:
        t = time.perf_counter()
        for _ in range(n):
            async with s.get(url) as r:
                await r.read()
                assert r.status == 200
        seq = time.perf_counter() - t
        per = n // c
        async def worker():
            for _ in range(per):
                async with s.get(url) as r:
                    await r.read()
                    assert r.status == 200
        t = time.perf_counter()
        await asyncio.gather(*[worker() for _ in range(c)])
        conc = time.perf_counter() - t
        print(n / seq, per * c / conc)

asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))

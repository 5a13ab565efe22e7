"""Peer for sleepers.kiwi: N asyncio tasks that each sleep, then report over a queue."""
import asyncio
import sys


async def main(count: int, ms: int) -> None:
    done: asyncio.Queue = asyncio.Queue()

    async def worker(n: int) -> None:
        await asyncio.sleep(ms / 1000)
        await done.put(n)

    tasks = [asyncio.create_task(worker(i)) for i in range(1, count + 1)]
    total = 0
    for _ in range(count):
        total += await done.get()
    await asyncio.gather(*tasks)
    print(f"{count} tasks, sum {total}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10000,
                     int(sys.argv[2]) if len(sys.argv) > 2 else 500))

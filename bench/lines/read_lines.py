"""Reads lines with asyncio's StreamReader.readline until end of stream; prints how many."""
import asyncio
import sys


async def main(port):
    reader, _ = await asyncio.open_connection("127.0.0.1", port)
    n = 0
    while await reader.readline():
        n += 1
    print(n)


asyncio.run(main(int(sys.argv[1])))

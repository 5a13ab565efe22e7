"""Reference echo server for bench/echo: asyncio Protocol (the fast idiomatic way).

Usage: python3 asyncio_echo.py PORT [--uvloop]
Binds 127.0.0.1:PORT and serves until killed. With --uvloop the event loop is
uvloop's; if uvloop cannot be imported the server exits with status 3 (the runner
reports it as skipped).
"""

import asyncio
import socket
import sys


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


async def main(port):
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Echo, "127.0.0.1", port, backlog=4096)
    host, bound = server.sockets[0].getsockname()[:2]
    flavour = type(loop).__module__.split(".")[0]
    print(f"asyncio ({flavour}) echo server listening on {host}:{bound}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--uvloop"]
    if len(args) != 1 or not args[0].isdigit():
        print("usage: asyncio_echo.py PORT [--uvloop]", file=sys.stderr)
        sys.exit(2)
    run = asyncio.run
    if "--uvloop" in sys.argv[1:]:
        try:
            import uvloop
        except ImportError:
            print("asyncio_echo.py: uvloop is not installed", file=sys.stderr)
            sys.exit(3)
        run = uvloop.run
    run(main(int(args[0])))

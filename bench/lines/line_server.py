"""Serves LINES lines of LEN bytes (newline included) to each client, then closes.

Prints its port. The lines are sent in 64 KiB writes, so a reader gets many lines per
read and has to split them itself.
"""
import socket
import sys
import threading

lines, length = int(sys.argv[1]), int(sys.argv[2])
data = (b"x" * (length - 1) + b"\n") * lines
srv = socket.create_server(("127.0.0.1", 0))
print(srv.getsockname()[1], flush=True)


def serve(conn):
    with conn:
        for i in range(0, len(data), 65536):
            conn.sendall(data[i:i + 65536])


while True:
    conn, _ = srv.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()

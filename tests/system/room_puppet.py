"""A stand-in for an app process, run by the room server in tests (not a test module itself).

It speaks textual-serve's pipe protocol and nothing else: what the test types into its websocket (a JSON object)
it writes to the server as a meta packet, as an app process would, forged or not; every meta packet the server
sends it, it echoes back as a line of screen data, so the test reads exactly what reached this process. So a
test can be an honest attendee, a hostile one, or the instructor's session, in a process that starts in
milliseconds. Its first line says its role, its pid and its server's (which node of a hall it runs on).
"""

from __future__ import annotations

import json
import os
import sys


def write(kind: bytes, payload: bytes) -> None:
    sys.stdout.buffer.write(kind + len(payload).to_bytes(4, "big") + payload)
    sys.stdout.buffer.flush()


def main() -> None:
    sys.stdout.buffer.write(b"__GANGLION__\n")
    hello = {"role": os.environ.get("BACKPROP_ROLE"), "pid": os.getpid(), "server": os.getppid()}
    write(b"D", json.dumps(hello).encode() + b"\n")
    stdin = sys.stdin.buffer
    while True:
        head = stdin.read(5)
        if len(head) < 5:
            return
        payload = stdin.read(int.from_bytes(head[1:], "big"))
        if head[:1] == b"D":
            try:
                write(b"M", json.dumps(json.loads(payload)).encode())
            except ValueError:
                continue
        else:
            meta = json.loads(payload)
            if meta.get("type") == "quit":
                write(b"M", b'{"type": "exit"}')
                return
            write(b"D", json.dumps({"received": meta}).encode() + b"\n")


if __name__ == "__main__":
    main()

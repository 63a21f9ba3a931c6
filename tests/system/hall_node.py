"""One node of a lecture hall, for the tests (not a test module itself): the room server on Redis, whose sessions
run the stand-in app process (room_puppet.py), so a test can start several nodes, each in a process it can kill.

    python tests/system/hall_node.py PORT REDIS_URL PUBLIC_URL [HEARTBEAT]

The instructor's token is `teach`, as in tests/system/test_room.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from backprop_tui.serve.redis_channel import RedisChannel  # noqa: E402  (after the path is set)
from backprop_tui.serve.server import RoomServer  # noqa: E402
from backprop_tui.serve.signing import room_key  # noqa: E402

PUPPET = [sys.executable, str(Path(__file__).with_name("room_puppet.py"))]


def main() -> None:
    port, url, public_url = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    heartbeat = float(sys.argv[4]) if len(sys.argv) > 4 else 2.0
    channel = RedisChannel(url, room_key("teach"), heartbeat=heartbeat)
    server = RoomServer(PUPPET, host="127.0.0.1", port=port, public_url=public_url, instructor_token="teach",
                        max_sessions=8, channel=channel)
    server.serve()


if __name__ == "__main__":
    main()

"""One app process per browser tab, started without a shell.

textual-serve starts apps with `create_subprocess_shell(command)`; here the
command is an argument list run directly, so nothing a user sends can ever be
read by a shell.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Sequence
from typing import Any

from textual_serve.app_service import AppService

from backprop_tui.follow_mode import CHANNEL
from backprop_tui.room_packets import ANSWER, ROOM, STATUS
from backprop_tui.serve.hall import Hall

STOP_TIMEOUT = 5.0


class RoomAppService(AppService):
    def __init__(self, argv: Sequence[str], role: str, hall: Hall, **kwargs: Any) -> None:
        super().__init__(" ".join(argv), **kwargs)
        self.argv = list(argv)
        self.role = role
        self.hub = hall.follow
        self.room = hall.room

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        environment = super()._build_environment(width=width, height=height)
        environment["TEXTUAL_DRIVER"] = "backprop_tui.serve.driver:RoomDriver"
        environment["BACKPROP_ROLE"] = self.role
        return environment

    async def _open_app_process(self, width: int = 80, height: int = 24) -> asyncio.subprocess.Process:
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self._build_environment(width=width, height=height),
            start_new_session=True,
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    async def on_meta(self, data: bytes) -> None:
        """The room's packets are taken only from the role that may send them: a position from the instructor's
        session, answers and statuses from an attendee's; a room report or the channel's state is the server's to
        send, never an app's."""
        try:
            meta = json.loads(data)
        except ValueError:
            return
        kind = meta.get("type") if isinstance(meta, dict) else None
        if kind == "backprop_position":
            if self.role == "instructor":
                await self.hub.publish(meta)  # the room's channel brings it back to the hubs of every node
            return
        if kind in (ANSWER, STATUS):
            if self.role == "attendee":
                self.room.heard(self.app_service_id, meta)
            return
        if kind in (ROOM, CHANNEL) or not isinstance(kind, str):
            return
        await super().on_meta(data)

    async def stop(self) -> None:
        """Ask the app to quit; if it has not gone within a few seconds, end it. Once: the session's own handler
        and the server's shutdown may both stop it, and textual-serve's stop, entered twice, awaits a task the
        first has already cleared (TypeError)."""
        if getattr(self, "_stopping", False):
            return
        self._stopping = True
        try:
            await asyncio.wait_for(super().stop(), STOP_TIMEOUT)
        except (TimeoutError, RuntimeError, ConnectionError):
            pass
        finally:
            self.kill()
            if self._process is not None:
                try:
                    await asyncio.wait_for(self._process.wait(), STOP_TIMEOUT)  # reap it: no zombies
                except TimeoutError:
                    pass

    def kill(self) -> None:
        process = self._process
        if process is not None and process.returncode is None:
            try:
                os.killpg(process.pid, 9)
            except ProcessLookupError:
                pass

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

"""`backprop-tui serve`: textual-serve's Server, made safe and usable for a room.

What changes from the stock server (see DESIGN.md's traps):
- each tab's app is an argument list run without a shell (RoomAppService);
- our own page, which works offline, and only two static files, never a listing;
- a token (required off loopback) checked on every request, carried by a cookie after the first page;
- a websocket upgrade must come from our own page's Origin;
- at most --max-sessions app processes at once; more get a clear 503 page;
- the browser is given a websocket URL it can reach (--public-url, or the LAN address for 0.0.0.0);
- follow mode: the instructor's session publishes its position, attendees' sessions follow it;
- reading the room: attendees' sessions report their quiz answers, the instructor's is shown the counts. An
  attendee is its browser: a random id in a cookie, so a reload or a second tab does not count twice;
- a lecture hall: several servers behind a reverse proxy share the follow channel and the room's counts on Redis
  (hall.py, redis_channel.py); without one, the channel is in this process.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp.typedefs import Handler
from textual_serve.app_service import AppService
from textual_serve.server import Server

from backprop_tui.follow_mode import channel_packet
from backprop_tui.serve.app_process import RoomAppService
from backprop_tui.serve.channel import Channel
from backprop_tui.serve.hall import Hall
from backprop_tui.serve.security import origin_of, origin_ok, public_url_for, token_ok

log = logging.getLogger("backprop-tui.serve")

TOKEN_COOKIE = "backprop_token"
INSTRUCTOR_COOKIE = "backprop_instructor"
ATTENDEE_COOKIE = "backprop_attendee"
"""A random id per browser, set by our page: what makes a reconnecting attendee the same attendee."""
ATTENDEE_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
STATIC_FILES = {"textual.js": ("js/textual.js", "application/javascript"), "xterm.css": ("css/xterm.css", "text/css")}
MAX_MESSAGE = 64 * 1024
"""Largest websocket message accepted from a browser (keys and resizes are tiny)."""


class RoomServer(Server):
    def __init__(
        self,
        app_argv: Sequence[str],
        host: str = "127.0.0.1",
        port: int = 8000,
        public_url: str | None = None,
        token: str | None = None,
        max_sessions: int = 40,
        instructor_token: str | None = None,
        channel: Channel | None = None,
    ) -> None:
        """`channel`: the room's channel shared with other nodes (redis_channel.py); by default, this process's."""
        url = public_url_for(host, port, public_url)
        super().__init__(command="backprop-tui", host=host, port=port, title="backprop-tui", public_url=url)
        self.app_argv = list(app_argv)
        self.token = token
        self.instructor_token = instructor_token
        self.max_sessions = max_sessions
        self.services: set[RoomAppService] = set()
        self.hall = Hall(max_sessions, channel)
        self.hub = self.hall.follow
        self.room = self.hall.room
        self.templates_path = Path(str(files("backprop_tui.serve") / "templates"))
        self.statics_path = Path(str(files("textual_serve") / "static"))

    # --- the aiohttp application ----------------------------------------------------

    async def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._guard], client_max_size=MAX_MESSAGE)
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path), autoescape=True)
        app.add_routes([
            web.get("/", self.handle_index, name="index"),
            web.get("/ws", self.handle_websocket, name="websocket"),
            web.get("/ws/instructor", self.handle_websocket, name="instructor-websocket"),
            web.get("/download/{key}", self.handle_download, name="download"),
            web.get("/static/{name}", self.handle_static, name="static"),
        ])
        app.on_startup.append(self.on_startup)
        app.on_shutdown.append(self.on_shutdown)
        return app

    def _message(self, request: web.Request, status: int, heading: str, message: str) -> web.Response:
        response = aiohttp_jinja2.render_template(
            "message.html", request, {"title": "backprop-tui", "heading": heading, "message": message}, status=status
        )
        return response

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Every request carries the token (query the first time, then the cookie), or gets 403."""
        from_query = request.query.get("token")
        given = from_query or request.cookies.get(TOKEN_COOKIE)
        if not token_ok(self.token, given):
            return self._message(request, 403, "Forbidden", "This session needs the link with its token.")
        response = await handler(request)
        if self.token is not None and from_query and not response.prepared:
            response.set_cookie(TOKEN_COOKIE, from_query, httponly=True, samesite="Strict")
        return response

    async def handle_static(self, request: web.Request) -> web.StreamResponse:
        entry = STATIC_FILES.get(request.match_info["name"])
        if entry is None:
            raise web.HTTPNotFound()
        relative, content_type = entry
        return web.FileResponse(self.statics_path / relative, headers={"Content-Type": content_type})

    def _allowed_origins(self, request: web.Request) -> set[str]:
        return {origin_of(self.public_url), f"{request.scheme}://{request.host}".lower()}

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        if len(self.services) >= self.max_sessions:
            return self._full(request)
        instructor = self.instructor_token is not None and token_ok(
            self.instructor_token, request.query.get("instructor")
        )
        ws_path = "/ws/instructor" if instructor else "/ws"
        websocket_url = "ws" + self.public_url[len("http"):] + ws_path
        context = {
            "title": "backprop-tui" + (" · instructor" if instructor else ""),
            "websocket_url": websocket_url,
            "static_url": f"{self.public_url}/static/",
            "font_size": _int(request.query.get("fontsize"), 16, 8, 48),
        }
        response = aiohttp_jinja2.render_template("index.html", request, context)
        response.headers["Cache-Control"] = "no-store"
        if _attendee_id(request) is None:
            response.set_cookie(ATTENDEE_COOKIE, secrets.token_urlsafe(16), httponly=True, samesite="Strict")
        if instructor:
            response.set_cookie(INSTRUCTOR_COOKIE, request.query["instructor"], httponly=True, samesite="Strict")
        return response

    def _full(self, request: web.Request) -> web.Response:
        return self._message(request, 503, "The room is full",
                             f"All {self.max_sessions} sessions are in use. Try again in a minute.")

    # --- one websocket, one app process ------------------------------------------------

    # A refused connection gets a plain HTTP page, which aiohttp takes from any handler; textual-serve
    # types its handler as returning only the websocket. Its one caller, the route table, is ours (_make_app).
    async def handle_websocket(  # type: ignore[override]  # may answer with a page, not a websocket
        self, request: web.Request
    ) -> web.StreamResponse:
        if not origin_ok(request.headers.get("Origin"), self._allowed_origins(request)):
            return self._message(request, 403, "Forbidden", "Connections are accepted only from this server's page.")
        role = "attendee"
        if request.path.endswith("/instructor"):
            if not (self.instructor_token and token_ok(self.instructor_token, request.cookies.get(INSTRUCTOR_COOKIE))):
                return self._message(request, 403, "Forbidden", "Not the instructor's session.")
            role = "instructor"
        if len(self.services) >= self.max_sessions:
            return self._full(request)

        width = _int(request.query.get("width"), 80, 20, 500)
        height = _int(request.query.get("height"), 24, 8, 300)
        websocket = web.WebSocketResponse(heartbeat=15, max_msg_size=MAX_MESSAGE)
        service = RoomAppService(
            self.app_argv, role, self.hall,
            write_bytes=websocket.send_bytes, write_str=websocket.send_str, close=websocket.close,
            download_manager=self.download_manager, debug=self.debug,
        )
        self.services.add(service)  # counted before any await, so a burst cannot overshoot the cap
        key = service.app_service_id
        try:
            await websocket.prepare(request)
            await service.start(width, height)
            if not self.hall.channel.up:
                await service.send_meta(channel_packet(False))
            if role == "attendee":
                browser = _attendee_id(request)  # None: a client that never loaded our page counts on its own
                self.room.join(key, f"browser:{browser}" if browser else f"session:{key}")
                await self.hub.join(key, service.send_meta)
            else:
                self.room.join_instructor(key, service.send_meta)
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:  # one broken session must never take the server down
            log.warning("session %s ended: %r", key, error)
        finally:
            self.hub.leave(key)
            self.room.leave(key)
            self.services.discard(service)
            await service.stop()
        return websocket

    async def _process_messages(self, websocket: web.WebSocketResponse, app_service: AppService) -> None:
        """Like textual-serve's, but a malformed message is skipped instead of ending the session."""
        from aiohttp import WSMsgType

        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = message.json()
                kind, data = envelope[0], envelope[1]
                if kind == "stdin" and isinstance(data, str):
                    await app_service.send_bytes(data.encode("utf-8"))
                elif kind == "resize" and isinstance(data, dict):
                    await app_service.set_terminal_size(_int(data.get("width"), 80, 20, 500),
                                                        _int(data.get("height"), 24, 8, 300))
                elif kind == "ping":
                    await websocket.send_json(["pong", data])
                elif kind == "blur":
                    await app_service.blur()
                elif kind == "focus":
                    await app_service.focus()
            except (ValueError, TypeError, IndexError, KeyError, AttributeError):
                continue

    async def on_startup(self, app: web.Application) -> None:
        await self.hall.start()
        self.console.print(f"Serving backprop-tui on [bold]{self.public_url}/{self._link_query()}[/bold]")
        if self.instructor_token:
            self.console.print(f"Instructor: {self.public_url}/{self._link_query(instructor=True)}")
        if (shown := self.hall.channel.shown) is not None:
            self.console.print(f"Room channel: Redis at {shown}, signed with the instructor's key"
                               + ("" if self.hall.channel.up else " (not reached yet: retrying)"),
                               highlight=False, soft_wrap=True)
        self.console.print(f"At most {self.max_sessions} sessions. Press Ctrl+C to stop.")

    def _link_query(self, instructor: bool = False) -> str:
        parts = []
        if self.token:
            parts.append(f"token={self.token}")
        if instructor:
            parts.append(f"instructor={self.instructor_token}")
        return ("?" + "&".join(parts)) if parts else ""

    async def on_shutdown(self, app: web.Application) -> None:
        await self.hall.close()
        await asyncio.gather(*(service.stop() for service in list(self.services)), return_exceptions=True)


def _attendee_id(request: web.Request) -> str | None:
    """The browser's id from its cookie, if it is one our page could have set."""
    given = request.cookies.get(ATTENDEE_COOKIE)
    return given if given is not None and ATTENDEE_ID.fullmatch(given) else None


def _int(value: Any, default: int, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return max(low, min(high, number))

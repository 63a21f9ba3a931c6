"""Serving the debugger to a room: one app process per browser tab, behind a token, an Origin check and a cap."""

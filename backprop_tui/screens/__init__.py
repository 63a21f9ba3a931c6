"""Screens pushed over the debugger."""

"""The debugger's state, without Textual: the run, the current tape and one position.

Placeholder kept minimal until the app grows; see `Session.start`.
"""

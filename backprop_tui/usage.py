"""The one kind of failure the command line reports as a single line and exit 2: a bad flag, a path that cannot
be written, a condition that does not parse. Its own module, so that what raises it (the subcommands, the
exports) need not import the command line that catches it."""

EXIT_USAGE = 2


class UsageError(Exception):
    """A one-line complaint about the command line or its inputs (exit 2)."""

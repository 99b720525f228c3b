"""Command line: ``python -m ftrack_local serve`` and friends.

Each subcommand is a :class:`Command` in :data:`COMMANDS`: a name, a help
line, a function adding its arguments and a function running it. Add an
entry to add a subcommand.
"""

import argparse
import errno
import logging
import os
import shlex
import sys
from typing import Callable, List, NamedTuple, Optional, Sequence

from . import __version__

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


class Command(NamedTuple):
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# -- serve ----------------------------------------------------------------------

def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``serve`` to *parser*."""
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8989,
                        help="port to listen on; 0 picks a free one "
                             "(default: %(default)s)")
    parser.add_argument("--data-dir", default="./ftrack-data",
                        help="where the data lives (default: %(default)s)")
    parser.add_argument("--database", metavar="URL", default=None,
                        help="SQLAlchemy database URL (default: SQLite in "
                             "the data directory)")
    parser.add_argument("--api-user", default="admin",
                        help="name of the admin API user (default: %(default)s)")
    parser.add_argument("--api-key", default=None,
                        help="API key of the admin user (default: "
                             "$FTRACK_API_KEY, else the stored or a new one)")
    add_log_level_argument(parser)


def add_log_level_argument(parser: argparse.ArgumentParser) -> None:
    """Add the ``--log-level`` option to *parser*."""
    parser.add_argument("--log-level", default="info", choices=LOG_LEVELS,
                        type=str.lower,
                        help="logging verbosity (default: %(default)s)")


def run_serve(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C or SIGTERM."""
    from .server import LocalServer, is_loopback

    if not is_loopback(args.host):
        print("Warning: listening on {0} makes the server reachable from "
              "other machines; anyone with the API key can read and change "
              "its data.".format(args.host), file=sys.stderr, flush=True)
    api_key = args.api_key or os.environ.get("FTRACK_API_KEY") or None
    server = LocalServer(data_dir=args.data_dir, host=args.host,
                         port=args.port, database_url=args.database,
                         api_user=args.api_user, api_key=api_key)
    try:
        server.start()
    except OSError as error:
        print("error: cannot listen on {0}:{1}: {2}".format(
            args.host, args.port, _describe_os_error(error)),
            file=sys.stderr, flush=True)
        return 1
    print(ready_text(server), flush=True)
    server.serve_forever()
    return 0


def ready_text(server) -> str:
    """The lines printed once the server accepts connections."""
    return "\n".join([
        "ftrack_local {0} is serving {1} (data in {2}); connect with:".format(
            __version__, server.url, server.data_dir),
        "export FTRACK_SERVER={0}".format(shlex.quote(server.url)),
        "export FTRACK_API_USER={0}".format(shlex.quote(server.api_user)),
        "export FTRACK_API_KEY={0}".format(shlex.quote(server.api_key)),
        "Press Ctrl-C to stop.",
    ])


def _describe_os_error(error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return ("address already in use (is another server running? "
                "choose another --port)")
    return error.strerror or str(error)


# -- demo -------------------------------------------------------------------------

def add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``demo`` to *parser*."""
    add_log_level_argument(parser)
    parser.set_defaults(log_level="warning")


def run_demo(args: argparse.Namespace) -> int:
    """Run the demo on a throwaway server; return the exit code."""
    from .demo import main as demo_main

    return demo_main()


# -- main -------------------------------------------------------------------------

COMMANDS: List[Command] = [
    Command("serve", "run the local ftrack server", add_serve_arguments,
            run_serve),
    Command("demo", "run the tutorial flow with ftrack_api on a throwaway server",
            add_demo_arguments, run_demo),
]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one subcommand per entry of COMMANDS."""
    parser = argparse.ArgumentParser(
        prog="ftrack_local",
        description="A local server speaking the ftrack API protocol.")
    parser.add_argument("--version", action="version",
                        version="%(prog)s " + __version__)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        sub = subparsers.add_parser(command.name, help=command.help,
                                    description=command.help)
        command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    return parser


def configure_logging(level: str) -> None:
    """Send log records of *level* and above to standard error."""
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "run", None) is None:
        parser.print_help(sys.stderr)
        return 2
    configure_logging(getattr(args, "log_level", "info"))
    try:
        return args.run(args)
    except KeyboardInterrupt:
        return 0

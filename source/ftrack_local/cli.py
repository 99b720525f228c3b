"""Command line: ``python -m ftrack_local serve`` and friends.

Each subcommand is a :class:`Command` in :data:`COMMANDS`: a name, a help
line, a function adding its arguments and a function running it. Add an
entry to add a subcommand.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import shlex
import sys
from typing import TYPE_CHECKING, Callable, List, NamedTuple, Optional, Sequence

from . import __version__
from .errors import ApiError, ValidationError
from .limits import OPTIONS as LIMIT_OPTIONS, Limits, parse_size
from .snapshot.commands import add_load_arguments, add_snapshot_arguments, run_load, run_snapshot
from .snapshot.format import SnapshotError

if TYPE_CHECKING:  # the server and its dependencies load only where a command runs
    from .events import HubSettings
    from .server import LocalServer

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
    parser.add_argument("--public-url", metavar="URL", default=None,
                        help="the address clients reach the server by, when it "
                             "is not the listening one (a load balancer in front "
                             "of several processes); used in the URLs the server "
                             "hands out")
    parser.add_argument("--api-user", default="admin",
                        help="name of the admin API user (default: %(default)s)")
    parser.add_argument("--api-key", default=None,
                        help="API key of the admin user (default: "
                             "$FTRACK_API_KEY, else the stored or a new one)")
    add_limit_arguments(parser)
    parser.add_argument("--hub-queue-limit", metavar="BYTES", type=_size, default=None,
                        help="bytes of events queued for one event hub client "
                             "before it is dropped as stuck")
    parser.add_argument("--from-snapshot", metavar="SNAPSHOT", default=None,
                        help="load this snapshot (folder or archive) into the data "
                             "directory before serving")
    parser.add_argument("--allow-origin", metavar="ORIGIN", action="append", default=[],
                        dest="allowed_origins",
                        help="a browser origin (e.g. https://tools.example.com) allowed "
                             "credentialed cross-origin use of the event hub; repeatable "
                             "(default: none)")
    add_log_level_argument(parser)


#: Help of the option of each limit, and whether it takes a byte size.
_LIMIT_HELP = {
    "max_body_bytes": ("largest /api request body", True),
    "max_operations": ("most operations in one /api batch", False),
    "max_json_depth": ("deepest JSON nesting of an /api request body", False),
    "max_query_length": ("longest query expression, in characters", False),
    "max_upload_bytes": ("largest upload to the ftrack.server location", True),
}


def _size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error))


def _count(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(
            "not a whole number of at least 1: {0!r}".format(text))
    return int(text)


def add_limit_arguments(parser: argparse.ArgumentParser) -> None:
    """Add one option per :class:`~ftrack_local.limits.Limits` field to *parser*."""
    defaults = Limits()
    for name, option in LIMIT_OPTIONS.items():
        help_text, is_size = _LIMIT_HELP[name]
        parser.add_argument(option, dest=name, metavar="BYTES" if is_size else "N",
                            type=_size if is_size else _count, default=None,
                            help="{0} (default: {1}{2})".format(
                                help_text, getattr(defaults, name),
                                " bytes; suffixes K, M, G, T" if is_size else ""))


def limits_from_arguments(args: argparse.Namespace) -> Limits:
    """The :class:`~ftrack_local.limits.Limits` the options in *args* ask for."""
    given = {name: getattr(args, name) for name in LIMIT_OPTIONS
             if getattr(args, name, None) is not None}
    return Limits(**given)


def hub_settings_from_arguments(args: argparse.Namespace) -> Optional[HubSettings]:
    """The event hub settings the options in *args* ask for (None: the defaults)."""
    given = {}
    if getattr(args, "hub_queue_limit", None) is not None:
        given["max_queue_bytes"] = args.hub_queue_limit
    if getattr(args, "allowed_origins", None):
        given["allowed_origins"] = tuple(args.allowed_origins)
    if not given:
        return None
    from .events import HubSettings

    return HubSettings(**given)


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
                         api_user=args.api_user, api_key=api_key,
                         limits=limits_from_arguments(args),
                         hub_settings=hub_settings_from_arguments(args),
                         public_url=args.public_url, snapshot=args.from_snapshot)
    try:
        server.start()
    except (SnapshotError, ApiError) as error:
        print("error: cannot load {0}: {1}".format(args.from_snapshot, error), file=sys.stderr, flush=True)
        return 1
    except OSError as error:
        print("error: cannot listen on {0}:{1}: {2}".format(
            args.host, args.port, _describe_os_error(error)),
            file=sys.stderr, flush=True)
        return 1
    print(ready_text(server), flush=True)
    server.serve_forever()
    return 0


def ready_text(server: LocalServer) -> str:
    """The lines printed once the server accepts connections."""
    return "\n".join([
        "ftrack_local {0} is serving {1} (data in {2}); connect with:".format(
            __version__, server.url, server.data_dir),
        "export FTRACK_SERVER={0}".format(shlex.quote(getattr(server, "public_url", server.url))),
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


# -- user -------------------------------------------------------------------------

def add_user_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the subcommands of ``user`` (add, list, role, rotate-key) to *parser*."""
    parser.add_argument("--data-dir", default="./ftrack-data",
                        help="where the data lives (default: %(default)s)")
    parser.add_argument("--database", metavar="URL", default=None,
                        help="SQLAlchemy database URL (default: SQLite in the data directory)")
    actions = parser.add_subparsers(dest="user_action", metavar="ACTION")
    actions.required = True
    add = actions.add_parser("add", help="create a user and print its API key")
    add.add_argument("name", help="the username")
    add.add_argument("--email", default=None, help="the user's email address")
    add.add_argument("--first-name", default=None, help="first name (default: the username)")
    add.add_argument("--last-name", default=None, help="last name")
    add.add_argument("--role", default=None,
                     help="a security role to grant (e.g. User, Supervisor, API)")
    _add_project_options(add)
    listing = actions.add_parser("list", help="list users with their roles and projects")
    listing.add_argument("--show-keys", action="store_true", help="print the API keys too")
    role = actions.add_parser("role", help="grant (or with --remove, revoke) a security role")
    role.add_argument("name", help="the username")
    role.add_argument("role", help="the security role (e.g. Supervisor)")
    _add_project_options(role)
    role.add_argument("--remove", action="store_true",
                      help="revoke the role (only on the --project ones when given)")
    rotate = actions.add_parser("rotate-key", help="give a user a new API key and print it")
    rotate.add_argument("name", help="the username")
    for sub in (add, listing, role, rotate):
        # Accepted after the action too: ``user list --data-dir DIR``.
        sub.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        sub.add_argument("--database", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    parser.set_defaults(log_level="warning")


def _add_project_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", action="append", default=[], dest="projects",
                        metavar="NAME_OR_ID", help="a project the role applies to; repeatable")
    parser.add_argument("--all-projects", action="store_true",
                        help="the role applies to every project")


def run_user(args: argparse.Namespace) -> int:
    """Run one ``user`` action on the data dir or database; return the exit code."""
    from .api import users

    try:
        storage = users.open_storage(args.data_dir, args.database)
    except ApiError as error:
        print("error: {0}".format(error.content), file=sys.stderr)
        return 1
    try:
        with storage.connect(args.user_action != "list") as connection:
            with connection.begin():
                return _USER_ACTIONS[args.user_action](users, storage, connection, args)
    except ApiError as error:
        print("error: {0}".format(error.content), file=sys.stderr)
        return 1
    finally:
        storage.dispose()


def _user_add(users, storage, connection, args: argparse.Namespace) -> int:
    if (args.projects or args.all_projects) and not args.role:
        raise _usage("--project and --all-projects need --role")
    created = users.create_user(storage, connection, args.name, email=args.email,
                                first_name=args.first_name, last_name=args.last_name)
    if args.role:
        users.grant_role(storage, connection, args.name, args.role, args.projects,
                         args.all_projects)
    print(created["api_key"])
    return 0


def _user_list(users, storage, connection, args: argparse.Namespace) -> int:
    for user in users.describe_users(storage, connection, with_keys=args.show_keys):
        roles = "; ".join("{0} ({1})".format(
            grant["role"], "all projects" if grant["projects"] == "all"
            else ", ".join(grant["projects"]) or "no projects") for grant in user["roles"])
        fields = [user["username"], roles or "no roles"]
        if args.show_keys:
            fields.append(user.get("api_key") or "-")
        print("\t".join(fields))
    return 0


def _user_role(users, storage, connection, args: argparse.Namespace) -> int:
    if args.remove:
        if args.all_projects:
            raise _usage("--remove takes --project, not --all-projects")
        users.revoke_role(storage, connection, args.name, args.role, args.projects)
    else:
        users.grant_role(storage, connection, args.name, args.role, args.projects,
                         args.all_projects)
    return 0


def _user_rotate_key(users, storage, connection, args: argparse.Namespace) -> int:
    user = users.find_user(storage, connection, args.name)
    print(users.rotate_key(storage, connection, user["username"]))
    return 0


def _usage(message: str):
    return ValidationError(message)


_USER_ACTIONS = {"add": _user_add, "list": _user_list, "role": _user_role,
                 "rotate-key": _user_rotate_key}


# -- main -------------------------------------------------------------------------

COMMANDS: List[Command] = [
    Command("serve", "run the local ftrack server", add_serve_arguments,
            run_serve),
    Command("demo", "run the tutorial flow with ftrack_api on a throwaway server",
            add_demo_arguments, run_demo),
    Command("user", "add users, grant security roles and rotate API keys",
            add_user_arguments, run_user),
    Command("snapshot", "copy projects of any ftrack server into a snapshot",
            add_snapshot_arguments, run_snapshot),
    Command("load", "load a snapshot into a data directory",
            add_load_arguments, run_load),
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

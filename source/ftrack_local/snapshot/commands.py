"""``ftrack-local snapshot`` and ``ftrack-local load``: the command line of snapshots.

``snapshot`` reads projects from any ftrack server (credentials from the
options or the usual ``FTRACK_SERVER``, ``FTRACK_API_USER`` and
``FTRACK_API_KEY``) into a new snapshot folder or archive; run it again
with the same options to resume an interrupted run. ``load`` writes a
snapshot into a data directory (or the database ``--database`` names),
also while a server runs on it.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import sys
import tempfile
from typing import Any, Optional

from .format import SnapshotError, archive_mode

#: Defaults of the options that keep the source server comfortable.
DEFAULT_PAGE_SIZE = 500
DEFAULT_CONCURRENCY = 4
DEFAULT_IDS_PER_QUERY = 250


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("{0!r} is not a whole number".format(text)) from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _date(text: str) -> str:
    from ..errors import ValidationError
    from ..values import format_datetime, parse_datetime

    try:
        return format_datetime(parse_datetime(text))
    except ValidationError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_snapshot_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``snapshot`` to *parser*."""
    parser.add_argument("output", metavar="OUTPUT",
                        help="the new snapshot: a folder, or an archive ending in .tar, .tar.gz or .tar.xz")
    parser.add_argument("--from", dest="server_url", metavar="URL", default=os.environ.get("FTRACK_SERVER"),
                        help="the server to read (default: $FTRACK_SERVER)")
    parser.add_argument("--user", dest="api_user", default=os.environ.get("FTRACK_API_USER"),
                        help="the API user (default: $FTRACK_API_USER)")
    parser.add_argument("--key", dest="api_key", default=os.environ.get("FTRACK_API_KEY"),
                        help="the API key (default: $FTRACK_API_KEY)")
    parser.add_argument("--project", dest="projects", metavar="NAME", action="append", required=True,
                        help="the name of a project to take; repeatable")
    parser.add_argument("--include", action="append", choices=["components"], default=[],
                        help="also copy the files of the file components")
    parser.add_argument("--since", metavar="DATE", type=_date, default=None,
                        help="take only the versions, notes, time logs and status changes of DATE or later "
                             "(the project tree, assets and configuration are taken whole)")
    parser.add_argument("--anonymise", "--anonymize", action="store_true",
                        help="replace names, e-mail addresses and free text with stable stand-ins")
    parser.add_argument("--salt", default=None,
                        help="the secret the stand-ins derive from (default: a new random one; "
                             "give the same salt for snapshots that must line up)")
    parser.add_argument("--page-size", type=_positive, default=DEFAULT_PAGE_SIZE,
                        help="rows asked for in one request (default: %(default)s)")
    parser.add_argument("--concurrency", type=_positive, default=DEFAULT_CONCURRENCY,
                        help="requests sent at once (default: %(default)s)")
    parser.add_argument("--ids-per-query", type=_positive, default=DEFAULT_IDS_PER_QUERY,
                        help="ids named in one query's filter (default: %(default)s)")
    parser.add_argument("--verbose", action="store_true", help="report every step, also when not on a terminal")


def _folder_of(output: str) -> str:
    """Where the snapshot is built: *output*, or a folder next to the archive *output*."""
    if archive_mode(output) is None:
        return output
    return output + ".folder"


def _salt(args: argparse.Namespace, folder: str) -> Optional[str]:
    """The salt of ``--anonymise``: given, recorded by the unfinished run being resumed, or new."""
    if not args.anonymise:
        return None
    if args.salt:
        return str(args.salt)
    try:
        with open(os.path.join(folder + ".partial", "options.json"), encoding="utf-8") as handle:
            recorded = json.load(handle).get("salt")
    except (OSError, ValueError, AttributeError):
        recorded = None
    return recorded or secrets.token_hex(16)


def run_snapshot(args: argparse.Namespace) -> int:
    """Take the snapshot ``args`` describe; return the exit code."""
    import ftrack_api

    from .capture import Capture, Options
    from .format import SnapshotReader, pack
    from .progress import ProgressReport

    missing = [option for option, value in (("--from", args.server_url), ("--user", args.api_user),
                                            ("--key", args.api_key)) if not value]
    if missing:
        print("error: {0} required (or set FTRACK_SERVER, FTRACK_API_USER and FTRACK_API_KEY)".format(
            ", ".join(missing)), file=sys.stderr)
        return 2
    if os.path.exists(args.output):
        print("error: {0} already exists; a snapshot is written to a new place".format(args.output), file=sys.stderr)
        return 1
    folder = _folder_of(args.output)
    options = Options(projects=list(args.projects), include_components="components" in args.include,
                      since=args.since, anonymise_salt=_salt(args, folder))
    # Location plugins on FTRACK_EVENT_PLUGIN_PATH give the session the studio's storage.
    session = ftrack_api.Session(server_url=args.server_url, api_user=args.api_user, api_key=args.api_key,
                                 auto_connect_event_hub=False)
    report = ProgressReport(verbose=args.verbose)
    packing = folder != args.output

    def progress(event: str, **details: Any) -> None:
        if not (packing and event == "finished"):  # told once the archive is written
            report(event, **details)

    try:
        if packing and os.path.isfile(os.path.join(folder, "manifest.json")):
            path = folder  # taken by an earlier run that could not pack it
        else:
            path = Capture(session, folder, options, page_size=args.page_size, concurrency=args.concurrency,
                           ids_per_query=args.ids_per_query, progress=progress).run()
        if packing:
            manifest = SnapshotReader(path).manifest
            pack(path, args.output)
            shutil.rmtree(path)
            report("finished", path=args.output, types=len(manifest.types), files=manifest.blobs,
                   entities=sum(entry.count for entry in manifest.types.values()))
    except SnapshotError as error:
        print("error: {0}".format(error), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nInterrupted; run the same command again to resume.", file=sys.stderr)
        return 130
    finally:
        session.close()
    return 0


def add_load_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``load`` to *parser*."""
    parser.add_argument("snapshot", metavar="SNAPSHOT", help="a snapshot folder or archive")
    parser.add_argument("--server", metavar="URL", default=None,
                        help="load into the ftrack-local server running at URL (as an administrator: "
                             "--user and --key, or $FTRACK_API_USER and $FTRACK_API_KEY) instead of a "
                             "data directory")
    parser.add_argument("--user", dest="server_user", default=os.environ.get("FTRACK_API_USER"),
                        help="with --server: the API user (default: $FTRACK_API_USER)")
    parser.add_argument("--key", dest="server_key", default=os.environ.get("FTRACK_API_KEY"),
                        help="with --server: the API key (default: $FTRACK_API_KEY)")
    parser.add_argument("--data-dir", default="./ftrack-data",
                        help="the data directory to load into; a server may be running on it "
                             "(default: %(default)s)")
    parser.add_argument("--database", metavar="URL", default=None,
                        help="SQLAlchemy database URL (default: SQLite in the data directory)")
    parser.add_argument("--api-user", default="admin",
                        help="the server's admin user, kept an administrator (default: %(default)s)")


def run_load(args: argparse.Namespace) -> int:
    """Load the snapshot ``args`` names; return the exit code."""
    from ..api import Backend
    from ..errors import ApiError
    from .load import load
    from .progress import ProgressReport

    if not os.path.exists(args.snapshot):
        print("error: {0} does not exist".format(args.snapshot), file=sys.stderr)
        return 1
    if args.server:
        return _load_into_server(args)
    backend = Backend.open(args.data_dir, database_url=args.database, api_user=args.api_user)
    try:
        report = load(backend, args.snapshot, progress=ProgressReport())
    except (SnapshotError, ApiError) as error:
        print("error: {0}".format(error), file=sys.stderr)
        return 1
    finally:
        backend.close()
    _warn_unknown(report)
    return 0


def _load_into_server(args: argparse.Namespace) -> int:
    """Send the snapshot to ``POST /ftrack-local/snapshot`` of a running server."""
    import requests

    from .format import pack
    from .load import LoadReport
    from .progress import ProgressReport

    if not args.server_user or not args.server_key:
        print("error: --server needs --user and --key (or FTRACK_API_USER and FTRACK_API_KEY)", file=sys.stderr)
        return 2
    folder = None
    path = args.snapshot
    try:
        if archive_mode(path) is None:
            folder = tempfile.mkdtemp(prefix="ftrack-snapshot-")
            path = pack(args.snapshot, os.path.join(folder, "snapshot.tar"))
        with open(path, "rb") as body:
            response = requests.post(args.server.rstrip("/") + "/ftrack-local/snapshot", data=body,
                                     headers={"ftrack-user": args.server_user, "ftrack-api-key": args.server_key,
                                              "Content-Type": "application/x-tar"})
        answer = response.json()
    except (OSError, ValueError, SnapshotError, requests.RequestException) as error:
        print("error: {0}".format(error), file=sys.stderr)
        return 1
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    if response.status_code != 200:
        print("error: {0}".format(answer.get("content", answer)), file=sys.stderr)
        return 1
    report = LoadReport(**answer)
    ProgressReport()("loaded", entities=report.entities, types=report.types, files=report.files,
                     seconds=report.seconds)
    _warn_unknown(report)
    return 0


def _warn_unknown(report: Any) -> None:
    if report.unknown_types:
        print("warning: this server has no types {0}; their rows were not loaded".format(
            ", ".join(report.unknown_types)), file=sys.stderr)
    for type_name, names in sorted(report.unknown_attributes.items()):
        print("warning: {0} has no attributes {1} here; they were left out".format(type_name, ", ".join(names)),
              file=sys.stderr)

"""Snapshots: a slice of an ftrack site kept on disk, to load into ``ftrack-local``.

* :mod:`~ftrack_local.snapshot.scope` decides what a snapshot of some
  projects takes, as ordered query steps;
* :mod:`~ftrack_local.snapshot.source` reads rows from any ftrack server
  through an ``ftrack_api`` session, a page at a time;
* :mod:`~ftrack_local.snapshot.capture` runs the steps, resumably, and
  :mod:`~ftrack_local.snapshot.components` copies the component files;
* :mod:`~ftrack_local.snapshot.anonymise` replaces names, e-mail addresses
  and free text with stable stand-ins on the way;
* :mod:`~ftrack_local.snapshot.format` writes and reads the snapshot folder
  (a manifest, one JSON Lines file per entity type, component files) and
  its archives;
* :mod:`~ftrack_local.snapshot.load` writes a snapshot into a server's
  database and file store, and :mod:`~ftrack_local.snapshot.routes` lets a
  running server receive one over HTTP;
* :mod:`~ftrack_local.snapshot.commands` and
  :mod:`~ftrack_local.snapshot.progress` are the command line.

See ``doc/snapshots.rst`` for a walk-through.
"""

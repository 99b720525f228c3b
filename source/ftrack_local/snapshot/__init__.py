"""Snapshots: a slice of an ftrack site kept on disk, to load into ``ftrack-local``.

:mod:`~ftrack_local.snapshot.format` writes and reads the snapshot folder
(a manifest, one JSON Lines file per entity type, component files);
:mod:`~ftrack_local.snapshot.anonymise` replaces names, e-mail addresses
and free text with stable stand-ins on the way in.
"""

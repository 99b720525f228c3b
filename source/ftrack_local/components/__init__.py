"""Component data, media encoding and server jobs.
(doc/protocol.rst, "Component and job actions", "Component data")

* :mod:`.store` — blobs of the ``ftrack.server`` location in the data dir;
* :mod:`.tokens` — signed, expiring tokens for upload and widget URLs;
* :mod:`.ffmpeg` — finding and running ffmpeg;
* :mod:`.media` — ``encode_media`` jobs run in the background;
* :mod:`.jobs` — the rules for ``Job`` rows;
* :mod:`.outbox` — invitations the server would mail, kept as files;
* :mod:`.service` — the above bound to one backend;
* :mod:`.routes` — the HTTP endpoints under ``/component/`` and ``/widget/``.
"""

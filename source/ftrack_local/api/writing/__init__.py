"""The pieces of :class:`ftrack_local.api.writer.Writer`.

Rules of the ftrack model, kept as data where they are data:

* :mod:`.defaults`: values new rows get (schema literals, server defaults,
  creation stamps) and attribute sets that must stay unique;
* :mod:`.discriminators`: which subtype a row is, from its discriminator
  columns;
* :mod:`.cascades`: what happens to dependent rows on delete;
* :mod:`.derivations`: values derived from related rows when a row is
  created (projects, workflow statuses, version numbers, authors…);
* :mod:`.workflows`: the first status and type a project's schemas give a
  new typed context or version;
* :mod:`.custom_values`: custom attribute values and their value types;
* :mod:`.notes`: note recipients and categories.

The mechanism that applies them:

* :mod:`.plans`: what the writer knows about one entity type;
* :mod:`.parsing`: wire values to column values and collection writes;
* :mod:`.rows`: finding, inserting and updating rows, and the change log;
* :mod:`.related`: cached lookups of related rows (contexts, workflows);
* :mod:`.hierarchy`: moves of contexts between projects;
* :mod:`.memberships`: collections written as complete memberships;
* :mod:`.removal`: deletes, with their cascades;
* :mod:`.batch`: the state of one batch shared by all of the above.
"""

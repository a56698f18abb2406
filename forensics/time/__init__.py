"""Time you can defend: zones, DST, inferred years, clock skew and the ``--since``/``--until`` window.

* ``zones``: per chunk, the wall-clock time read in the decided zone (``localize``);
* ``dst``: the repeated hour of a fall-back, decided from the order of the whole source;
* ``years``: the year of timestamps written without one;
* ``skew``: host clock offsets estimated from happenings two hosts both recorded, and applied;
* ``second_pass``: once every file is read, the decisions above applied to the held events;
* ``window``: the dates an investigator types, read as a UTC window.

Nothing is shifted silently: every decision is a column, a flag or a manifest entry
(``docs/time.md``).
"""

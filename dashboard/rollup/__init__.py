"""The roll-up edition (``DTP_EDITION=rollup``, issues 17 and 24): the government-wide view of
every organisation's published pack. Its own package beside the ministry edition's modules: it
shares ``dashboard``'s ``access``, ``audit``, ``ui``, ``state``, ``charts``, ``fmt``,
``queries`` (the locked connection and cache only) and the briefing/download machinery, and is
run by ``dashboard/app.py`` (``app.main``); its pages are ``views/*.py``. The layer rules
(tests/test_layers.py): no ministry-only module is imported here, and no ministry module imports
this package."""

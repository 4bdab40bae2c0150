"""Per-area message catalogues of the console (key -> (zh, en)), merged by :mod:`hegui.console.i18n`."""

"""``python -m tinygan ...``: the same command line as ``tinygan ...`` (see ``tinygan.cli``)."""

from tinygan.cli import main

raise SystemExit(main())

"""``python -m geomon.cli``: the ``geomon`` command without the installed script."""

import sys

from geomon.cli import main

sys.exit(main())

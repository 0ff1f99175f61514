"""``python -m geomon.cli``: the same as the ``geomon`` command."""

import sys

from geomon.cli import main

sys.exit(main())

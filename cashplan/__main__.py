"""``python -m cashplan`` runs the command line."""

import sys

from cashplan.app.cli import main

sys.exit(main())

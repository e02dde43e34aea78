"""``python -m cashplan`` runs the command line."""

import sys

from cashplan.cli import main

sys.exit(main())

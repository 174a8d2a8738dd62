"""`python -m dermtriage`."""

import sys

from dermtriage.cli import main

sys.exit(main())

"""`python -m ionc` is the `ionc` command."""

import sys

from ionc.cli import main

sys.exit(main())

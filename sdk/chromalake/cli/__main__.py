"""``python -m chromalake.cli``: the ``chromalake`` command."""

import sys

from chromalake.cli.command import main

if __name__ == "__main__":  # not when pytest's --doctest-modules imports this module
    sys.exit(main())

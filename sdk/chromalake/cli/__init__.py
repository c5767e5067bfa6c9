"""The ``chromalake`` command line: one module per command group.

``command`` builds the parser and dispatches; ``run`` (the local server), ``maintain``,
``admin`` (``keys``, ``tenants``), ``collections`` (``versions``, ``fork``, ``export``,
``import``), ``data`` (``copy``, ``browse``) and ``demo`` each add their subcommands;
``common`` holds what they share; ``aws_local`` starts the moto stand-ins of ``run
--aws-local`` and ``aws_preflight`` checks AWS settings before a command uses them.
``python -m chromalake.cli`` runs it (``__main__``).

It may import anything in chromalake: it is the outermost layer, and nothing imports it. The
engine, the server and the clients are imported inside the commands that need them, so
``chromalake --help`` stays fast on a slim install.
"""

from chromalake.cli.command import main

__all__ = ["main"]

"""The ``igproof`` command. Each subcommand lives in its own module (see ``main.COMMANDS``)."""

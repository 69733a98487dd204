"""The `platectl` command's entry point: interrupts handled from the first instant (platectl/interrupts.py),
then the command line (platectl/cli/), whose modules start the jsii runtime on import."""
from __future__ import annotations

import sys

from platectl import interrupts


def _invoke() -> int:
    import click

    from platectl.cli import cli

    try:
        result = cli.main(standalone_mode=False)
    except click.exceptions.Abort:  # click's form of a Ctrl-C
        raise KeyboardInterrupt from None
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    return result if isinstance(result, int) else 0


def main() -> None:
    sys.exit(interrupts.run(_invoke, interrupts.kept))

"""Render every cluster and environment into dist/ (also what `cdk8s synth` runs). Logic lives in platectl."""
import os
import sys

# jsii prints an end-of-life banner for Node 20 on every run; the render's output is the same without it.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from platectl import interrupts  # noqa: E402 - first, so that an interrupt during start-up is handled too


def _render() -> int:
    from platectl.render import main  # after the variable above, which jsii reads on import

    return main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(interrupts.run(_render, interrupts.kept))

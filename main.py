"""Render every cluster and environment into dist/ (also what `cdk8s synth` runs). Logic lives in platectl."""
import os
import sys

# jsii prints an end-of-life banner for Node 20 on every run; the render's output is the same without it.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from platectl.render import main  # noqa: E402 - after the variable above, which jsii reads on import

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

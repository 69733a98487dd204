"""Render every environment into dist/ (also what `cdk8s synth` runs). Logic lives in platectl."""
import sys

from platectl.render import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

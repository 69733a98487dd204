"""The construct library (named ``components`` so it cannot shadow the ``constructs`` package)."""
import os

# jsii prints an end-of-life banner for Node 20 on every start; the project pins Node 20 knowingly.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

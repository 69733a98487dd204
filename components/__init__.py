"""The construct library (named ``components`` so it cannot shadow the ``constructs`` package)."""

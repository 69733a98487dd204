"""What a render writes and reads back, below everything that renders: the content-keyed cache
(``cache``), the YAML writer (``writer``), the object loader (``objects``) and the atomic replacement of
``dist/`` (``atomic``). It imports nothing of the project: the construct library, the composition
and the command line import it."""

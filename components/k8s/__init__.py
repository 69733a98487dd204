"""The typed shapes of the Kubernetes objects the platform authors (generated: ``python -m tools.gen_types``).

``api``: the built-in kinds at the Kubernetes version the clusters declare; ``crds``: the custom
resources, from the CRDs the platform installs. TypedDicts: plain dicts at run time, checked by
pyright (``bin/test``) and completed by an editor.
"""

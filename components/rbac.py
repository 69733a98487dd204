"""ServiceAccounts and the bindings that give them a role: written once, used by every component."""
from __future__ import annotations

from typing import TYPE_CHECKING

from components.core import metadata

if TYPE_CHECKING:
    from components.k8s.api import ClusterRoleBinding, ServiceAccount


def service_account(name: str, namespace: str, lbls: dict[str, str], *, token: bool = False) -> ServiceAccount:
    """A ServiceAccount; its token is mounted only when the workload calls the Kubernetes API."""
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata(name, namespace, lbls),
            "automountServiceAccountToken": token}


def cluster_role_binding(name: str, lbls: dict[str, str], role: str, account: str, namespace: str) -> ClusterRoleBinding:
    """Bind the ClusterRole ``role`` to the ServiceAccount ``namespace/account``."""
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": metadata(name, None, lbls),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": namespace}]}


def group_binding(name: str, lbls: dict[str, str], role: str, groups: list[str] | tuple[str, ...]) -> ClusterRoleBinding:
    """Bind the ClusterRole ``role`` to people: the groups single sign-on reports (only the platform's
    base may bind anything but ``view`` to them: platectl validate checks it)."""
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": metadata(name, None, lbls),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": g} for g in groups]}

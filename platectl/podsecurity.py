"""The Pod Security Standards, offline: what the API server's Pod Security admission would refuse.

Every pod template in a render (ours and the upstream charts') is checked against the ``enforce``
level of its namespace, so a chart pod that the namespace would not admit fails the render's checks
instead of the first sync. The rules are those of the Kubernetes documentation ("Pod Security
Standards", policies of v1.25 and later), field by field.
"""
from __future__ import annotations

from collections.abc import Iterator

from output.objects import POD_TEMPLATES as POD_TEMPLATES
from output.objects import pod_template as pod_template

LEVELS = ("privileged", "baseline", "restricted")
ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"

BASELINE_CAPABILITIES = frozenset({"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                                   "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"})
SAFE_SYSCTLS = frozenset({"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
                          "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                          "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
                          "net.ipv4.tcp_keepalive_probes"})
SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})
RESTRICTED_VOLUMES = frozenset({"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                                "projected", "secret"})


def _containers(spec: dict) -> Iterator[dict]:
    for key in ("initContainers", "containers", "ephemeralContainers"):
        yield from spec.get(key) or []


def _baseline(spec: dict) -> list[str]:
    out = []
    pod_ctx = spec.get("securityContext") or {}
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field):
            out.append(f"{field}: true")
    if (pod_ctx.get("windowsOptions") or {}).get("hostProcess"):
        out.append("securityContext.windowsOptions.hostProcess: true")
    for v in spec.get("volumes") or []:
        if "hostPath" in v:
            out.append(f"volume {v.get('name')!r} is a hostPath")
    for sysctl in pod_ctx.get("sysctls") or []:
        if sysctl.get("name") not in SAFE_SYSCTLS:
            out.append(f"sysctl {sysctl.get('name')!r} is not a safe sysctl")
    contexts = [("pod", pod_ctx)] + [(f"container {c.get('name')!r}", c.get("securityContext") or {})
                                     for c in _containers(spec)]
    for where, ctx in contexts:
        if (ctx.get("seccompProfile") or {}).get("type") == "Unconfined":
            out.append(f"{where}: seccomp profile Unconfined")
        if (ctx.get("appArmorProfile") or {}).get("type") == "Unconfined":
            out.append(f"{where}: AppArmor profile Unconfined")
        selinux = ctx.get("seLinuxOptions") or {}
        if selinux.get("type", "") not in SELINUX_TYPES or selinux.get("user") or selinux.get("role"):
            out.append(f"{where}: SELinux options {selinux}")
    for c in _containers(spec):
        name, ctx = c.get("name"), c.get("securityContext") or {}
        if ctx.get("privileged"):
            out.append(f"container {name!r}: privileged")
        if (ctx.get("windowsOptions") or {}).get("hostProcess"):
            out.append(f"container {name!r}: windowsOptions.hostProcess")
        added = set((ctx.get("capabilities") or {}).get("add") or []) - BASELINE_CAPABILITIES
        if added:
            out.append(f"container {name!r}: adds capabilities {', '.join(sorted(added))}")
        if ctx.get("procMount", "Default") != "Default":
            out.append(f"container {name!r}: procMount {ctx['procMount']}")
        for port in c.get("ports") or []:
            if port.get("hostPort"):
                out.append(f"container {name!r}: hostPort {port['hostPort']}")
    return out


def _restricted(spec: dict) -> list[str]:
    out = []
    pod_ctx = spec.get("securityContext") or {}
    for v in spec.get("volumes") or []:
        kinds = set(v) - {"name"}
        if not kinds <= RESTRICTED_VOLUMES:
            out.append(f"volume {v.get('name')!r} of type {', '.join(sorted(kinds))}")
    pod_nonroot = pod_ctx.get("runAsNonRoot")
    pod_seccomp = (pod_ctx.get("seccompProfile") or {}).get("type")
    if pod_ctx.get("runAsUser") == 0:
        out.append("pod: runAsUser 0")
    for c in _containers(spec):
        name, ctx = c.get("name"), c.get("securityContext") or {}
        if ctx.get("allowPrivilegeEscalation") is not False:
            out.append(f"container {name!r}: allowPrivilegeEscalation is not false")
        if ctx.get("runAsNonRoot", pod_nonroot) is not True:
            out.append(f"container {name!r}: runAsNonRoot is not true (pod or container)")
        if ctx.get("runAsUser") == 0:
            out.append(f"container {name!r}: runAsUser 0")
        if (ctx.get("seccompProfile") or {}).get("type", pod_seccomp) not in ("RuntimeDefault", "Localhost"):
            out.append(f"container {name!r}: no RuntimeDefault or Localhost seccomp profile (pod or container)")
        caps = ctx.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            out.append(f"container {name!r}: does not drop ALL capabilities")
        extra = set(caps.get("add") or []) - {"NET_BIND_SERVICE"}
        if extra:
            out.append(f"container {name!r}: adds {', '.join(sorted(extra))} (restricted allows NET_BIND_SERVICE)")
    return out


def violations(template: dict, level: str) -> list[str]:
    """What the ``level`` standard forbids in a pod (template)."""
    if level not in LEVELS:
        raise ValueError(f"unknown Pod Security level {level!r}")
    spec = template.get("spec") or {}
    if level == "privileged":
        return []
    out = _baseline(spec)
    if level == "restricted":
        out += _restricted(spec)
    return out

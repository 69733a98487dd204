from components.types import Resources
from components.workload import HARDENED, Container, Hardening, Probe, container, resources, volume_name

RES = Resources.model_validate({"requests": {"cpu": "100m", "memory": "64Mi"}})


def test_limits_default_to_requests_when_unset():
    assert resources(RES, HARDENED) == {"requests": {"cpu": "100m", "memory": "64Mi"},
                                        "limits": {"cpu": "100m", "memory": "64Mi"}}


def test_standard_profile_drops_only_the_cpu_limit():
    assert resources(RES, Hardening(cpu_limits=False))["limits"] == {"memory": "64Mi"}


def test_volume_names_are_stable_dns_labels():
    assert volume_name("/var/cache/nginx") == "tmp-var-cache-nginx"
    assert volume_name("/tmp/") == "tmp-tmp"
    assert len(volume_name("/" + "a" * 100)) <= 63


def test_probe_kinds():
    assert "httpGet" in Probe(path="/healthz").render()
    assert Probe(port="redis").render()["tcpSocket"] == {"port": "redis"}
    assert Probe(command=("true",)).render()["exec"] == {"command": ["true"]}


def test_every_container_is_locked_down():
    c = container(Container("x", "r.example/x:1", RES, Probe(path="/"), Probe(path="/")), HARDENED)
    assert c["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                    "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}}

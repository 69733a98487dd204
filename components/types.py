"""Value types shared by components and environments: validated on construction, no unknown keys."""
from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

# --- scalar types -------------------------------------------------------------------------

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_QUANTITY = re.compile(r"^([0-9]+(\.[0-9]+)?)(m|k|Ki|Mi|Gi|Ti|Pi|Ei|M|G|T|P|E)?$")
_DURATION = re.compile(r"^([0-9]+(s|m|h))+$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")
_KV_PATH = re.compile(r"^[a-z0-9][a-z0-9_.-]*(/[a-z0-9][a-z0-9_.-]*)*$")
_GIT_URL = re.compile(r"^(https://[^\s]+|ssh://[^\s]+|git@[^\s:]+:[^\s]+)$")


def _dns_label(value: str) -> str:
    if not _DNS_LABEL.match(value):
        raise ValueError(f"{value!r} is not a DNS-1123 label (lower-case letters, digits and '-', at most 63)")
    return value


def _hostname(value: str) -> str:
    labels = value.split(".")
    if len(value) > 253 or len(labels) < 2 or not all(_DNS_LABEL.match(label) for label in labels):
        raise ValueError(f"{value!r} is not a valid DNS hostname")
    return value


def _quantity(value: object) -> str:
    if not isinstance(value, str) or not _QUANTITY.match(value):
        raise ValueError(f"{value!r} is not a Kubernetes quantity (for example '250m', '512Mi', '2')")
    return value


def _duration(value: str) -> str:
    if not _DURATION.match(value):
        raise ValueError(f"{value!r} is not a duration (for example '30s', '1h', '1h30m')")
    return value


def duration_seconds(value: str) -> int:
    """A Duration ('1h30m', '26h', '45s') in seconds."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)(ms|h|m|s)", value))


def _kv_path(value: str) -> str:
    if not _KV_PATH.match(value):
        raise ValueError(f"{value!r} is not an OpenBao KV path "
                         "(lower-case segments separated by '/', no leading or trailing '/')")
    return value


def _cidr(value: str) -> str:
    try:
        ipaddress.IPv4Network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an IPv4 CIDR ({exc})") from None
    return value


def _ipv4(value: str) -> str:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv4 address") from None
    return value


def _nfs_server(value: str) -> str:
    if re.fullmatch(r"[0-9.]+", value):
        return _ipv4(value)
    try:
        return _hostname(value)
    except ValueError:
        raise ValueError(f"{value!r} is neither an IPv4 address nor a DNS hostname") from None


_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,}$", re.IGNORECASE)


_SUFFIX = {"m": 1e-3, "": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
           "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}


def quantity_value(value: str) -> float:
    """The number a Kubernetes quantity stands for ('512Mi' -> 536870912.0, '250m' -> 0.25)."""
    match = _QUANTITY.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a Kubernetes quantity")
    return float(match.group(1)) * _SUFFIX[match.group(3) or ""]


def _size(value: str) -> str:
    _quantity(value)
    if quantity_value(value) <= 0:
        raise ValueError(f"{value!r} is not a usable size (it must be above zero)")
    return value


def _registry(value: str) -> str:
    host, sep, port = value.partition(":")
    if sep and not (port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(f"{value!r} is not a registry (host or host:port)")
    try:
        _hostname(host)
    except ValueError:
        raise ValueError(f"{value!r} is not a registry (host or host:port)") from None
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


def _git_url(value: str) -> str:
    if not _GIT_URL.match(value):
        raise ValueError(f"{value!r} is not a Git URL (https://, ssh:// or git@host:path)")
    return value


DnsLabel = Annotated[str, AfterValidator(_dns_label)]
Hostname = Annotated[str, AfterValidator(_hostname)]
Quantity = Annotated[str, AfterValidator(_quantity)]
Duration = Annotated[str, AfterValidator(_duration)]
KvPath = Annotated[str, AfterValidator(_kv_path)]
GitUrl = Annotated[str, AfterValidator(_git_url)]
Cidr = Annotated[str, AfterValidator(_cidr)]
IPv4 = Annotated[str, AfterValidator(_ipv4)]
NfsServer = Annotated[str, AfterValidator(_nfs_server)]
Email = Annotated[str, AfterValidator(_email)]
Size = Annotated[str, AfterValidator(_size)]  # a volume or cache size: a quantity above zero
Registry = Annotated[str, AfterValidator(_registry)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# A component's props extend its settings (Strict) with what composition wires in; they are built
# from plain Python values (tuples for lists, dataclasses for references), so they validate leniently.
PROPS_CONFIG = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True, strict=False)


_ENV_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# A qualified name as Kubernetes accepts for label keys and extended resources: [prefix/]name
_QUALIFIED = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                        r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")


def _env_names(value: dict[str, str]) -> dict[str, str]:
    for key in value:
        if not _ENV_VAR.match(key):
            raise ValueError(f"{key!r} is not a valid environment variable name (letters, digits, '_', not a digit first)")
    return value


def _label_keys(value: dict[str, str]) -> dict[str, str]:
    for key, label in value.items():
        prefix, _, name = key.rpartition("/")
        if not _QUALIFIED.match(key) or len(prefix) > 253 or len(name) > 63:
            raise ValueError(f"{key!r} is not a valid label key ([prefix/]name, name at most 63 characters)")
        if label and not re.fullmatch(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?", label):
            raise ValueError(f"{label!r} (of {key!r}) is not a valid label value")
    return value


def _extended_resource(value: str) -> str:
    if "/" not in value or not _QUALIFIED.match(value) or value.startswith("kubernetes.io/"):
        raise ValueError(f"{value!r} is not a valid extended resource name (a domain-prefixed name such as "
                         "'nvidia.com/gpu')")
    return value


def _reason(value: str) -> str:
    words = re.findall(r"[A-Za-z]{2,}", value)
    if len(value.strip()) < 10 or len(words) < 2:
        raise ValueError(f"{value!r} does not say why (a sentence a reviewer can judge, at least two words)")
    return value


# A why that a reviewer reads: not blank, not padded to a length, words
Reason = Annotated[str, AfterValidator(_reason)]
EnvVars = Annotated[dict[str, str], AfterValidator(_env_names)]
NodeSelector = Annotated[dict[str, str], AfterValidator(_label_keys)]
ExtendedResource = Annotated[str, AfterValidator(_extended_resource)]


# --- building blocks ----------------------------------------------------------------------

class Image(Strict):
    registry: Registry
    repository: Annotated[str, Field(pattern=r"^[a-z0-9]+([._/-][a-z0-9]+)*$")]
    tag: str | None = None
    digest: str | None = None

    @model_validator(mode="after")
    def _tag_or_digest(self) -> Image:
        if self.tag is not None and not _TAG.match(self.tag):
            raise ValueError(f"tag {self.tag!r} is not a valid image tag")
        if self.digest is not None and not _DIGEST.match(self.digest):
            raise ValueError(f"digest {self.digest!r} is not a sha256 digest")
        return self

    @property
    def ref(self) -> str:
        ref = f"{self.registry}/{self.repository}"
        if self.tag:
            ref += f":{self.tag}"
        if self.digest:
            ref += f"@{self.digest}"
        return ref


MIN_MEMORY = 4 * 2**20  # below this no container runtime starts a container (runc refuses under ~6 MiB)


def _memory(value: str) -> str:
    _quantity(value)
    if value.endswith("m") or quantity_value(value) < MIN_MEMORY:
        raise ValueError(f"{value!r} of memory cannot run a container ('m' is thousandths of a byte; "
                         "write '128Mi', not '128m')")
    return value


class ResourceList(Strict):
    cpu: Quantity | None = None
    memory: Annotated[str, AfterValidator(_memory)] | None = None


class Resources(Strict):
    requests: ResourceList
    limits: ResourceList = ResourceList()

    @model_validator(mode="after")
    def _requests_within_limits(self) -> Resources:
        for field in ("cpu", "memory"):
            request, limit = getattr(self.requests, field), getattr(self.limits, field)
            if request is not None and limit is not None and quantity_value(request) > quantity_value(limit):
                raise ValueError(f"requests.{field} ({request}) is above limits.{field} ({limit})")
        return self


class Autoscaling(Strict):
    min_replicas: Annotated[int, Field(ge=1)]
    max_replicas: Annotated[int, Field(ge=1)]
    target_cpu_percent: Annotated[int, Field(ge=1, le=100)] = 75

    @model_validator(mode="after")
    def _order(self) -> Autoscaling:
        if self.max_replicas < self.min_replicas:
            raise ValueError(f"max_replicas ({self.max_replicas}) must be at least min_replicas ({self.min_replicas})")
        return self


class Toleration(Strict):
    key: str
    operator: Literal["Equal", "Exists"] = "Exists"
    value: str | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] = "NoSchedule"

    @model_validator(mode="after")
    def _as_the_api_server_accepts(self) -> Toleration:
        """The API server's rules for a toleration: a qualified name as key, no value with Exists."""
        prefix, _, name = self.key.rpartition("/")
        if not _QUALIFIED.match(self.key) or len(prefix) > 253 or len(name) > 63:
            raise ValueError(f"key {self.key!r} is not a qualified name ([prefix/]name, name at most 63 characters)")
        if self.operator == "Exists" and self.value:
            raise ValueError(f"operator Exists takes no value (got {self.value!r}); use Equal to match a value")
        if self.operator == "Equal" and self.value is not None and self.value and not re.fullmatch(
                r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?", self.value):
            raise ValueError(f"value {self.value!r} is not a valid label value")
        return self

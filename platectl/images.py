"""Pin images by digest: ask each registry (the OCI distribution API) which manifest a tag names today,
and write that digest next to the tag, in the file where the tag is written (an environment's file,
or ``components/versions.py`` for the platform's own pins), keeping the file's layout and comments.

A digest is resolved once, when a version is bumped: the render stays offline. Credentials are the
user's Docker credentials (``~/.docker/config.json`` or ``DOCKER_CONFIG``), sent only to the registry
that asks for them (its ``WWW-Authenticate`` challenge).
"""
from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACCEPT = ", ".join(["application/vnd.oci.image.index.v1+json",
                    "application/vnd.docker.distribution.manifest.list.v2+json",
                    "application/vnd.oci.image.manifest.v1+json",
                    "application/vnd.docker.distribution.manifest.v2+json"])
DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")


class PinError(Exception):
    pass


@dataclass(frozen=True)
class Pin:
    """One image to pin: where its tag is written (file and the text that identifies its dict)."""

    where: str  # what it is, for the report (environment/service, or a versions.py constant)
    file: Path
    anchor: str  # a text in the file before the image's dict: the service key or the constant's name
    registry: str
    repository: str
    tag: str
    within: str = ""  # a text before ``anchor`` (a constant holding several images: its name)


def _endpoint(registry: str, insecure: frozenset[str]) -> tuple[str, str]:
    if registry == "docker.io":
        return "https", "registry-1.docker.io"
    host = registry.split(":")[0]
    plain = registry in insecure or host in ("127.0.0.1", "localhost")
    return ("http" if plain else "https"), registry


def _repository(registry: str, repository: str) -> str:
    return f"library/{repository}" if registry == "docker.io" and "/" not in repository else repository


def _credentials(registry: str) -> str | None:
    folder = Path(os.environ.get("DOCKER_CONFIG", Path.home() / ".docker"))
    try:
        auths = json.loads((folder / "config.json").read_text()).get("auths", {})
    except (OSError, ValueError):
        return None
    for key in (registry, f"https://{registry}", "https://index.docker.io/v1/" if registry == "docker.io" else ""):
        if key and key in auths and auths[key].get("auth"):
            return str(auths[key]["auth"])
    return None


def _token(challenge: str, registry: str) -> str:
    fields = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
    if not challenge.lower().startswith("bearer") or "realm" not in fields:
        raise PinError(f"{registry}: an authentication scheme this command does not speak: {challenge}")
    query = urllib.parse.urlencode({k: v for k, v in fields.items() if k in ("service", "scope")})
    request = urllib.request.Request(f"{fields['realm']}?{query}")
    auth = _credentials(registry)
    if auth:
        request.add_header("Authorization", f"Basic {auth}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the registry's own realm
            body = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise PinError(f"{registry}: the registry refused {'the' if auth else 'anonymous'} credentials "
                       f"({exc.code}; docker login {registry})") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise PinError(f"{registry}: cannot get a token ({getattr(exc, 'reason', exc)})") from None
    return str(body.get("token") or body.get("access_token"))


def resolve(registry: str, repository: str, tag: str, insecure: frozenset[str] = frozenset()) -> str:
    """The digest of the manifest (or index) ``registry/repository:tag`` names now."""
    scheme, host = _endpoint(registry, insecure)
    url = f"{scheme}://{host}/v2/{_repository(registry, repository)}/manifests/{tag}"
    headers = {"Accept": ACCEPT}
    for attempt in (1, 2):
        request = urllib.request.Request(url, method="HEAD", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - http(s) only
                digest = response.headers.get("Docker-Content-Digest", "")
        except urllib.error.HTTPError as exc:
            if exc.code == 401 and attempt == 1:
                headers["Authorization"] = f"Bearer {_token(exc.headers.get('WWW-Authenticate', ''), registry)}"
                continue
            if exc.code == 404:
                raise PinError(f"{registry}/{repository}:{tag}: no such tag") from None
            raise PinError(f"{registry}/{repository}:{tag}: the registry answered {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise PinError(f"{registry}: cannot reach it ({reason})") from None
        if not DIGEST.match(digest):
            raise PinError(f"{registry}/{repository}:{tag}: the registry gave no sha256 digest")
        return digest
    raise PinError(f"{registry}/{repository}:{tag}: not authorised")


def _block(text: str, start: int) -> tuple[int, int] | None:
    """The span of the first dict literal from ``start`` (brace counting; strings hold no braces here)."""
    open_ = text.find("{", start)
    if open_ < 0:
        return None
    depth = 0
    for i in range(open_, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return open_, i
    return None


def write(pin: Pin, digest: str) -> bool:
    """Put ``digest`` next to the tag, inside the dict that follows ``pin.anchor``; False if the file does
    not write that tag there (it is inherited: pin it where it is written)."""
    text = pin.file.read_text()
    outer = text.find(pin.within) if pin.within else 0
    start = text.find(pin.anchor, outer) if outer >= 0 else -1
    span = _block(text, start) if start >= 0 else None
    if span is None:
        return False
    tag = re.compile(r'("tag"\s*:\s*"' + re.escape(pin.tag) + r'")(\s*,\s*"digest"\s*:\s*"[^"]*")?')
    match = tag.search(text, span[0], span[1])
    if not match:
        return False
    new = text[:match.start()] + f'{match.group(1)}, "digest": "{digest}"' + text[match.end():]
    if new != text:
        pin.file.write_text(new)
    return True


def environment_pins(env_name: str, folder: Path) -> list[Pin]:
    """The images an environment's file writes a tag for."""
    import envs

    env = envs.load(env_name)
    file = folder / "environments" / f"{env_name}.py"
    pins = []
    for key, service in sorted(env.services.items()):
        for field in ("image", "exporter_image"):
            image = getattr(service, field, None)
            if image is not None and image.tag:
                pins.append(Pin(f"{env_name}/{key}.{field}", file, f'"{key}":', image.registry, image.repository,
                                image.tag))
    return pins


def platform_pins() -> list[Pin]:
    """The platform's own image pins in components/versions.py."""
    from components import versions

    file = Path(versions.__file__)
    pins = []
    for name in sorted(dir(versions)):
        value = getattr(versions, name)
        if name.isupper() and isinstance(value, dict) and {"registry", "repository", "tag"} <= set(value):
            pins.append(Pin(f"versions.{name}", file, f"{name}: ImageRef = {{", value["registry"], value["repository"],
                            value["tag"]))
        elif name.isupper() and isinstance(value, dict):  # a constant of several images (Fluentd's per output)
            for key, ref in sorted(value.items()):
                if isinstance(ref, dict) and {"registry", "repository", "tag"} <= set(ref):
                    pins.append(Pin(f"versions.{name}[{key}]", file, f'"{key}": {{', ref["registry"], ref["repository"],
                                    ref["tag"], within=f"{name}: "))
    return pins

"""Fixed, test-owned props for component goldens (independent of envs/ data)."""
import pytest

from components.secrets import SecretStoreRef
from components.types import Image, Resources


@pytest.fixture
def store() -> SecretStoreRef:
    return SecretStoreRef("openbao", "ClusterSecretStore", "1h")


@pytest.fixture
def image():
    def make(repository: str, tag: str = "1.0.0") -> Image:
        return Image(registry="registry.test.example", repository=repository, tag=tag)
    return make


@pytest.fixture
def resources() -> Resources:
    return Resources.model_validate({"requests": {"cpu": "100m", "memory": "128Mi"},
                                     "limits": {"cpu": "500m", "memory": "256Mi"}})


def by_kind(objs: dict[str, dict], kind: str, name: str) -> dict:
    hits = [o for o in objs.values() if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(hits) == 1, f"expected one {kind} {name!r}, found {len(hits)}"
    return hits[0]


@pytest.fixture
def find():
    return by_kind

"""The run layer runs against the worlds of the sync tests."""

from tests.sync.conftest import served_world, world  # noqa: F401 - fixtures re-exported

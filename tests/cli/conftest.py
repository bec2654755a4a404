"""The CLI tests that run a flow use the served world of the sync tests."""

from tests.sync.conftest import served_world  # noqa: F401 - fixture re-exported

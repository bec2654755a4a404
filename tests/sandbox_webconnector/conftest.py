from tests.bridge.conftest import clock  # noqa: F401 - the bridge's step clock, re-exported

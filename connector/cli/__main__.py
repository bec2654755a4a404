"""``python -m connector.cli`` is ``ml-connector``."""

from connector.cli import main

main()

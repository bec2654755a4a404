"""Simulators of the outside systems (QuickBooks Desktop, Web Connector, Zoho CRM) used by tests
and the demo.

Each simulator is its own subpackage or module (``qbd``, ``zoho``, ``webconnector``); importing
this package imports none of them, so a test that needs one never pays for the others.
"""

__all__: list[str] = []

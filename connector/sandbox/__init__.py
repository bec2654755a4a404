"""Simulators of the outside systems (QuickBooks Desktop, Web Connector, Zoho CRM) used by tests and the demo."""

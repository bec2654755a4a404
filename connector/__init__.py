"""ml-connector: QuickBooks Desktop <-> Zoho CRM."""

__version__ = "0.1.0"

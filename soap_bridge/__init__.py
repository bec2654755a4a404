"""The QuickBooks Web Connector SOAP bridge: a thin Flask + spyne edge over ``connector.qbwc``."""

from soap_bridge.app import create_app

__all__ = ["create_app"]

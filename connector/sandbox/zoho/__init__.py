"""A faithful, stateful Zoho CRM simulator: accounts server + CRM API v8, over real HTTP or
in-process httpx transports. See ``ZohoSimulator``."""

from connector.sandbox.zoho.limits import Faults
from connector.sandbox.zoho.notify import Delivery
from connector.sandbox.zoho.server import SimUrls
from connector.sandbox.zoho.simulator import ZohoSimulator

__all__ = ["ZohoSimulator", "SimUrls", "Faults", "Delivery"]

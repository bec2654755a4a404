"""The QuickBooks Web Connector side: companies, logins, session plans, the request queue.

The protocol itself is ``connector.qbwc.service.QbwcService``.
"""

from connector.qbwc.companies import (
    add_company,
    get_company,
    list_companies,
    set_active,
    set_company_file,
    set_password,
)
from connector.qbwc.qwc import render_qwc

__all__ = [
    "add_company", "get_company", "list_companies", "set_active", "set_company_file",
    "set_password", "render_qwc",
]

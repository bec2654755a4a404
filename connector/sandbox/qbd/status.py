"""What the simulated QuickBooks answers when something goes wrong, as data.

Two levels, as in real QuickBooks: a per-request ``statusCode`` inside a successful qbXML
response (``QbStatus``), and an HRESULT that fails the whole exchange before any response
exists (``QuickBooksHResultError``: the Web Connector reports it through ``hresult``/``message``
of ``receiveResponseXML``, or through ``connectionError`` when the company file cannot be opened).
"""

from __future__ import annotations

__all__ = [
    "STATUS", "QbStatus", "QuickBooksHResultError", "QbxmlRequestRejected",
    "CompanyFileUnavailable", "PARSE_ERROR_HRESULT", "PARSE_ERROR_MESSAGE",
]

PARSE_ERROR_HRESULT = "0x80040400"
PARSE_ERROR_MESSAGE = "QuickBooks found an error when parsing the provided XML text stream."

_MISSING_RECORD = (
    "QuickBooks error message: Invalid argument.  The specified record does not exist in the list."
)

# statusCode -> (statusSeverity, statusMessage template); texts follow QuickBooks' own wording.
STATUS: dict[int, tuple[str, str]] = {
    0: ("Info", "Status OK"),
    1: ("Info", "A query request did not find a matching object in QuickBooks"),
    500: (
        "Warn",
        (
            "The query request has not been fully completed. There was a required element "
            '("{value}") that could not be found in QuickBooks.'
        ),
    ),
    1030: ("Error", "This request is not supported by this implementation: {value}."),
    3070: ("Error", 'The string "{value}" in the field "{field}" is too long.'),
    3100: ("Error", 'The name "{value}" of the list element is already in use.'),
    3120: ("Error", 'Object "{value}" specified in the request cannot be found.'),
    3130: (
        "Error",
        'There is an invalid reference to a parent "{value}" in the {list} list.  '
        + _MISSING_RECORD,
    ),
    3140: (
        "Error",
        'There is an invalid reference to QuickBooks {list} "{value}" in the {object}.  '
        + _MISSING_RECORD,
    ),
    3020: (
        "Error",
        'There was an error when converting the date value "{value}" in the field "{field}".',
    ),
    3040: (
        "Error",
        'There was an error when converting the amount "{value}" in the field "{field}".',
    ),
    3170: (
        "Error",
        "There was an error when modifying a {object}.  QuickBooks error message: {reason}",
    ),
    3171: (
        "Error",
        (
            'An error occurred when deleting "{value}" from the {object} list.  '
            "QuickBooks error message: {reason}"
        ),
    ),
    3180: (
        "Error",
        "There was an error when saving a {object}.  QuickBooks error message: {reason}",
    ),
    3150: ("Error", 'There is a missing element: "{value}".'),
    3200: ("Error", 'The provided edit sequence "{value}" is out-of-date. '),
    3391: ("Error", 'The iteratorID "{value}" is not valid.'),
}


class QbStatus(Exception):
    """A non-zero statusCode for one request; ``severity`` Error stops a stopOnError message set."""

    def __init__(self, code: int, **params: str):
        severity, template = STATUS[code]
        self.code = code
        self.severity = severity
        self.message = template.format(**params)
        super().__init__(f"{code}: {self.message}")


class QuickBooksHResultError(Exception):
    """QuickBooks failed the whole call with an HRESULT; no qbXML response exists."""

    def __init__(self, hresult: str, message: str):
        super().__init__(f"{hresult}: {message}")
        self.hresult = hresult
        self.message = message


class QbxmlRequestRejected(QuickBooksHResultError):
    """The request document is malformed or breaks the qbXML schema (element order, types)."""

    def __init__(self, detail: str):
        super().__init__(PARSE_ERROR_HRESULT, PARSE_ERROR_MESSAGE)
        self.detail = detail


class CompanyFileUnavailable(QuickBooksHResultError):
    """QuickBooks could not open the company file, so the Web Connector calls connectionError."""

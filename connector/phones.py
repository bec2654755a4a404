"""Phone numbers compared as numbers: E.164, whatever way a person typed them.

``0049 30 1234567``, ``+49 (30) 1234567`` and (for a German company) ``030 1234567`` are one
number. Google's libphonenumber (the ``phonenumbers`` package) knows every country's trunk
and international prefixes, so a national form is read in the company's own country and an
international one in any country.
"""

from __future__ import annotations

import importlib.util
import re
from functools import cache
from pathlib import Path

import phonenumbers

__all__ = ["DEFAULT_REGION", "e164", "region_of"]

# QuickBooks Desktop is sold for the US, Canada and the UK; a company file that names no
# country is most often a US one.
DEFAULT_REGION = "US"
_SPACE = re.compile(r"[\s.]+")
# What people write for a country that the locale names (taken from libphonenumber's own
# geocoding data, in every language it has) do not spell out.
_ALIASES = {"usa": "US", "u.s.a.": "US", "u.s.": "US", "united states of america": "US",
            "america": "US", "uk": "GB", "u.k.": "GB", "great britain": "GB", "england": "GB",
            "scotland": "GB", "wales": "GB", "northern ireland": "GB", "brd": "DE"}


def _locale_data() -> dict[str, dict[str, str]]:
    """libphonenumber's country names, in every language it has.

    They sit in ``phonenumbers.geodata.locale``, but importing that runs the package's
    ``__init__``, which loads the geocoding data of every number prefix: 3-6 s and ~100 MB in
    every process that matches phones (the bridge, each sync, each flow run), for a table of
    250 countries. The module is loaded alone instead (its one import, ``..util``, resolves
    without the package)."""
    path = Path(phonenumbers.__file__).parent / "geodata" / "locale.py"
    spec = importlib.util.spec_from_file_location("phonenumbers.geodata.locale", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"phonenumbers has no country names at {path}")
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "phonenumbers.geodata"
    spec.loader.exec_module(module)
    data: dict[str, dict[str, str]] = module.LOCALE_DATA
    return data


@cache
def _names() -> dict[str, str]:
    names: dict[str, str] = {}
    for region, by_language in _locale_data().items():
        if region not in phonenumbers.SUPPORTED_REGIONS:
            continue
        for name in by_language.values():
            # "*en" means "the name in that other language", which is listed too.
            if name and not name.startswith("*"):
                names.setdefault(name.casefold(), region)
    return names


def region_of(country: str | None) -> str | None:
    """The ISO 3166 region of a country as QuickBooks or Zoho hold it: a two-letter code
    (``DE``) or a name in any language (``Germany``, ``Deutschland``); None if unknown."""
    text = _SPACE.sub(" ", (country or "").strip()).casefold()
    if not text:
        return None
    if len(text) == 2 and text.upper() in phonenumbers.SUPPORTED_REGIONS:
        return text.upper()
    return _ALIASES.get(text) or _names().get(text)


def _parse(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(number) else None


def e164(text: str | None, region: str = DEFAULT_REGION) -> str | None:
    """``+4930...``: the number in E.164, national forms read in ``region``; None when the
    text is no possible phone number there or anywhere."""
    raw = (text or "").strip()
    if sum(ch.isdigit() for ch in raw) < 5:
        return None
    number = _parse(raw, region)
    if number is None and raw.startswith("00"):
        # "00" is the international prefix of most of the world, but not of every region
        # (the US dials 011): a number typed that way abroad is still international.
        number = _parse("+" + raw[2:], region)
    if number is None:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

"""Redaction of contact, card, bank and network details from free text (docs/feedback.md).

`redact(text)` replaces, in this order:

- e-mail addresses with `[email]`: `name@domain.tld` with any letters (IDN
  domains such as `jörg@müller.de`, punycode `xn--...`), quoted local parts
  (`"ana lopez"@acme.io`), address literals (`ana@[192.0.2.1]`,
  `ana@[IPv6:2001:db8::1]`) and the spelled-out forms (`ana (at) acme (dot) io`,
  `ana[at]acme.io`, `ana at acme dot io`);
- IBANs with `[iban]`: a country code, two check digits and 11 to 30 letters
  or digits, written together or in groups, whose mod-97 check holds;
- card numbers with `[card]`: 13 to 19 digits starting 2 to 6 (the card
  networks) with a valid Luhn check digit, together or split by spaces (one or
  two), dots, dashes or slashes;
- IP addresses with `[ip]`: IPv4 (each part 0-255; `v1.2.3.4` and `version
  1.2.3.4` are versions and stay) and IPv6, as `ipaddress` reads them;
- phone numbers with `[phone]`: 7 to 15 digits that start with `+` or `(`,
  come in three or more groups (`06 12 34 56 78`, `612 345 678`), are a local
  number `555-1234`, or a national one (`0171 1234567`, `030/1234567`).

Left alone: dates, times, versions, prices and amounts (`1,000,000`, `30 000`,
`1 000 000`), quantities and plain digit runs such as order numbers.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

__all__ = ["EMAIL", "iban_valid", "luhn_valid", "redact", "redact_all"]

_TLD = r"(?:[^\W\d_]{2,}|xn--[a-z0-9-]+)"
_DOMAIN = rf"(?:[^\W_](?:[\w-]*[^\W_])?\.)+{_TLD}"
EMAIL = re.compile(
    rf"(?:\"[^\"\n]{{1,64}}\"|(?<![\w.%+-])[\w.%+-]*\w)@(?:{_DOMAIN}|\[(?:IPv6:)?[0-9A-Fa-f:.]+\])"
    r"(?![\w-])",
    re.IGNORECASE,
)
_AT = r"\s*[(\[{<]\s*at\s*[)\]}>]\s*"
_DOT = r"(?:\s*[(\[{<]\s*dot\s*[)\]}>]\s*|\.)"
_SPELLED = re.compile(
    rf"(?<![\w.+-])[\w.+-]*\w(?:{_AT}(?:[^\W_][\w-]*{_DOT})+{_TLD}"
    rf"|\s+at\s+(?:[^\W_][\w-]*\s+dot\s+)+{_TLD})(?![\w-])",
    re.IGNORECASE,
)
_IBAN = re.compile(
    r"(?<![\w-])[A-Z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?:[ -]?[A-Z0-9]{4}){2,7}(?:[ -]?[A-Z0-9]{1,3})?)"
    r"(?![\w-])"
)
_CARD = re.compile(r"(?<![\w.+/-])[2-6]\d{3}(?:(?:[ .\-/]| {2})?\d){9,15}(?![\w/-]|[.,]\d)")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_VERSION = re.compile(r"(?:\bv|\bversion|\bver\.?|\brelease|\bbuild)\s*$", re.IGNORECASE)
_IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
_PHONE = re.compile(
    r"(?<![\w.+/-])(?:\+\d[\d .()/-]{5,20}\d|\(\d{1,5}\)[ .-]?\d[\d .-]{4,16}\d"
    r"|\d{1,5}(?:[ .-]\d{2,5}){2,5}|0\d{1,5}[ /-]\d{3,10}|\d{3}[-.]\d{4})(?![\w/-]|[.,]\d)"
)
# Digit groups that are not phone numbers: dates and IPv4 addresses (already redacted).
_DATE = re.compile(
    r"\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{1,3}(?:\.\d{1,3}){3}"
)
# Thousands: `1,000,000` always; `30 000` or `1.000.000` when short or ending in zeros.
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+|\d{1,3}(?:([ .])\d{3})(?:\1\d{3})*")


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn check (card numbers do).

    >>> luhn_valid("4111111111111111"), luhn_valid("4111111111111112")
    (True, False)
    """
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """Whether `iban` (letters and digits, no spaces) passes the ISO 13616 mod-97 check.

    >>> iban_valid("DE89370400440532013000"), iban_valid("DE89370400440532013001")
    (True, False)
    """
    if not 15 <= len(iban) <= 34:
        return False
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _iban(match: re.Match[str]) -> str:
    """`[iban]`, or the text when no prefix of the match passes the check (a trailing word)."""
    found = match.group(0)
    for end in range(len(found), 14, -1):
        if iban_valid(re.sub(r"[ -]", "", found[:end])) and found[end - 1] not in " -":
            return "[iban]" + found[end:]
    return found


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[card]" if 13 <= len(digits) <= 19 and luhn_valid(digits) else match.group(0)


def _ipv4(match: re.Match[str]) -> str:
    found = match.group(0)
    before = match.string[max(0, match.start() - 10) : match.start()]
    if _VERSION.search(before) or not all(int(part) <= 255 for part in found.split(".")):
        return found
    return "[ip]"


def _ipv6(match: re.Match[str]) -> str:
    found = match.group(0)
    try:
        ipaddress.IPv6Address(found)
    except ValueError:
        return found
    return "[ip]"


def _amount(found: str) -> bool:
    """Whether digit groups read as an amount: commas, or short, or a group of zeros."""
    if not _THOUSANDS.fullmatch(found):
        return False
    digits = sum(c.isdigit() for c in found)
    return "," in found or digits < 9 or any(g == "000" for g in re.split(r"[ .]", found)[1:])


def _phone(match: re.Match[str]) -> str:
    found = match.group(0)
    digits = sum(c.isdigit() for c in found)
    if not 7 <= digits <= 15 or _DATE.fullmatch(found) or _amount(found):
        return found
    return "[phone]"


def redact(text: str) -> str:
    """`text` without e-mail addresses, IBANs, card numbers, IP addresses and phone numbers.

    >>> redact("Mail ana@acme.io or call +49 30 1234567; card 4111 1111 1111 1111, order 88231")
    'Mail [email] or call [phone]; card [card], order 88231'
    """
    if "@" in text:
        text = EMAIL.sub("[email]", text)
    low = text.lower()
    if "at" in low and ("dot" in low or any(b in low for b in "([{<")):
        text = _SPELLED.sub("[email]", text)
    if ":" in text:
        text = _IPV6.sub(_ipv6, text)
    if sum(map(str.isdigit, text)) < 4:
        return text
    text = _IBAN.sub(_iban, text)
    text = _CARD.sub(_card, text)
    text = _IPV4.sub(_ipv4, text)
    return _PHONE.sub(_phone, text)


def redact_all(texts: Iterable[str | None]) -> list[str | None]:
    """`redact` over a column of texts (None stays None)."""
    return [None if t is None else redact(t) for t in texts]

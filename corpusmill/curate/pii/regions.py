"""Which countries' phone numbering plans to try first for a document.

A number written without "+" is only meaningful in some country's national
format. The document's language and its URL's country-code domain say which
countries are likely; the rest of `FALLBACK_REGIONS` is tried after them.
"""
from __future__ import annotations

from urllib.parse import urlsplit

# ISO 639-1 language -> regions where it is a main language, most populous first.
LANGUAGE_REGIONS: dict[str, tuple[str, ...]] = {
    "en": ("US", "GB", "IN", "AU", "CA", "IE", "NZ", "ZA"),
    "de": ("DE", "AT", "CH", "LU"),
    "fr": ("FR", "BE", "CH", "CA", "LU"),
    "es": ("ES", "MX", "AR", "CO", "CL", "PE"),
    "it": ("IT", "CH"),
    "nl": ("NL", "BE"),
    "pl": ("PL",),
    "pt": ("BR", "PT"),
    "ja": ("JP",),
    "zh": ("CN", "TW", "HK", "SG"),
    "ru": ("RU", "BY", "KZ"),
    "uk": ("UA",),
    "cs": ("CZ",),
    "sk": ("SK",),
    "sv": ("SE", "FI"),
    "da": ("DK",),
    "no": ("NO",), "nb": ("NO",), "nn": ("NO",),
    "fi": ("FI",),
    "hu": ("HU",),
    "ro": ("RO", "MD"),
    "el": ("GR", "CY"),
    "tr": ("TR",),
    "ko": ("KR",),
    "hi": ("IN",),
}

# Tried after the hinted regions, for numbers in documents without hints.
FALLBACK_REGIONS: tuple[str, ...] = (
    "US", "GB", "DE", "FR", "ES", "IT", "NL", "PL", "BR", "IN", "JP", "AU",
    "AT", "CH", "BE", "CA", "MX", "PT", "SE", "CN",
)

# Generic second-level labels under which a ccTLD's sites live (example.co.uk).
_TLD_ALIASES = {"uk": "GB"}


def region_hints(language: object, uri: object) -> tuple[str, ...]:
    """Likely regions from a language code ("de", "de-AT", "pt_BR") and a URL's ccTLD."""
    hints: list[str] = []
    if isinstance(language, str) and language:
        parts = language.replace("_", "-").split("-")
        if len(parts) > 1 and len(parts[1]) == 2 and parts[1].isalpha():
            hints.append(parts[1].upper())
        hints.extend(LANGUAGE_REGIONS.get(parts[0].lower(), ()))
    if isinstance(uri, str) and uri:
        try:
            host = urlsplit(uri).hostname or ""
        except ValueError:  # a malformed URL gives no hint, not an error
            host = ""
        tld = host.rsplit(".", 1)[-1].lower() if "." in host else ""
        if len(tld) == 2 and tld.isalpha():
            region = _TLD_ALIASES.get(tld, tld.upper())
            if region not in hints:
                hints.insert(0, region)
    return tuple(dict.fromkeys(hints))

"""PII detection and scrubbing: emails, phones, IPs, cards, IBANs, US SSNs, addresses, names."""
from corpusmill.curate.pii.detector import PiiDetector
from corpusmill.curate.pii.scrub import MODES, REJECTS, PiiScrub
from corpusmill.curate.pii.span import TYPES, PiiSpan

__all__ = ["MODES", "REJECTS", "TYPES", "PiiDetector", "PiiScrub", "PiiSpan"]

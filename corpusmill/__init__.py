"""corpusmill: raw documents (crawls, WARC dumps, PDF archives, scans) to LLM-training corpora.

Every document travels as one `Record` through stages; every decision taken on
it (extractor, filter and scores, duplicate cluster, PII edits) stays on the
record's provenance.
"""
from corpusmill.record import Record
from corpusmill.stage import Stage, StageStats, chain

__version__ = "0.1.0"
__all__ = ["Record", "Stage", "StageStats", "chain", "__version__"]

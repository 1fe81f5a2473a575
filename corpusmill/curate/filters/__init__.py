"""Quality filters: per-record stages that keep, modify or drop documents, with their scores."""
from corpusmill.curate.filters.c4_quality import C4Quality
from corpusmill.curate.filters.fineweb_quality import FineWebQuality
from corpusmill.curate.filters.gopher_quality import GopherQuality
from corpusmill.curate.filters.gopher_repetition import GopherRepetition
from corpusmill.curate.filters.language import LanguageFilter
from corpusmill.curate.filters.line_corrections import LineCorrections
from corpusmill.curate.filters.presets import PRESETS
from corpusmill.curate.filters.url_filter import UrlFilter

__all__ = [
           "PRESETS",
           "C4Quality",
           "FineWebQuality",
           "GopherQuality",
           "GopherRepetition",
           "LanguageFilter",
           "LineCorrections",
           "UrlFilter",
]

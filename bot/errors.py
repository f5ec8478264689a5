"""Exception hierarchy.

Everything Kelisim raises on purpose derives from :class:`KelisimError`, so front
ends can catch one class and show its message to a person without a traceback::

    KelisimError
    ├── ConfigurationError    a setting is missing or inconsistent
    ├── CorpusError           a corpus document cannot be read or is invalid
    ├── IndexNotReadyError    no index has been built yet
    ├── IndexUnavailableError the index cannot be read (damaged file, server down)
    ├── IndexBuildError       building the index failed (the previous one keeps serving)
    │   └── InvalidCorpusError    the corpus has invalid documents, so nothing was built
    ├── DatabaseUnavailableError  the bot's database cannot be reached or migrated
    ├── GeneratorError        the LLM endpoint failed (callers fall back to the composer)
    └── DatasetError          a labelled evaluation file is missing or malformed
"""


class KelisimError(Exception):
    """Base class of every error Kelisim raises on purpose."""


class ConfigurationError(KelisimError):
    """A setting is missing or inconsistent."""


class CorpusError(KelisimError):
    """A corpus document cannot be read or is invalid."""


class IndexNotReadyError(KelisimError):
    """No index has been built yet: run ``kelisim kb build``."""


class IndexUnavailableError(KelisimError):
    """The index cannot be read: a damaged file, or the Chroma server is down."""


class IndexBuildError(KelisimError):
    """Building the index failed; the previously built index keeps serving."""


class InvalidCorpusError(IndexBuildError):
    """The corpus has invalid documents; ``problems`` lists them. Nothing was built."""

    def __init__(self, problems: list) -> None:  # list[Problem]; no import cycle
        self.problems = problems
        files = sorted({str(p.path) for p in problems})
        super().__init__(
            f"{len(files)} invalid document(s): {', '.join(files)}. Nothing was built; the "
            "index that is serving stays as it was. Fix them (`kelisim kb validate`) or "
            "unpublish them."
        )


class GeneratorError(KelisimError):
    """The LLM generator failed; the caller falls back to the extractive composer."""


class DatasetError(KelisimError):
    """A labelled evaluation file is missing, unreadable or has a malformed line."""


class DatabaseUnavailableError(KelisimError):
    """The bot's database (SQLite file or PostgreSQL server) cannot be reached or migrated."""

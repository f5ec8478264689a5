"""Exception hierarchy.

Everything Kelisim raises on purpose derives from :class:`KelisimError`, so front
ends can catch one class and show its message to a person without a traceback::

    KelisimError
    ├── ConfigurationError    a setting is missing or inconsistent
    ├── CorpusError           a corpus document cannot be read or is invalid
    ├── IndexNotReadyError    no index has been built yet
    ├── IndexBuildError       building the index failed (the previous one keeps serving)
    └── GeneratorError        the LLM endpoint failed (callers fall back to the composer)
"""


class KelisimError(Exception):
    """Base class of every error Kelisim raises on purpose."""


class ConfigurationError(KelisimError):
    """A setting is missing or inconsistent."""


class CorpusError(KelisimError):
    """A corpus document cannot be read or is invalid."""


class IndexNotReadyError(KelisimError):
    """No index has been built yet: run ``kelisim kb build``."""


class IndexBuildError(KelisimError):
    """Building the index failed; the previously built index keeps serving."""


class GeneratorError(KelisimError):
    """The LLM generator failed; the caller falls back to the extractive composer."""

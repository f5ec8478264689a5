"""Keep the bot token out of every log line and traceback."""

from __future__ import annotations

import logging
import re

REDACTED = "<token>"
# Anything shaped like a bot token, in case a different one shows up in a URL.
_TOKEN_SHAPE = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}\b")


class TokenRedactor:
    """A log record factory wrapper that rewrites records before any handler sees them.

    A record factory (rather than a filter on one handler) covers every handler,
    including ones added later, and the formatted traceback text too.
    """

    def __init__(self, secrets: list[str]) -> None:
        self.secrets = [s for s in secrets if s]
        self._previous = logging.getLogRecordFactory()
        self._installed = self._factory  # one bound method, so ``uninstall`` can compare it

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return _TOKEN_SHAPE.sub(REDACTED, text)

    def _factory(self, *args: object, **kwargs: object) -> logging.LogRecord:
        record = self._previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call: leave it to logging to report
            return record
        record.msg, record.args = self.redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
        return record

    def install(self) -> None:
        logging.setLogRecordFactory(self._installed)

    def uninstall(self) -> None:
        if logging.getLogRecordFactory() is self._installed:
            logging.setLogRecordFactory(self._previous)


def install_redaction(*secrets: str) -> TokenRedactor:
    """Redact ``secrets`` (and anything token-shaped) from all log records from now on."""
    redactor = TokenRedactor(list(secrets))
    redactor.install()
    # httpx logs every request URL, which contains the token, at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return redactor

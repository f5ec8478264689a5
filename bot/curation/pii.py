"""Removing personal data from a message before it is stored.

Recorded questions must not identify anyone: names a person introduces themselves
with, phone numbers, e-mail addresses, ID numbers (the 12-digit IIN), links and
@handles are replaced by placeholders such as ``[phone]``.
"""

from __future__ import annotations

import re

_URL = re.compile(r"(?i)\b(?:https?://|www\.)\S+|\b(?:t\.me|wa\.me|vk\.com|instagram\.com)/\S+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_HANDLE = re.compile(r"(?<![\w@])@\w{2,}")
# Runs of 9 or more digits, with the separators people type inside phone numbers.
_NUMBER = re.compile(r"(?<![\w+])\+?\d(?:[\s().-]{0,2}\d){8,}(?!\w)")
_INTRO = (
    r"my name is|my name's|call me|i am called|"
    r"меня зовут|моё имя|мое имя|моя фамилия|"
    r"менің атым|менің есімім|менің аты-жөнім|атым|есімім|аты-жөнім"
)
# The introduction phrase, then a name: one word, and a second one when capitalised.
_NAME = re.compile(
    rf"(?i:\b({_INTRO}))(\s*[:—-]?\s+)[^\W\d_][\w'’-]*(?:\s+[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ][\w'’-]*)?"
)


def _number(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[id]" if len(digits) == 12 and not match.group(0).startswith("+") else "[phone]"


def strip_personal_data(text: str) -> str:
    """``text`` with personal data replaced by placeholders; everything else unchanged."""
    text = _URL.sub("[url]", text)
    text = _EMAIL.sub("[email]", text)
    text = _HANDLE.sub("[handle]", text)
    text = _NUMBER.sub(_number, text)
    text = _NAME.sub(lambda m: f"{m.group(1)}{m.group(2)}[name]", text)
    return " ".join(text.split())

"""Turning documents into retrieval chunks (LangChain splitters) and sentences.

Chunks are what retrieval ranks; sentences are what the extractive composer
quotes, so they are kept clean of Markdown and in document order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from bot.knowledge.documents import Document

CHUNK_SIZE = 900
CHUNK_OVERLAP = 120
_HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3")]

# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    [
        "т.е",
        "т.д",
        "т.п",
        "т.б",
        "т.с.с",
        "и.т.д",
        "др",
        "ст",
        "стт",
        "п",
        "пп",
        "г",
        "гг",
        "ж",
        "жж",
        "б.з.б",
        "бзб",
        "e.g",
        "i.e",
        "etc",
        "no",
        "nos",
        "art",
        "vs",
        "mr",
        "mrs",
        "ms",
        "dr",
        "st",
        "prof",
        "ул",
        "им",
        "тел",
        "см",
        "напр",
        "рис",
        "қ",
        "мыс",
    ]
)
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"»”)]*\s+(?=[\"«“(\[]?[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ0-9])")
_MD_INLINE = re.compile(r"(\*\*|__|`|\*(?=\S)|(?<=\S)\*)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((?:[^)]+)\)")
_LIST_MARK = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")


@dataclass(frozen=True, slots=True)
class Chunk:
    """A retrieval unit: a piece of one section of one document."""

    doc_id: str
    section: str
    text: str
    position: int

    @property
    def indexed_text(self) -> str:
        """What is embedded and stored: section heading for context, then the text."""
        return f"{self.section}\n{self.text}" if self.section else self.text


@dataclass(frozen=True, slots=True)
class Sentence:
    """One quotable sentence of a document, with its place in the document."""

    doc_id: str
    section: str
    text: str
    position: int


_header_splitter = MarkdownHeaderTextSplitter(headers_to_split_on=_HEADERS, strip_headers=True)
_size_splitter = RecursiveCharacterTextSplitter(
    chunk_size=CHUNK_SIZE,
    chunk_overlap=CHUNK_OVERLAP,
    separators=["\n\n", "\n", ". ", "! ", "? ", "; ", ", ", " ", ""],
)


def _section_of(metadata: dict[str, str], title: str) -> str:
    parts = [metadata[k] for k in ("h2", "h3") if metadata.get(k)]
    return " — ".join([title, *parts])


def chunk_document(doc: Document) -> list[Chunk]:
    """Split by Markdown headings, then by size."""
    chunks: list[Chunk] = []
    for section in _header_splitter.split_text(doc.body):
        heading = _section_of(section.metadata, doc.title)
        for piece in _size_splitter.split_text(section.page_content):
            text = clean_markdown(piece)
            if len(text) >= 20:
                chunks.append(Chunk(doc.id, heading, text, len(chunks)))
    return chunks


def clean_markdown(text: str) -> str:
    """Plain text from a Markdown fragment: no emphasis marks, links kept as their text."""
    lines = []
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        line = _LIST_MARK.sub("", line)
        line = _MD_LINK.sub(r"\1", line)
        line = _MD_INLINE.sub("", line)
        lines.append(line.strip())
    return re.sub(r"[ \t]+", " ", "\n".join(lines)).strip()


def split_sentences(text: str) -> list[str]:
    """Split plain text into sentences; list items and lines count as sentences."""
    out: list[str] = []
    for block in re.split(r"\n+", text):
        block = block.strip()
        if not block:
            continue
        pieces = _SENTENCE_END.split(block)
        merged: list[str] = []
        for piece in pieces:
            if merged and _ends_with_abbreviation(merged[-1]):
                merged[-1] = f"{merged[-1]} {piece}"
            else:
                merged.append(piece)
        out.extend(p.strip() for p in merged if len(p.strip()) > 1)
    return out


def _ends_with_abbreviation(text: str) -> bool:
    last = text.rsplit(None, 1)[-1].rstrip(".").lower() if text.strip() else ""
    return last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())


def sentences_of(doc: Document) -> list[Sentence]:
    """Every quotable sentence of a document, in order, with its section."""
    sentences: list[Sentence] = []
    for section in _header_splitter.split_text(doc.body):
        heading = _section_of(section.metadata, doc.title)
        for text in split_sentences(clean_markdown(section.page_content)):
            if len(text) >= 25 and re.search(r"\w{3}", text):
                sentences.append(Sentence(doc.id, heading, text, len(sentences)))
    return sentences

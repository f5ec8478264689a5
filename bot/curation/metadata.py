"""Title and web address of an imported file, from the file's own metadata.

PDF: the document information dictionary's Title. DOCX: the core properties' title
and, when it is a web address, the identifier. HTML: ``<title>`` (or ``og:title``)
and the canonical link (or ``og:url``). Markdown: its first ``#`` heading.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

_HTTP = re.compile(r"^https?://\S+$")
_DOCX_NS = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
}


@dataclass(frozen=True, slots=True)
class FileMetadata:
    """What a file says about itself; empty strings when it says nothing."""

    title: str = ""
    url: str = ""


def _clean(value: object) -> str:
    text = " ".join(str(value or "").split())
    return text


def _url(value: object) -> str:
    text = _clean(value)
    return text if _HTTP.match(text) else ""


def pdf_metadata(path: Path) -> FileMetadata:
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdftypes import resolve1
    from pdfminer.utils import decode_text

    with path.open("rb") as handle:
        document = PDFDocument(PDFParser(handle))
        info: dict[str, Any] = {}
        for entry in document.info:
            info.update(resolve1(entry) or {})

    def text(key: str) -> str:
        raw = resolve1(info.get(key))
        return _clean(decode_text(raw) if isinstance(raw, bytes) else raw)

    return FileMetadata(title=text("Title"), url=_url(text("URL") or text("Subject")))


def docx_metadata(path: Path) -> FileMetadata:
    with zipfile.ZipFile(path) as archive:
        try:
            xml = archive.read("docProps/core.xml")
        except KeyError:
            return FileMetadata()
    root = ElementTree.fromstring(xml)

    def text(tag: str) -> str:
        node = root.find(tag, _DOCX_NS)
        return _clean(node.text if node is not None else "")

    return FileMetadata(title=text("dc:title"), url=_url(text("dc:identifier")))


def html_metadata(path: Path) -> FileMetadata:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_bytes(), "html.parser")
    title = _clean(soup.title.string if soup.title and soup.title.string else "")
    if not title:
        og_title = soup.find("meta", attrs={"property": "og:title"})
        title = _clean(og_title.get("content") if og_title else "")
    url = ""
    for link in soup.find_all("link", href=True):
        rel: Any = link.get("rel") or []
        if "canonical" in (rel if isinstance(rel, list) else [rel]):
            url = _url(link["href"])
            break
    if not url:
        og_url = soup.find("meta", attrs={"property": "og:url"})
        url = _url(og_url.get("content") if og_url else "")
    return FileMetadata(title=title, url=url)


def markdown_metadata(path: Path) -> FileMetadata:
    match = re.search(
        r"^#\s+(.+)$", path.read_text(encoding="utf-8", errors="replace"), re.MULTILINE
    )
    return FileMetadata(title=_clean(match.group(1)) if match else "")


READERS = {
    ".pdf": pdf_metadata,
    ".docx": docx_metadata,
    ".html": html_metadata,
    ".htm": html_metadata,
    ".md": markdown_metadata,
    ".markdown": markdown_metadata,
}


def read_metadata(path: Path) -> FileMetadata:
    """The file's metadata; empty when its format has none (plain text)."""
    reader = READERS.get(path.suffix.lower())
    return reader(path) if reader else FileMetadata()

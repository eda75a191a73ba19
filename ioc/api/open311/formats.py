"""The two Open311 formats: the same document as XML (the spec's required format) or JSON.

XML is built with ElementTree, which escapes citizen text; nothing is built by concatenation.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, Request
from fastapi.responses import JSONResponse, Response

FORMATS = ("xml", "json")
_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
# The children of these list-valued fields are named as the spec's XML examples name them.
_ITEM_TAGS = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute",
              "values": "value"}
# Characters XML 1.0 cannot carry, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def response_format(fmt: Annotated[str, Path(description="`xml` or `json`")]) -> str:
    if fmt not in FORMATS:
        raise HTTPException(404, f"format {fmt!r} is not offered; end the path in .xml or .json")
    return fmt


FormatDep = Annotated[str, Depends(response_format)]


def format_of(request: Request) -> str:
    """The format a request asked for, for answering it even when the route refused it."""
    fmt = request.path_params.get("fmt") or request.url.path.rsplit(".", 1)[-1]
    return fmt if fmt in FORMATS else "xml"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("\ufffd", str(value))


def _fill(element: ET.Element, tag: str, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), key, item)
    elif isinstance(value, list):
        for item in value:
            _fill(ET.SubElement(element, _ITEM_TAGS[tag]), _ITEM_TAGS[tag], item)
    elif value is not None:
        element.text = _text(value)


def xml_bytes(document: dict | list, root: str, item: str | None = None) -> bytes:
    """`document` under `root`; a list becomes one `item` element per entry."""
    top = ET.Element(root)
    if isinstance(document, list):
        for entry in document:
            _fill(ET.SubElement(top, item), item, entry)
    else:
        _fill(top, root, document)
    return _XML_DECLARATION + ET.tostring(top, encoding="utf-8", xml_declaration=False)


def render(fmt: str, document: dict | list, root: str, item: str | None = None,
           status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    if fmt == "json":
        return JSONResponse(document, status_code=status_code, headers=headers)
    return Response(xml_bytes(document, root, item), status_code=status_code, headers=headers,
                    media_type="text/xml; charset=utf-8")


def errors(fmt: str, status_code: int, description: str,
           headers: dict[str, str] | None = None) -> Response:
    """The spec's error document: a list of {code, description}."""
    return render(fmt, [{"code": status_code, "description": description}], "errors", "error",
                  status_code, headers)

"""Uploaded documents to flipbook pages: type detection, rendering, text, links, outline, manifest.

Pure of HTTP and the database: callers pass paths and options and get files in a directory plus
typed errors. Every byte of an upload is parsed in a resource-limited worker process.
The manifest format is documented in docs/manifest.md, the design in docs/conversion.md.
"""

from flipshelf.conversion.convert import (
    ProgressCallback,
    check_page_limit,
    convert_document,
    render_zoom,
)
from flipshelf.conversion.detection import (
    DocumentInfo,
    detect_document_type,
    inspect_document,
    reencode_image,
)
from flipshelf.conversion.errors import (
    ConversionError,
    ConversionFailed,
    PageLimitExceeded,
    ResourceLimitExceeded,
    UnsupportedDocument,
)
from flipshelf.conversion.images import ReencodedImage
from flipshelf.conversion.manifest import (
    MANIFEST_NAME,
    Link,
    Manifest,
    OutlineEntry,
    Page,
    PageImage,
    read_manifest,
)
from flipshelf.conversion.options import ConversionOptions, ImageSize, ResourceLimits
from flipshelf.conversion.sniff import DocumentKind

__all__ = [
    "MANIFEST_NAME",
    "ConversionError",
    "ConversionFailed",
    "ConversionOptions",
    "DocumentInfo",
    "DocumentKind",
    "ImageSize",
    "Link",
    "Manifest",
    "OutlineEntry",
    "Page",
    "PageImage",
    "PageLimitExceeded",
    "ProgressCallback",
    "ReencodedImage",
    "ResourceLimitExceeded",
    "ResourceLimits",
    "UnsupportedDocument",
    "check_page_limit",
    "convert_document",
    "detect_document_type",
    "inspect_document",
    "read_manifest",
    "reencode_image",
    "render_zoom",
]

"""Where media bytes live (``BlobStore``) and how they are handed out (signed URLs)."""

from tilework.storage.base import BlobStore
from tilework.storage.local import LocalBlobStore
from tilework.storage.signing import UrlSigner

__all__ = ["BlobStore", "LocalBlobStore", "UrlSigner"]

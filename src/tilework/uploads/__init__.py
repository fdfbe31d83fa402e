"""Uploads: reserve an id and a signed form, receive the bytes, probe and finalize."""

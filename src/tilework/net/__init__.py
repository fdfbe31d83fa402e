"""Outbound HTTP that user-supplied URLs can steer: the SSRF guard and the guarded downloader.

``guard`` decides whether a URL may be fetched (resolving its host once) and pins the connection
to the address it checked; ``download`` streams a file through it with size and time limits.
"""

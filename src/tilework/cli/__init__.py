"""The ``tilework`` command: serve the API, bootstrap an organization, import agents, run them.

Server-side commands (``serve``, ``init``) import the server lazily; the client commands speak to
a server only through ``tilework.sdk``.
"""

"""The PostgreSQL dispatcher: the ``Dispatcher`` port over Procrastinate (docs/deployment.md).

``dispatcher.py`` is the port (defer and abort in the caller's transaction, on the SQLAlchemy
session's own psycopg connection); ``pool.py`` runs Procrastinate workers on an event loop
thread of their own; ``schema.py`` applies Procrastinate's SQL schema for ``tilework migrate``.
"""

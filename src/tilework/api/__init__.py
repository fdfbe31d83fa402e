"""The HTTP surface (routers only: parse, call a service, shape the response).

``tilework.api.app.create_app`` builds the application.
"""

"""The dashboard over real HTTP: the API tests' app and organizations (see ../api/conftest.py)."""

from tests.integration.api.conftest import api, make_api  # noqa: F401  (fixtures)

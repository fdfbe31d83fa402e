"""The dashboard over real HTTP: the API tests' app and organizations (see ../api/conftest.py)."""

from tests.integration.api.conftest import api, make_api, sample_mp4  # noqa: F401  (fixtures)

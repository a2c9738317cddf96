import pytest

from .seed import seed


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def newsroom(db):
    return seed()


@pytest.fixture
def bearer(newsroom):
    return {"HTTP_AUTHORIZATION": f"Bearer {newsroom.token}"}

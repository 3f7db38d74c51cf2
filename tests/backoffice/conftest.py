import pytest
from django.contrib.auth.models import Group

from tests.factories import UserFactory
from tests.support.admin import CONTENT_MANAGERS, SUPPORT, ensure_groups, login, staff_in


@pytest.fixture
def groups(db):
    ensure_groups()
    return {group.name: group for group in Group.objects.all()}


@pytest.fixture
def content_manager(db):
    return staff_in(CONTENT_MANAGERS, username="carol")


@pytest.fixture
def support(db):
    return staff_in(SUPPORT, username="sam")


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def content_client(content_manager):
    return login(content_manager)


@pytest.fixture
def support_client(support):
    return login(support)


@pytest.fixture
def superuser_client(superuser):
    return login(superuser)

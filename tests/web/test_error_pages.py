"""The server-error page stands alone (Django renders it without a request context) and speaks the reader's
language."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.utils import translation
from django.views.defaults import server_error


@pytest.mark.parametrize(("language", "title"), [("zh-hans", "出错了"), ("en", "Something went wrong")])
def test_the_server_error_page_is_ours_in_the_readers_language(language: str, title: str) -> None:
    with translation.override(language):
        response = server_error(RequestFactory().get("/anything/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert f'<html lang="{language}">' in html and f"<h1>{title}</h1>" in html
    assert "web/site.css" in html

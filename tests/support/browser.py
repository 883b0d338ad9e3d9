"""A small browser for the tests: cookies, redirects, and HTML forms filled and submitted."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[Form] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(
                Form(attrs.get("action") or "", (attrs.get("method") or "get").lower())
            )
        elif tag in ("input", "button", "textarea", "select") and self.forms:
            form = self.forms[-1]
            kind = (attrs.get("type") or ("submit" if tag == "button" else "text")).lower()
            name = attrs.get("name")
            if kind == "submit":
                if name:
                    form.buttons.append((name, attrs.get("value", "")))
            elif kind == "checkbox":
                if name and "checked" in attrs:
                    form.fields[name] = attrs.get("value", "on")
            elif name:
                form.fields[name] = attrs.get("value", "")

    def handle_data(self, data):
        if data.strip():
            self.texts.append(data.strip())


class Page:
    def __init__(self, response: requests.Response):
        self.response = response
        self.url = response.url
        self.status = response.status_code
        self.html = response.text
        parser = _FormParser()
        parser.feed(self.html)
        self.forms = parser.forms
        self.text = " ".join(parser.texts)

    def form(self, having: str | None = None, *, to: str | None = None) -> Form:
        """The first form with a field or button named `having` (or the first form), among
        those posting to the path `to` when it is given."""
        for form in self.forms:
            if to is not None and urlsplit(form.action).path != to:
                continue
            if having is None or having in form.fields or any(n == having for n, _ in form.buttons):
                return form
        where = f" to {to}" if to else ""
        raise AssertionError(f"no form{where} with {having!r} on {self.url}: {self.text[:300]}")


class Browser:
    def __init__(self, base_url: str, *, accept_language: str = "en"):
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers["Accept-Language"] = accept_language
        self.session.headers["User-Agent"] = (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0 Safari/537.36"
        )

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.session.close()

    def url(self, path: str) -> str:
        return urljoin(self.base_url, path)

    def get(self, path: str, **kwargs) -> Page:
        return Page(self.session.get(self.url(path), timeout=15, **kwargs))

    def submit(
        self,
        page: Page,
        having: str | None = None,
        button: str | None = None,
        *,
        to: str | None = None,
        files: dict | None = None,
        **values,
    ) -> Page:
        """Fill the form's fields (name=value) and submit it, following redirects on this
        server; `to` picks the form by the path it posts to; `files` (name: (filename,
        bytes, type)) are sent as a multipart form, as a file input sends them."""
        form = page.form(having, to=to)
        data = dict(form.fields)
        data.update(values)
        if button is not None:
            data.update(dict([b for b in form.buttons if b[0] == button] or [(button, "")]))
            if button in values:
                data[button] = values[button]
        target = urljoin(page.url, form.action or page.url)
        if form.method == "post":
            response = self.session.post(
                target, data=data, files=files, timeout=15, allow_redirects=False
            )
        else:
            response = self.session.get(target, params=data, timeout=15, allow_redirects=False)
        return self.follow(response)

    def follow(self, response: requests.Response, *, limit: int = 10) -> Page:
        """Follow redirects while they stay on this server; stop at one that leaves it."""
        own = urlsplit(self.base_url).netloc
        for _ in range(limit):
            location = response.headers.get("Location")
            if response.status_code not in (301, 302, 303, 307, 308) or not location:
                break
            target = urljoin(response.url, location)
            if urlsplit(target).netloc != own:
                break
            response = self.session.get(target, timeout=15, allow_redirects=False)
        return Page(response)

    def open(self, url: str) -> Page:
        return self.follow(self.session.get(self.url(url), timeout=15, allow_redirects=False))

    def sign_in(self, login: str, password: str) -> Page:
        page = self.get("/login")
        return self.submit(page, "login", login=login, password=password)

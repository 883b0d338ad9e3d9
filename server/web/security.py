"""Headers that keep the pages out of frames and the tokens out of caches."""

from flask import Flask

from .. import csp

SECURITY_HEADERS = (
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
)


# RFC 6797: once a browser has seen Passport over https, it never tries plain http again
# (two years, the figure the preload list asks for). Only when the issuer is https: the
# header is meaningless over http, and a development server on http must stay reachable.
STRICT_TRANSPORT = ("Strict-Transport-Security", "max-age=63072000; includeSubDomains")


def register_security_headers(app: Flask) -> None:
    always = SECURITY_HEADERS
    if app.config["ISSUER"].startswith("https://"):
        always = (*SECURITY_HEADERS, STRICT_TRANSPORT)

    @app.after_request
    def headers(response):
        # One pass over what the view set (a few µs on every request), not one per header.
        present = {name.lower() for name, _ in response.headers}
        added = [(name, value) for name, value in always if name.lower() not in present]
        if "content-security-policy" not in present:
            # Per response: a page may let its forms lead to the portal it answers (csp.py).
            added.append(("Content-Security-Policy", csp.policy()))
        response.headers.extend(added)
        if response.mimetype == "text/html" and "cache-control" not in present:
            response.headers["Cache-Control"] = "no-store"
        return response

"""Make docs/passport-and-portal.png, the README's first picture: the Passport page and the
demo portal side by side, signed in as the demo account, in Debian's Chromium.

    make run                       # in another terminal
    .venv/bin/python docs/screenshot.py [--passport http://127.0.0.1:5000 --portal …]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
SIZE = {"width": 640, "height": 760}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passport", default="http://127.0.0.1:5000")
    parser.add_argument("--portal", default="http://127.0.0.1:5001")
    parser.add_argument("--language", default="en", choices=["en", "ru"])
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which("chromium"), args=["--no-sandbox"]
            )
            page = browser.new_context(viewport=SIZE, locale=args.language).new_page()
            page.goto(args.portal + "/")
            page.click("text=Sign in with Passport")
            page.wait_for_url(args.passport + "/login**")
            page.fill("#login", "demo@example.org")
            page.fill("#password", "passport-demo")
            page.click("main form button[type=submit]")
            page.wait_for_url(args.portal + "/")
            page.screenshot(path=folder / "portal.png")
            page.goto(args.passport + "/account")
            page.screenshot(path=folder / "passport.png")
            browser.close()
        left, right = Image.open(folder / "passport.png"), Image.open(folder / "portal.png")
        gap = 16
        picture = Image.new("RGB", (left.width + gap + right.width, left.height), "#d9dee8")
        picture.paste(left, (0, 0))
        picture.paste(right, (left.width + gap, 0))
        picture.save(HERE / "passport-and-portal.png", optimize=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

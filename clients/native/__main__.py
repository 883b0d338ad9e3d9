"""`python -m clients.native --issuer URL [--client-id demo-cli] [--no-browser]`: sign in
from the command line; prints the ID token's claims and userinfo as JSON."""

import argparse
import json
import os
import sys
import webbrowser

from . import SignInFailed, sign_in


def main() -> int:
    parser = argparse.ArgumentParser(description="Sign in to Passport as a native app")
    parser.add_argument(
        "--issuer", default=os.environ.get("PASSPORT_ISSUER", "http://127.0.0.1:5000")
    )
    parser.add_argument("--client-id", default="demo-cli")
    parser.add_argument(
        "--no-browser", action="store_true", help="print the address instead of opening it"
    )
    args = parser.parse_args()

    def open_url(url: str) -> None:
        print(f"Sign in at: {url}", file=sys.stderr, flush=True)
        if not args.no_browser:
            webbrowser.open(url)

    try:
        result = sign_in(args.issuer.rstrip("/"), args.client_id, open_url)
    except SignInFailed as error:
        print(f"Not signed in: {error}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m clients.spa [--port 5002] [--issuer URL] [--client-id demo-spa] [--quiet]`."""

import argparse
import logging
import os

from werkzeug.serving import run_simple

from . import create_spa


def main() -> None:
    parser = argparse.ArgumentParser(description="The Passport single-page example")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5002)
    parser.add_argument(
        "--issuer", default=os.environ.get("PASSPORT_ISSUER", "http://127.0.0.1:5000")
    )
    parser.add_argument("--client-id", default="demo-spa")
    parser.add_argument("--quiet", action="store_true", help="no banner and no request log")
    args = parser.parse_args()
    app = create_spa(args.issuer, args.client_id)
    if args.quiet:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
    else:
        print(f"Single-page example on http://{args.host}:{args.port}", flush=True)
    run_simple(args.host, args.port, app, threaded=True)


if __name__ == "__main__":
    main()

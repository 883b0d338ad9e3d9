"""`python -m clients.portal [--port 5001] [--quiet]`: run the demo portal."""

import argparse
import logging
from urllib.parse import urlsplit

from werkzeug.serving import run_simple

from . import create_portal, load_settings


def main() -> None:
    parser = argparse.ArgumentParser(description="The Passport demo portal")
    parser.add_argument("--host", default=None)
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument(
        "--quiet", action="store_true", help="no banner and no request log (make run)"
    )
    args = parser.parse_args()
    url = urlsplit(load_settings()["URL"])
    app = create_portal()
    host = args.host or url.hostname or "127.0.0.1"
    port = args.port or url.port or 5001
    if args.quiet:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
    else:
        print(f"Demo portal on http://{host}:{port}", flush=True)
    run_simple(host, port, app, threaded=True)


if __name__ == "__main__":
    main()

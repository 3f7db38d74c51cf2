"""Container health check for the web role: exit 0 when GET /api/v1/health answers 200.

Speaks plain http to the local gunicorn (the path is exempt from the HTTPS redirect) and
sends a Host header Django accepts: the first usable entry of ALLOWED_HOSTS.
"""

import os
import sys
import urllib.error
import urllib.request


def allowed_host():
    for host in os.environ.get("ALLOWED_HOSTS", "").split(","):
        host = host.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def main():
    port = os.environ.get("PORT", "8000")
    url = os.environ.get("HEALTHCHECK_URL", f"http://127.0.0.1:{port}/api/v1/health")
    request = urllib.request.Request(url, headers={"Host": allowed_host()})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            status = response.status
    except (urllib.error.URLError, OSError) as exc:
        print(f"healthcheck: {url}: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"healthcheck: {url}: HTTP {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

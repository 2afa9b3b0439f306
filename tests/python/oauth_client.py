"""A third-party OAuth2 client (requests-oauthlib) using wktui's local token
endpoint exactly as it would use Workiva's: the client-credentials grant with
BackendApplicationClient and OAuth2Session.fetch_token.

Everything comes from the environment, as `wktui exec` provides it and as a
user of `wktui serve` would set it: WORKIVA_TOKEN_URL, WORKIVA_CLIENT_ID,
WORKIVA_CLIENT_SECRET (never on the command line), WORKIVA_API_URL.

    oauth_client.py once body|basic    one token; prints it as a JSON line
    oauth_client.py wrong body|basic   the secret altered; prints the error
    oauth_client.py job SECONDS        a long job: renews the token when it
                                       runs out and calls the API with it
    oauth_client.py unreachable        expects the endpoint to be gone

Each result is one JSON line on stdout; the exit code is 0 when the script
could say what happened.
"""

import json
import os
import sys
import time

# oauthlib insists on https; the endpoint is on this machine's loopback.
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")

import requests  # noqa: E402
from oauthlib.oauth2 import BackendApplicationClient, OAuth2Error  # noqa: E402
from requests_oauthlib import OAuth2Session  # noqa: E402


def fetch(auth, secret=None):
    """One token. `auth` is "body" (credentials in the form, as Workiva's
    SDKs send them) or "basic" (HTTP Basic, the library's default)."""
    token_url = os.environ["WORKIVA_TOKEN_URL"]
    client_id = os.environ["WORKIVA_CLIENT_ID"]
    if secret is None:
        secret = os.environ["WORKIVA_CLIENT_SECRET"]
    headers = {
        "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
    }
    if token_url.endswith("/oauth2/token") and "/iam/v1/" not in token_url:
        headers["X-Version"] = "2026-01-01"
    session = OAuth2Session(client=BackendApplicationClient(client_id=client_id))
    extra = {"include_client_id": True} if auth == "body" else {}
    return session.fetch_token(
        token_url=token_url, client_secret=secret, headers=headers, timeout=30, **extra
    )


def summary(token):
    return {
        "access_token": token["access_token"],
        "expires_in": token["expires_in"],
        "scope": " ".join(token.get("scope") or []),
        "token_type": token["token_type"],
    }


def error(e):
    return {"error": e.error, "status_code": e.status_code, "description": e.description}


def once(auth):
    print(json.dumps(summary(fetch(auth))))


def wrong(auth):
    try:
        token = fetch(auth, secret=os.environ["WORKIVA_CLIENT_SECRET"] + "x")
        print(json.dumps({"unexpected_token": bool(token)}))
    except OAuth2Error as e:
        print(json.dumps(error(e)))


def job(seconds):
    """Works for `seconds`, calling the API every 200 ms with a token that
    it renews (as any client-credentials client does) once it is about to
    run out; reports every token it used and every API answer."""
    api = os.environ["WORKIVA_API_URL"] + "/permissions"
    deadline = time.monotonic() + seconds
    token, expires_at = None, 0.0
    tokens, statuses = [], []
    while time.monotonic() < deadline:
        if token is None or expires_at - time.time() < 0.5:
            token = fetch("body")
            expires_at = token["expires_at"]
            tokens.append(summary(token))
        answer = requests.get(
            api,
            headers={"Authorization": "Bearer " + token["access_token"], "X-Version": "2026-01-01"},
            timeout=30,
        )
        statuses.append(answer.status_code)
        time.sleep(0.2)
    print(json.dumps({"tokens": tokens, "api_statuses": statuses}))


def unreachable():
    try:
        fetch("body")
        print(json.dumps({"reached": True}))
    except requests.exceptions.ConnectionError as e:
        print(json.dumps({"reached": False, "reason": type(e).__name__}))


def main(argv):
    command = argv[1] if len(argv) > 1 else ""
    if command in ("once", "wrong") and len(argv) == 3 and argv[2] in ("body", "basic"):
        (once if command == "once" else wrong)(argv[2])
    elif command == "job" and len(argv) == 3:
        job(float(argv[2]))
    elif command == "unreachable":
        unreachable()
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

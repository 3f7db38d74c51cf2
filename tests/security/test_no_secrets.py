"""No secret in the repository: private keys, cloud keys, API tokens, hard-coded SECRET_KEY
values or passwords. Scans every file git tracks or would add (`git ls-files`, untracked files
that are not ignored included). The placeholders below are the only values allowed, each for a
stated reason."""

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
THIS_FILE = Path(__file__).resolve().relative_to(REPO).as_posix()

# Values that look like secrets but are not, and why.
ALLOWED_SECRET_KEYS = re.compile(
    r"^(dev-only-"  # base.py's default for `make run`; production.py refuses it
    r"|change-me"  # .env.example's placeholder; production.py refuses it too
    r"|build-only-"  # the Dockerfile's collectstatic step, never a running service
    r"|bench-only-)"  # bench/run.py's throwaway server on the developer's machine
)
ALLOWED_PASSWORDS = {
    "economy",  # the local docker-compose database (.env.example, README): an example value
    "correct horse battery staple",  # the test factories' players
    "pass",  # README: postgres://user:pass@host/... as an example of the URL's shape
}
# Under tests/ a password literal is a fixture of the test itself (a wrong password to refuse,
# a form to fill in): only the key and token patterns apply there.
TEST_FILES = "tests/"

TOKEN_PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "AWS secret key": re.compile(r"(?i)aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+]{40}"),
    "GitHub token": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_\w{40,})"),
    "Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "Stripe live key": re.compile(r"\b[sr]k_live_[A-Za-z0-9]{16,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
}
# SECRET_KEY = "literal", SECRET_KEY=literal (env files, Dockerfiles), SECRET_KEY: literal
# (YAML), and env("SECRET_KEY", default="literal").
SECRET_KEY_VALUE = re.compile(
    r"""SECRET_KEY['"]?\s*(?:=|:)\s*(?:env\(\s*['"]SECRET_KEY['"]\s*,\s*default\s*=\s*)?"""
    r"""(?P<value>['"][^'"]*['"]|[^\s'",)]+)"""
)
# A quoted literal anywhere (password = "...", "password": "..."), or an unquoted value on a
# line of its own (env files, Dockerfiles, YAML: POSTGRES_PASSWORD=..., PASSWORD: ...).
PASSWORD_VALUE = re.compile(
    r"""(?i)\b\w*passw(?:or)?d\w*['"]?\s*(?:=|:)\s*(?P<value>['"][^'"\n]*['"])"""
)
PASSWORD_SETTING = re.compile(
    r"""(?m)^\s*(?:export\s+)?[A-Z_]*PASSWORD[A-Z_]*\s*(?:=|:)\s*(?P<value>[^\s'",]+)\s*$"""
)
URL_CREDENTIALS = re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:(?P<value>[^@\s/'\"]+)@")
# Right-hand sides that are code or interpolation, not a literal: their value comes from
# elsewhere at run time.
NOT_A_LITERAL = re.compile(
    r"^(?:env[.(]|os\.|secrets\.|settings\.|self\.|options|None|True|False|"
    r"make_password|get_random|\$\{?\w+\}?$|\{|\(|\[|<|%)"
)


def _tracked_files():
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return sorted({name for name in listed.split("\0") if name})


def _literal(value):
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
        # "<printed password>", "": a placeholder in documentation, or nothing at all.
        return None if not value or value.startswith("<") else value
    default = re.match(r"^\$\{\w+:?-(?P<default>[^}]*)\}$", value)  # ${VAR:-default}
    if default:
        return default["default"]
    return None if NOT_A_LITERAL.match(value) else value


def findings(text, *, passwords=True):
    """(kind, excerpt) for everything in `text` that looks like a committed secret."""
    found = []
    for kind, pattern in TOKEN_PATTERNS.items():
        found += [(kind, match.group(0)[:40]) for match in pattern.finditer(text)]
    for match in SECRET_KEY_VALUE.finditer(text):
        value = _literal(match["value"])
        if value and not ALLOWED_SECRET_KEYS.match(value):
            found.append(("SECRET_KEY", match.group(0)[:80]))
    for pattern in (PASSWORD_VALUE, PASSWORD_SETTING, URL_CREDENTIALS) if passwords else ():
        for match in pattern.finditer(text):
            value = _literal(match["value"])
            if value and value not in ALLOWED_PASSWORDS:
                found.append(("password", match.group(0)[:80]))
    return found


def test_no_secrets_in_the_repository():
    problems = []
    files = _tracked_files()
    assert "config/settings/base.py" in files
    for name in files:
        path = REPO / name
        if name == THIS_FILE or not path.is_file() or path.stat().st_size > 1_000_000:
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary
        text = data.decode("utf-8", "replace")
        problems += [
            (name, kind, excerpt)
            for kind, excerpt in findings(text, passwords=not name.startswith(TEST_FILES))
        ]
    assert problems == []


def test_no_env_file_with_real_values_is_tracked():
    assert [name for name in _tracked_files() if Path(name).name == ".env"] == []


@pytest.mark.parametrize(
    "planted",
    [
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEow...",
        "-----BEGIN OPENSSH PRIVATE KEY-----",
        "key = 'AKIAIOSFODNN7EXAMPLE'",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "token = 'ghp_" + "a" * 36 + "'",
        'SECRET_KEY = "k3j4h5g6f7d8s9a0qwertyuiop"',
        'SECRET_KEY = env("SECRET_KEY", default="k3j4h5g6f7d8s9a0qwertyuiop")',
        "SECRET_KEY=k3j4h5g6f7d8s9a0qwertyuiop",
        "    SECRET_KEY: k3j4h5g6f7d8s9a0qwertyuiop",
        'password = "hunter2hunter2"',
        "POSTGRES_PASSWORD=s3cr3t-prod",
        "DATABASE_URL=postgres://app:s3cr3t-prod@db.internal:5432/app",
        "      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-s3cr3t-prod}",
    ],
)
def test_the_scan_finds_planted_secrets(planted):
    assert findings(planted), planted


@pytest.mark.parametrize(
    "harmless",
    [
        'SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me")',
        "SECRET_KEY=change-me-to-a-long-random-string",
        'SECRET_KEY = env("SECRET_KEY")',
        "SECRET_KEY=secrets.token_urlsafe(64),",
        "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-economy}",
        "DATABASE_URL=postgres://economy:economy@postgres:5432/economy",
        "password = factory.django.Password('correct horse battery staple')",
        "player_password = None",
    ],
)
def test_the_scan_allows_placeholders_and_code(harmless):
    assert findings(harmless) == []

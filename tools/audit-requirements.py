"""Check requirements.txt, as pip resolves it, against PyPI's vulnerabilities.

``tox -e pip-audit`` is the first choice. This script (``tox -e audit``) is for
where pip-audit cannot check anything: it asks PyPI for each release's own JSON
(``/pypi/<name>/<version>/json``), and some PyPI mirrors and proxies answer
that with 404 while they do serve a project's JSON (``/pypi/<name>/json``).
The project's JSON lists the vulnerabilities of the latest release only, so a
package held below its latest release is checked through the release's JSON
when that is served, and is otherwise reported as not checked, never as clean.

Exit status: 0 when every package was checked and none has an open
vulnerability, 1 when one is vulnerable or could not be checked, 2 when pip
could not resolve the requirements or PyPI could not be reached.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
import concurrent.futures
import dataclasses
import json
import re
import subprocess
import sys
import urllib.error
import urllib.request

DEFAULT_JSON_URL = "https://pypi.org/pypi"
# pip config keys naming the index, the most specific first.
INDEX_URL_KEYS = (":env:.index-url", "install.index-url", "global.index-url")


class AuditError(Exception):
    """The audit could not be made at all (exit status 2)."""


@dataclasses.dataclass(frozen=True)
class Result:
    """What the audit learnt about one resolved package."""

    name: str
    version: str
    checked: bool
    how: str
    vulnerabilities: tuple[dict, ...] = ()


def canonical_name(name: str) -> str:
    """The PEP 503 form of a project name, as PyPI's URLs use it."""
    return re.sub(r"[-_.]+", "-", name).lower()


def json_url_from_pip_config(config_list: str) -> str:
    """PyPI's JSON API next to the index pip is configured with.

    ``config_list`` is the output of ``pip config list``. An index whose URL
    ends in ``/simple`` is taken to serve the JSON API at ``/pypi`` beside
    it, as pypi.org does; any other index (a file:// tree, a mirror of
    another shape) says nothing about where the JSON is, so pypi.org is used.
    """
    settings = {}
    for line in config_list.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            settings[key.strip()] = value.strip().strip("'\"")
    for key in INDEX_URL_KEYS:
        if settings.get(key):
            match = re.fullmatch(r"(https?://.+)/simple/?", settings[key])
            return match.group(1) + "/pypi" if match else DEFAULT_JSON_URL
    return DEFAULT_JSON_URL


def resolve(requirements: str) -> list[dict]:
    """The packages pip would install for ``requirements``, from its report."""
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--dry-run",
        "--ignore-installed",
        "--quiet",
        "--report",
        "-",
        "-r",
        requirements,
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1:] or ["no message"]
        raise AuditError(
            "pip could not resolve %s: %s" % (requirements, last[0])
        )
    return json.loads(done.stdout)["install"]


class PyPIJSON:
    """Fetches documents of PyPI's JSON API; None for a 404."""

    def __init__(self, base_url: str, timeout: float = 30):
        if not base_url.startswith(("https://", "http://")):
            raise AuditError("not an http(s) URL: %s" % base_url)
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def __call__(self, path: str) -> dict | None:
        url = "%s/%s" % (self.base_url, path)
        try:
            # The scheme is checked in __init__.
            with urllib.request.urlopen(url, timeout=self.timeout) as answer:  # noqa: S310
                return json.load(answer)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise AuditError(
                "PyPI answered %s to %s" % (error.code, url)
            ) from error
        except json.JSONDecodeError as error:
            raise AuditError(
                "PyPI gave no JSON at %s: %s" % (url, error)
            ) from error
        except OSError as error:
            raise AuditError(
                "cannot reach PyPI at %s: %s" % (url, error)
            ) from error


def audit_package(
    name: str, version: str, fetch: Callable[[str], dict | None]
) -> Result:
    """Check one release against the vulnerabilities PyPI lists for it."""
    project = canonical_name(name)
    document = fetch("%s/json" % project)
    if document is None:
        return Result(name, version, False, "not found on PyPI")
    latest = document["info"]["version"]
    if version == latest:
        how = "latest release"
    else:
        how = "release JSON (latest is %s)" % latest
        document = fetch("%s/%s/json" % (project, version))
        if document is None:
            return Result(
                name,
                version,
                False,
                "not the latest release (%s) and PyPI does not serve "
                "the JSON of %s" % (latest, version),
            )
    if "vulnerabilities" not in document:
        return Result(name, version, False, "PyPI gave no vulnerability data")
    open_ones = tuple(
        v for v in document["vulnerabilities"] if not v.get("withdrawn")
    )
    return Result(name, version, True, how, open_ones)


def audit(
    packages: list[dict], fetch: Callable[[str], dict | None], workers: int = 8
) -> list[Result]:
    """Audit each package of a pip report, in the report's order."""

    def one(package: dict) -> Result:
        name = package["metadata"]["name"]
        version = package["metadata"]["version"]
        if package.get("is_direct"):
            return Result(name, version, False, "installed from a direct URL")
        return audit_package(name, version, fetch)

    pool = concurrent.futures.ThreadPoolExecutor(workers)
    try:
        return list(pool.map(one, packages))
    finally:
        pool.shutdown(cancel_futures=True)


def report(results: list[Result]) -> tuple[list[str], int]:
    """The lines to print and the exit status."""
    lines = []
    for result in results:
        label = "%s %s" % (result.name, result.version)
        if not result.checked:
            lines.append("NOT CHECKED  %s: %s" % (label, result.how))
        elif not result.vulnerabilities:
            lines.append("ok           %s (%s)" % (label, result.how))
        for vulnerability in result.vulnerabilities:
            lines.append(
                "VULNERABLE   %s: %s (aliases: %s) fixed in: %s %s"
                % (
                    label,
                    vulnerability.get("id"),
                    ", ".join(vulnerability.get("aliases") or []) or "none",
                    ", ".join(vulnerability.get("fixed_in") or [])
                    or "no release",
                    vulnerability.get("link") or "",
                )
            )
    checked = sum(r.checked for r in results)
    vulnerable = sum(bool(r.vulnerabilities) for r in results)
    unchecked = len(results) - checked
    lines.append(
        "%d packages checked, %d vulnerable, %d not checked"
        % (checked, vulnerable, unchecked)
    )
    return lines, 1 if vulnerable or unchecked else 0


def pip_config_list() -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"],
        capture_output=True,
        text=True,
    )
    return done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("requirements", help="the requirements file")
    parser.add_argument(
        "--json-url",
        help="base URL of PyPI's JSON API (default: beside pip's configured "
        "index when it ends in /simple, else %s)" % DEFAULT_JSON_URL,
    )
    args = parser.parse_args(argv)
    fetch = PyPIJSON(
        args.json_url or json_url_from_pip_config(pip_config_list())
    )
    try:
        results = audit(resolve(args.requirements), fetch)
    except AuditError as error:
        print("error: %s" % error, file=sys.stderr)
        return 2
    lines, status = report(results)
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    sys.exit(main())

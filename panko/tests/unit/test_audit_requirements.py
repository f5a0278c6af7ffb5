"""tools/audit-requirements.py decides as documented, with a fake PyPI."""

from __future__ import annotations

import importlib.util
import io
import pathlib
import sys
import urllib.error

import pytest

SCRIPT = pathlib.Path(__file__).parents[3] / "tools" / "audit-requirements.py"
spec = importlib.util.spec_from_file_location("audit_requirements", SCRIPT)
audit_requirements = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = audit_requirements  # for its dataclass
spec.loader.exec_module(audit_requirements)

VULNERABILITY = {
    "id": "PYSEC-2099-1",
    "aliases": ["CVE-2099-0001", "GHSA-aaaa-bbbb-cccc"],
    "fixed_in": ["2.0.1", "1.9.9"],
    "link": "https://osv.dev/vulnerability/PYSEC-2099-1",
    "withdrawn": None,
}


def project(latest, vulnerabilities):
    return {"info": {"version": latest}, "vulnerabilities": vulnerabilities}


def fake_pypi(documents):
    """A fetcher answering from ``documents``; the paths it was asked for."""
    asked = []

    def fetch(path):
        asked.append(path)
        return documents.get(path)

    return fetch, asked


def package(name, version, **extra):
    return {"metadata": {"name": name, "version": version}, **extra}


def test_latest_release_clean():
    fetch, asked = fake_pypi({"oslo-config/json": project("10.7.0", [])})
    result = audit_requirements.audit_package("oslo.config", "10.7.0", fetch)
    assert (result.checked, result.vulnerabilities) == (True, ())
    assert asked == ["oslo-config/json"]
    lines, status = audit_requirements.report([result])
    assert lines == [
        "ok           oslo.config 10.7.0 (latest release)",
        "1 packages checked, 0 vulnerable, 0 not checked",
    ]
    assert status == 0


def test_latest_release_vulnerable():
    fetch, _ = fake_pypi({"web/json": project("2.0.0", [VULNERABILITY])})
    result = audit_requirements.audit_package("web", "2.0.0", fetch)
    assert result.checked and result.vulnerabilities == (VULNERABILITY,)
    lines, status = audit_requirements.report([result])
    assert lines == [
        "VULNERABLE   web 2.0.0: PYSEC-2099-1 (aliases: CVE-2099-0001, "
        "GHSA-aaaa-bbbb-cccc) fixed in: 2.0.1, 1.9.9 "
        "https://osv.dev/vulnerability/PYSEC-2099-1",
        "1 packages checked, 1 vulnerable, 0 not checked",
    ]
    assert status == 1


def test_withdrawn_vulnerability_is_not_open():
    withdrawn = dict(VULNERABILITY, withdrawn="2099-02-01T00:00:00Z")
    fetch, _ = fake_pypi({"web/json": project("2.0.0", [withdrawn])})
    result = audit_requirements.audit_package("web", "2.0.0", fetch)
    assert (result.checked, result.vulnerabilities) == (True, ())


def test_held_back_release_checked_through_its_own_json():
    fetch, asked = fake_pypi(
        {
            "web/json": project("3.0.0", []),
            "web/2.0.0/json": project("3.0.0", [VULNERABILITY]),
        }
    )
    result = audit_requirements.audit_package("web", "2.0.0", fetch)
    assert result.checked and result.vulnerabilities == (VULNERABILITY,)
    assert result.how == "release JSON (latest is 3.0.0)"
    assert asked == ["web/json", "web/2.0.0/json"]


def test_held_back_release_without_its_json_is_not_checked():
    # The latest release is clean, which says nothing about 2.0.0.
    fetch, _ = fake_pypi({"web/json": project("3.0.0", [])})
    result = audit_requirements.audit_package("web", "2.0.0", fetch)
    assert not result.checked
    lines, status = audit_requirements.report([result])
    assert lines == [
        "NOT CHECKED  web 2.0.0: not the latest release (3.0.0) and PyPI "
        "does not serve the JSON of 2.0.0",
        "0 packages checked, 0 vulnerable, 1 not checked",
    ]
    assert status == 1


def test_project_not_on_pypi_is_not_checked():
    fetch, _ = fake_pypi({})
    result = audit_requirements.audit_package("private", "1.0", fetch)
    assert (result.checked, result.how) == (False, "not found on PyPI")


def test_json_without_vulnerability_data_is_not_checked():
    fetch, _ = fake_pypi({"web/json": {"info": {"version": "2.0.0"}}})
    result = audit_requirements.audit_package("web", "2.0.0", fetch)
    assert (result.checked, result.how) == (
        False,
        "PyPI gave no vulnerability data",
    )


def test_direct_url_package_is_not_checked_nor_asked_for():
    fetch, asked = fake_pypi({})
    [result] = audit_requirements.audit(
        [package("local", "0.1", is_direct=True)], fetch
    )
    assert (result.checked, asked) == (False, [])


def test_summary_counts_each_outcome_once():
    fetch, _ = fake_pypi(
        {
            "a/json": project("1.0", []),
            "b/json": project("1.0", [VULNERABILITY, VULNERABILITY]),
            "c/json": project("2.0", []),
        }
    )
    packages = [package("a", "1.0"), package("b", "1.0"), package("c", "1.0")]
    results = audit_requirements.audit(packages, fetch)
    assert [r.name for r in results] == ["a", "b", "c"]
    lines, status = audit_requirements.report(results)
    assert lines[-1] == "2 packages checked, 1 vulnerable, 1 not checked"
    assert status == 1


def test_unreachable_pypi_stops_the_audit(monkeypatch, capsys):
    def unreachable(path):
        raise audit_requirements.AuditError("cannot reach PyPI at x: no DNS")

    monkeypatch.setattr(
        audit_requirements, "PyPIJSON", lambda url: unreachable
    )
    monkeypatch.setattr(
        audit_requirements, "resolve", lambda requirements: [package("a", "1")]
    )
    status = audit_requirements.main(["--json-url", "https://x/pypi", "r.txt"])
    assert status == 2
    assert capsys.readouterr().err == "error: cannot reach PyPI at x: no DNS\n"


@pytest.mark.parametrize(
    "error, expected",
    [
        (
            urllib.error.HTTPError("u", 404, "Not Found", {}, io.BytesIO()),
            None,
        ),
        (
            urllib.error.HTTPError("u", 503, "Unavailable", {}, io.BytesIO()),
            "PyPI answered 503 to https://x/pypi/a/json",
        ),
        (
            urllib.error.URLError("no DNS"),
            "cannot reach PyPI at https://x/pypi/a/json: "
            "<urlopen error no DNS>",
        ),
    ],
)
def test_fetcher_maps_answers(monkeypatch, error, expected):
    def urlopen(url, timeout):
        raise error

    monkeypatch.setattr(audit_requirements.urllib.request, "urlopen", urlopen)
    fetch = audit_requirements.PyPIJSON("https://x/pypi/")
    if expected is None:
        assert fetch("a/json") is None
    else:
        with pytest.raises(audit_requirements.AuditError) as raised:
            fetch("a/json")
        assert str(raised.value) == expected


@pytest.mark.parametrize(
    "config_list, expected",
    [
        ("", "https://pypi.org/pypi"),
        (
            "global.index-url='https://mirror.example/simple/'",
            "https://mirror.example/pypi",
        ),
        (
            "global.index-url='https://a.example/simple'\n"
            ":env:.index-url='https://b.example/root/simple'",
            "https://b.example/root/pypi",
        ),
        (
            "global.index-url='file:///opt/pypi/simple'",
            "https://pypi.org/pypi",
        ),
        (
            "global.extra-index-url='https://c.example/simple'",
            "https://pypi.org/pypi",
        ),
    ],
)
def test_json_url_follows_pip_index(config_list, expected):
    assert audit_requirements.json_url_from_pip_config(config_list) == expected


def test_fetcher_refuses_other_schemes():
    with pytest.raises(audit_requirements.AuditError) as raised:
        audit_requirements.PyPIJSON("file:///opt/pypi")
    assert str(raised.value) == "not an http(s) URL: file:///opt/pypi"

"""panko-status upgrade check: each check's answers and the command."""

from __future__ import annotations

import json

from oslo_upgradecheck import upgradecheck
import pytest

from panko import service
from panko import storage
from panko.cmd import status
from panko.conf import defaults

Code = upgradecheck.Code


def make_conf(tmp_path, text=""):
    """A ConfigOpts read from a panko.conf in ``tmp_path`` holding
    ``text``; ``[database] connection`` defaults to an SQLite file there."""
    if "[database]" not in text:
        text += "\n[database]\nconnection = sqlite:///%s\n" % (
            tmp_path / "panko.sqlite"
        )
    path = tmp_path / "panko.conf"
    path.write_text(text)
    conf = service.new_conf()
    defaults.set_lib_defaults(conf)
    conf(["--config-file", str(path)], project="panko")
    return conf


def run(conf, name):
    checks = status.Checks(conf)
    for check_name, func in checks._upgrade_checks:
        if check_name == name:
            return func(checks)
    raise AssertionError("no check named %s" % name)


SCHEMA = "Database schema at head"
POLICY = "Policy file format"
DEPRECATED = "Deprecated options in use"


class TestSchema:
    def test_current_schema_succeeds(self, tmp_path):
        conf = make_conf(tmp_path)
        connection = storage.get_connection(conf)
        connection.upgrade()
        connection.close()
        result = run(conf, SCHEMA)
        assert result.code == Code.SUCCESS
        assert "panko.sqlite is current" in result.details

    def test_empty_database_fails_and_names_dbsync(self, tmp_path):
        result = run(make_conf(tmp_path), SCHEMA)
        assert result.code == Code.FAILURE
        assert "Run panko-dbsync" in result.details

    def test_unreachable_database_fails_without_the_password(self, tmp_path):
        conf = make_conf(
            tmp_path,
            "[database]\n"
            "connection = postgresql://panko:s3cret@127.0.0.1:1/panko\n",
        )
        result = run(conf, SCHEMA)
        assert result.code == Code.FAILURE
        assert result.details.startswith(
            "Cannot read the schema of the database "
            "postgresql://panko:***@127.0.0.1:1/panko ("
        )
        assert "s3cret" not in result.details

    def test_removed_backend_fails_naming_the_supported_ones(self, tmp_path):
        conf = make_conf(
            tmp_path, "[database]\nconnection = es://localhost:9200\n"
        )
        result = run(conf, SCHEMA)
        assert result.code == Code.FAILURE
        assert "Elasticsearch backend of Panko 10" in result.details
        assert "postgresql, mysql, sqlite" in result.details


class TestPolicyFile:
    def test_yaml_file_succeeds(self, tmp_path):
        (tmp_path / "policy.yaml").write_text('"event:get": "rule:admin"\n')
        result = run(make_conf(tmp_path), POLICY)
        assert result.code == Code.SUCCESS
        assert result.details == "The policy file %s is YAML." % (
            tmp_path / "policy.yaml"
        )

    def test_no_file_succeeds(self, tmp_path):
        missing = tmp_path / "nowhere" / "policy.yaml"
        conf = make_conf(
            tmp_path, "[oslo_policy]\npolicy_file = %s\n" % missing
        )
        result = run(conf, POLICY)
        assert result.code == Code.SUCCESS
        assert "the rules in code apply" in result.details

    def test_json_file_warns_with_the_conversion_command(self, tmp_path):
        json_file = tmp_path / "policy.json"
        json_file.write_text('{"event:get": "rule:admin"}')
        conf = make_conf(
            tmp_path, "[oslo_policy]\npolicy_file = %s\n" % json_file
        )
        result = run(conf, POLICY)
        assert result.code == Code.WARNING
        assert (
            "oslopolicy-convert-json-to-yaml --namespace panko "
            "--policy-file %s --output-file %s"
            % (json_file, tmp_path / "policy.yaml")
        ) in result.details
        assert (
            "[oslo_policy] policy_file = %s." % (tmp_path / "policy.yaml")
            in result.details
        )

    def test_json_file_left_beside_the_configuration_warns(self, tmp_path):
        # Panko 10 read policy.json; panko's default is policy.yaml.
        (tmp_path / "policy.json").write_text('{"event:get": "rule:admin"}')
        result = run(make_conf(tmp_path), POLICY)
        assert result.code == Code.WARNING
        assert result.details.startswith(
            "%s is not read: [oslo_policy] policy_file is policy.yaml"
            % (tmp_path / "policy.json")
        )
        assert "oslopolicy-convert-json-to-yaml" in result.details


class TestDeprecatedOptions:
    def test_none_set_succeeds(self, tmp_path):
        result = run(make_conf(tmp_path), DEPRECATED)
        assert result.code == Code.SUCCESS
        assert result.details == "No deprecated option is set."

    @pytest.mark.parametrize(
        "group, line, expected",
        [
            (
                "database",
                "event_connection = sqlite://",
                "[database] event_connection (set in %s) is deprecated: "
                "use [database] connection instead.",
            ),
            (
                "storage",
                "max_retries = 3",
                "[storage] max_retries (set in %s) is deprecated: "
                "use [database] max_retries instead.",
            ),
            (
                "storage",
                "retry_interval = 3",
                "[storage] retry_interval (set in %s) is deprecated: "
                "use [database] retry_interval instead.",
            ),
            (
                "database",
                "es_index_name = events",
                "[database] es_index_name (set in %s) is deprecated: "
                "Ignored: panko has no Elasticsearch backend (see "
                "doc/source/admin/upgrade-from-panko.rst). Remove it.",
            ),
            (
                "database",
                "es_ssl_enabled = true",
                "[database] es_ssl_enabled (set in %s) is deprecated: "
                "Ignored: panko has no Elasticsearch backend (see "
                "doc/source/admin/upgrade-from-panko.rst). Remove it.",
            ),
        ],
    )
    def test_each_option_warns_with_its_replacement(
        self, tmp_path, group, line, expected
    ):
        text = "[%s]\n%s\n" % (group, line)
        if group == "database":
            text += "connection = sqlite://\n"
        result = run(make_conf(tmp_path, text), DEPRECATED)
        assert result.code == Code.WARNING
        assert result.details == expected % (tmp_path / "panko.conf")

    def test_option_from_the_environment_warns(self, tmp_path, monkeypatch):
        monkeypatch.setenv("OS_STORAGE__MAX_RETRIES", "4")
        result = run(make_conf(tmp_path), DEPRECATED)
        assert result.code == Code.WARNING
        assert result.details == (
            "[storage] max_retries (set in OS_STORAGE__MAX_RETRIES) is "
            "deprecated: use [database] max_retries instead."
        )


DROPPED = "Options the libraries dropped"


class TestDroppedLibraryOptions:
    def test_none_set_succeeds(self, tmp_path):
        result = run(make_conf(tmp_path), DROPPED)
        assert result.code == Code.SUCCESS

    @pytest.mark.parametrize(
        "text, expected",
        [
            (
                "[keystone_authtoken]\nauth_uri = http://keystone:5000\n",
                "[keystone_authtoken] auth_uri (set in %s) is no longer read "
                "by the libraries panko uses: set www_authenticate_uri "
                "instead.",
            ),
            (
                "[DEFAULT]\nwatch_log_file = true\n",
                "[DEFAULT] watch_log_file (set in %s) is no longer read by "
                "the libraries panko uses: reopen logs with the log rotator.",
            ),
        ],
    )
    def test_dropped_option_warns_with_advice(self, tmp_path, text, expected):
        result = run(make_conf(tmp_path, text), DROPPED)
        assert result.code == Code.WARNING
        assert result.details == expected % (tmp_path / "panko.conf")


class TestCommand:
    def test_exit_status_is_the_worst_result(self, tmp_path, capsys):
        connection = storage.get_connection(
            make_conf(tmp_path, "[storage]\nmax_retries = 3\n")
        )
        connection.upgrade()
        connection.close()
        argv = ["--config-file", str(tmp_path / "panko.conf")]
        assert status.main(argv + ["upgrade", "check", "--json"]) == 1
        output = json.loads(capsys.readouterr().out)
        assert [(c["check"], c["result"]) for c in output["checks"]] == [
            (SCHEMA, Code.SUCCESS),
            (POLICY, Code.SUCCESS),
            (DEPRECATED, Code.WARNING),
            (DROPPED, Code.SUCCESS),
        ]

    def test_failure_exits_2_with_a_table(self, tmp_path, capsys):
        make_conf(tmp_path)
        argv = ["--config-file", str(tmp_path / "panko.conf")]
        assert status.main(argv + ["upgrade", "check"]) == 2
        out = capsys.readouterr().out
        assert "Check: Database schema at head" in out
        assert "Result: Failure" in out

    def test_config_file_from_the_environment(
        self, tmp_path, monkeypatch, capsys
    ):
        make_conf(tmp_path, "[database]\nconnection = es://localhost\n")
        monkeypatch.setenv("PANKO_CONFIG_FILE", str(tmp_path / "panko.conf"))
        assert status.main(["upgrade", "check", "--json"]) == 2
        output = json.loads(capsys.readouterr().out)
        assert "Elasticsearch" in output["checks"][0]["details"]

    def test_missing_config_file_is_a_clean_error(self, tmp_path, capsys):
        argv = ["--config-file", str(tmp_path / "absent.conf")]
        assert status.main(argv + ["upgrade", "check"]) == 2
        assert capsys.readouterr().err.startswith(
            "ERROR: invalid configuration:"
        )


def test_hide_password():
    assert (
        status.hide_password("mysql+pymysql://u:p@db:3306/panko?x=1")
        == "mysql+pymysql://u:***@db:3306/panko?x=1"
    )
    assert status.hide_password("sqlite:////x/y") == "sqlite:////x/y"

# shellcheck shell=bash
# Stand-ins for the devstack functions devstack/plugin.sh calls, for
# panko/tests/unit/test_devstack.py. Each one appends its name and
# arguments to $STUB_LOG, one call a line; those whose effect the plugin
# relies on (iniset, write_uwsgi_config, sudo, crontab, is_service_enabled)
# also do it, on files under the test's folders.
#
# The test sets STUB_LOG, STUB_PYTHON, STUB_BIN, STUB_ROOT and the usual
# devstack variables (DEST, STACK_USER, SERVICE_HOST, ...).

function _stub_log {
    local IFS=" "
    printf '%s\n' "$*" >>"$STUB_LOG"
}

function is_service_enabled {
    local service
    for service in "$@"; do
        if [[ ",$ENABLED_SERVICES," == *",$service,"* ]]; then
            return 0
        fi
    done
    return 1
}

function enable_service {
    local service
    for service in "$@"; do
        is_service_enabled "$service" || ENABLED_SERVICES+=",$service"
    done
}

function echo_summary { _stub_log "echo_summary $*"; }

function die {
    _stub_log "die $*"
    exit 1
}

function get_python_exec_prefix { echo "$STUB_BIN"; }

function stack_install_service {
    _stub_log "stack_install_service $*"
    "install_$1"
}

function setup_develop { _stub_log "setup_develop $*"; }
function pip_install { _stub_log "pip_install $*"; }
function install_apache_wsgi { _stub_log "install_apache_wsgi $*"; }
function apache_site_config_for { echo "$STUB_ROOT/apache/$1.conf"; }
function enable_apache_site { _stub_log "enable_apache_site $*"; }
function disable_apache_site { _stub_log "disable_apache_site $*"; }
function restart_apache_server { _stub_log "restart_apache_server $*"; }
function create_service_user { _stub_log "create_service_user $*"; }
function get_or_create_service { _stub_log "get_or_create_service $*"; }
function get_or_create_endpoint { _stub_log "get_or_create_endpoint $*"; }
function recreate_database { _stub_log "recreate_database $*"; }
function wait_for_service { _stub_log "wait_for_service $*"; }

function database_connection_url {
    if [[ "$DATABASE_TYPE" == "postgresql" ]]; then
        echo "postgresql://root:secret@127.0.0.1/$1?client_encoding=utf8"
    else
        echo "mysql+pymysql://root:secret@127.0.0.1/$1?charset=utf8"
    fi
}

# iniset file section option value: sets it, as devstack's does.
function iniset {
    _stub_log "iniset $*"
    "$STUB_PYTHON" - "$@" <<'EOF'
import configparser
import sys

path, section, option, value = sys.argv[1:5]
parser = configparser.RawConfigParser()
parser.optionxform = str
parser.read(path)
if section != "DEFAULT" and not parser.has_section(section):
    parser.add_section(section)
parser.set(section, option, value)
with open(path, "w") as f:
    parser.write(f)
EOF
}

function iniset_rpc_backend {
    _stub_log "iniset_rpc_backend $*"
    iniset "$2" DEFAULT transport_url "rabbit://stackrabbit:secret@127.0.0.1:5672/"
}

function configure_keystone_authtoken_middleware {
    _stub_log "configure_keystone_authtoken_middleware $*"
    iniset "$1" keystone_authtoken auth_type password
    iniset "$1" keystone_authtoken username "$2"
}

# write_uwsgi_config file wsgi url http name: the parts the plugin reads.
function write_uwsgi_config {
    _stub_log "write_uwsgi_config $*"
    rm -f "$1"
    iniset "$1" uwsgi wsgi-file "$2"
    iniset "$1" uwsgi http "$4"
}

function remove_uwsgi_config {
    _stub_log "remove_uwsgi_config $*"
    rm -f "$1"
}

function run_process {
    if is_service_enabled "$1"; then
        _stub_log "run_process $*"
    fi
}

function stop_process {
    if is_service_enabled "$1"; then
        _stub_log "stop_process $*"
    fi
}

function sudo {
    _stub_log "sudo $*"
    "$@"
}

function stub_systemctl { _stub_log "systemctl $*"; }

# crontab -l prints the table; crontab - replaces it once it has read
# the new one whole, as the real one does.
function crontab {
    local table
    if [[ "$1" == "-l" ]]; then
        [[ -f "$STUB_ROOT/crontab" ]] || return 1
        cat "$STUB_ROOT/crontab"
    else
        _stub_log "crontab $*"
        table=$(cat)
        printf '%s\n' "$table" >"$STUB_ROOT/crontab"
    fi
}

# shellcheck shell=bash
# devstack plugin of panko: installs it from this repository, creates its
# database and Keystone service, serves the API, points Ceilometer at it
# and schedules the expirer. Enable it in local.conf after Ceilometer:
#
#   [[local|localrc]]
#   enable_plugin ceilometer https://opendev.org/openstack/ceilometer
#   enable_plugin panko https://opendev.org/openstack/panko
#
# devstack/settings holds the variables; devstack/README.rst explains them.

_XTRACE_PANKO=$(set +o | grep xtrace)
set -o xtrace

PANKO_MARKER="# panko devstack"

function panko_service_url {
    echo "$PANKO_SERVICE_PROTOCOL://$PANKO_SERVICE_HOST:$PANKO_SERVICE_PORT"
}

function _panko_bin_dir {
    get_python_exec_prefix
}

# The publisher Ceilometer's event pipeline gets for PANKO_INGEST.
function _panko_publisher_url {
    case "$PANKO_INGEST" in
        publisher) echo "panko://" ;;
        http) echo "http://127.0.0.1:$PANKO_INGEST_PORT/v2/events?timeout=5&max_retries=2" ;;
        listener) echo "notifier://" ;;
        *) die $LINENO "PANKO_INGEST must be publisher, http or listener, not '$PANKO_INGEST'" ;;
    esac
}

# The connection URL of the database panko uses.
function _panko_database_url {
    case "$PANKO_BACKEND" in
        mysql|postgresql)
            # devstack asks MySQL for utf8 (3 bytes a character); panko's
            # tables are utf8mb4, so ask the connection for the same.
            database_connection_url panko | sed -e 's/charset=utf8$/charset=utf8mb4/' -e 's/charset=utf8&/charset=utf8mb4\&/'
            ;;
        mongodb) echo "$PANKO_MONGODB_URL" ;;
        *) die $LINENO "PANKO_BACKEND must be mysql, postgresql or mongodb, not '$PANKO_BACKEND'" ;;
    esac
}

# install_panko - the code from this repository, and the servers it needs
function install_panko {
    case "$PANKO_BACKEND" in
        mongodb) setup_develop "$PANKO_DIR" mongodb ;;
        mysql|postgresql) setup_develop "$PANKO_DIR" ;;
        *) die $LINENO "PANKO_BACKEND must be mysql, postgresql or mongodb, not '$PANKO_BACKEND'" ;;
    esac
    sudo install -d -o "$STACK_USER" -m 755 "$PANKO_CONF_DIR"
    case "$PANKO_DEPLOY" in
        uwsgi)
            if ! command -v uwsgi >/dev/null; then
                pip_install uwsgi
            fi
            ;;
        mod_wsgi) install_apache_wsgi ;;
        *) die $LINENO "PANKO_DEPLOY must be uwsgi or mod_wsgi, not '$PANKO_DEPLOY'" ;;
    esac
}

# _panko_configure_uwsgi - the uwsgi files of the API (and of the ingest
# API that Ceilometer's http publisher posts to)
function _panko_configure_uwsgi {
    write_uwsgi_config "$PANKO_UWSGI_CONF" "$PANKO_WSGI_FILE" "" \
        "$PANKO_SERVICE_HOST:$PANKO_SERVICE_PORT" panko-api
    if is_service_enabled panko-ingest; then
        write_uwsgi_config "$PANKO_INGEST_UWSGI_CONF" "$PANKO_WSGI_FILE" "" \
            "127.0.0.1:$PANKO_INGEST_PORT" panko-ingest
        # Only Ceilometer, on this host, posts here: no Keystone token.
        iniset "$PANKO_INGEST_UWSGI_CONF" uwsgi env OS_API__AUTH_MODE=noauth
    fi
}

# _panko_configure_mod_wsgi - an Apache site for the API
function _panko_configure_mod_wsgi {
    local site venv=""
    site=$(apache_site_config_for panko-api)
    if [[ -f "$(dirname "$(_panko_bin_dir)")/pyvenv.cfg" ]]; then
        venv="python-home=$(dirname "$(_panko_bin_dir)")"
    fi
    sudo cp "$PANKO_DIR/devstack/apache-panko.template" "$site"
    sudo sed -i -e "
        s|%PORT%|$PANKO_SERVICE_PORT|g;
        s|%USER%|$STACK_USER|g;
        s|%VIRTUALENV%|$venv|g;
        s|%WSGIFILE%|$PANKO_WSGI_FILE|g;
        s|%WSGIDIR%|$(dirname "$PANKO_WSGI_FILE")|g;
        s|%APACHE_NAME%|$APACHE_NAME|g
    " "$site"
}

# _panko_configure_ceilometer - publish Ceilometer's events to panko
function _panko_configure_ceilometer {
    local pipeline=$CEILOMETER_CONF_DIR/event_pipeline.yaml url
    if ! is_service_enabled ceilometer-anotification; then
        echo_summary "Ceilometer's notification agent is not enabled: events reach panko only through its API"
        return
    fi
    if [[ ! -f "$pipeline" ]]; then
        die $LINENO "$pipeline is missing: list enable_plugin panko after enable_plugin ceilometer in local.conf"
    fi
    url=$(_panko_publisher_url)
    _panko_unconfigure_ceilometer
    if grep -q "^ *- $url *\$" "$pipeline"; then
        # Ceilometer publishes there already (its stock notifier://).
        return
    fi
    # "&" stands for the matched text in sed's replacement: escape it.
    sed -i -E "s|^( *)publishers:[[:space:]]*\$|&\n\1    - ${url//&/\\&} $PANKO_MARKER|" "$pipeline"
    if ! grep -q "$PANKO_MARKER" "$pipeline"; then
        die $LINENO "No publishers: list in $pipeline to add $url to"
    fi
}

function _panko_unconfigure_ceilometer {
    local pipeline=$CEILOMETER_CONF_DIR/event_pipeline.yaml
    if [[ -f "$pipeline" ]]; then
        sed -i "/$PANKO_MARKER\$/d" "$pipeline"
    fi
}

# configure_panko - panko.conf, the API server, Keystone and Ceilometer
function configure_panko {
    sudo install -d -o "$STACK_USER" -m 755 "$PANKO_CONF_DIR"
    rm -f "$PANKO_CONF"
    iniset "$PANKO_CONF" DEFAULT debug "$ENABLE_DEBUG_LOG_LEVEL"
    iniset "$PANKO_CONF" database connection "$(_panko_database_url)"
    iniset "$PANKO_CONF" database event_time_to_live "$PANKO_EVENT_TIME_TO_LIVE"
    iniset "$PANKO_CONF" api auth_mode keystone
    configure_keystone_authtoken_middleware "$PANKO_CONF" panko
    if is_service_enabled panko-listener; then
        iniset_rpc_backend panko "$PANKO_CONF"
    fi

    case "$PANKO_DEPLOY" in
        uwsgi) _panko_configure_uwsgi ;;
        mod_wsgi) _panko_configure_mod_wsgi ;;
    esac

    _panko_create_accounts
    _panko_configure_ceilometer
}

# _panko_create_accounts - the Keystone user, service and endpoints
function _panko_create_accounts {
    local url
    url=$(panko_service_url)
    create_service_user panko
    get_or_create_service panko event "Event storage and query (panko)"
    get_or_create_endpoint event "$REGION_NAME" "$url" "$url" "$url"
}

# init_panko - an empty database with panko's schema
function init_panko {
    sudo install -d -o "$STACK_USER" "$PANKO_AUTH_CACHE_DIR"
    rm -f "$PANKO_AUTH_CACHE_DIR"/*
    case "$PANKO_BACKEND" in
        mysql|postgresql) recreate_database panko ;;
        mongodb) _panko_drop_mongodb ;;
    esac
    "$(_panko_bin_dir)/panko-dbsync" --config-file "$PANKO_CONF"
}

function _panko_drop_mongodb {
    "$(_panko_bin_dir)/python" -c 'import sys, pymongo
client = pymongo.MongoClient(sys.argv[1])
client.drop_database(client.get_default_database().name)' "$PANKO_MONGODB_URL"
}

# _panko_schedule_expirer - run panko-expirer regularly
function _panko_schedule_expirer {
    local command
    command="$(_panko_bin_dir)/panko-expirer --config-file $PANKO_CONF"
    case "$PANKO_EXPIRER" in
        systemd)
            sed -e "s|^ExecStart=.*|ExecStart=$command|" \
                -e "s|^User=.*|User=$STACK_USER|" \
                -e "s|^Group=.*|Group=$(id -gn "$STACK_USER")|" \
                -e "s|/etc/panko/panko.conf|$PANKO_CONF|g" \
                "$PANKO_DIR/etc/systemd/panko-expirer.service" \
                | sudo tee "$SYSTEMD_DIR/panko-expirer.service" >/dev/null
            sed -e "s|^OnCalendar=.*|OnCalendar=$PANKO_EXPIRER_CALENDAR|" \
                "$PANKO_DIR/etc/systemd/panko-expirer.timer" \
                | sudo tee "$SYSTEMD_DIR/panko-expirer.timer" >/dev/null
            $SYSTEMCTL daemon-reload
            $SYSTEMCTL enable --now panko-expirer.timer
            ;;
        cron)
            { crontab -l 2>/dev/null | grep -v "$PANKO_MARKER\$" || true
              echo "$PANKO_EXPIRER_CRON $command >>${LOGDIR:-$DEST/logs}/panko-expirer.log 2>&1 $PANKO_MARKER"
            } | crontab -
            ;;
        none) ;;
        *) die $LINENO "PANKO_EXPIRER must be systemd, cron or none, not '$PANKO_EXPIRER'" ;;
    esac
}

function _panko_unschedule_expirer {
    if [[ -f "$SYSTEMD_DIR/panko-expirer.timer" ]]; then
        $SYSTEMCTL disable --now panko-expirer.timer
    fi
    if crontab -l 2>/dev/null | grep -q "$PANKO_MARKER\$"; then
        crontab -l | grep -v "$PANKO_MARKER\$" | crontab -
    fi
}

# start_panko - the API, the ingest API or the listener, the expirer
function start_panko {
    local bin
    bin=$(_panko_bin_dir)
    case "$PANKO_DEPLOY" in
        uwsgi)
            run_process panko-api "$(command -v uwsgi) --procname-prefix panko-api --ini $PANKO_UWSGI_CONF"
            run_process panko-ingest "$(command -v uwsgi) --procname-prefix panko-ingest --ini $PANKO_INGEST_UWSGI_CONF"
            ;;
        mod_wsgi)
            enable_apache_site panko-api
            restart_apache_server
            ;;
    esac
    run_process panko-listener "$bin/panko-listener --config-file $PANKO_CONF"
    wait_for_service 30 "$(panko_service_url)/healthcheck"
    _panko_schedule_expirer
}

# stop_panko - everything start_panko started
function stop_panko {
    _panko_unschedule_expirer
    case "$PANKO_DEPLOY" in
        uwsgi)
            stop_process panko-api
            stop_process panko-ingest
            ;;
        mod_wsgi)
            disable_apache_site panko-api
            restart_apache_server
            ;;
    esac
    stop_process panko-listener
}

# cleanup_panko - remove what stacking left: files, database, Ceilometer's
# publisher
function cleanup_panko {
    _panko_unconfigure_ceilometer
    sudo rm -f "$SYSTEMD_DIR/panko-expirer.service" "$SYSTEMD_DIR/panko-expirer.timer"
    if [[ "$PANKO_DEPLOY" == "mod_wsgi" ]]; then
        sudo rm -f "$(apache_site_config_for panko-api)"
    else
        remove_uwsgi_config "$PANKO_UWSGI_CONF" panko-api
        remove_uwsgi_config "$PANKO_INGEST_UWSGI_CONF" panko-ingest
    fi
    if [[ "$PANKO_BACKEND" == "mongodb" ]]; then
        _panko_drop_mongodb
    fi
    sudo rm -rf "$PANKO_CONF_DIR" "$PANKO_AUTH_CACHE_DIR"
}

if is_service_enabled panko-api; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing panko"
        stack_install_service panko
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        # The schema is made here, before Ceilometer's agents start (in
        # the extra phase) and publish to panko.
        echo_summary "Configuring panko and creating its database"
        configure_panko
        init_panko
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        echo_summary "Starting panko"
        start_panko
    fi

    if [[ "$1" == "unstack" ]]; then
        echo_summary "Stopping panko"
        stop_panko
    fi

    if [[ "$1" == "clean" ]]; then
        echo_summary "Cleaning panko"
        cleanup_panko
    fi
fi

$_XTRACE_PANKO

# -*- mode: python -*-
"""The panko API for mod_wsgi and uwsgi (``WSGIScriptAlias`` or
``wsgi-file``): the configuration is PANKO_CONFIG_FILE, else
/etc/panko/panko.conf."""

from panko.api import app

application = app.build_wsgi_app()

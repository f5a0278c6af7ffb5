"""Sphinx configuration of panko's API reference (os-api-ref).

Built apart from the documentation: ``tox -e api-ref``, or
``sphinx-build -W -b html api-ref/source api-ref/build/html``.
"""

extensions = [
    "os_api_ref",
    "openstackdocstheme",
]

project = "panko API reference"
copyright = "The panko developers"
master_doc = "index"
source_suffix = ".rst"
exclude_patterns = []
pygments_style = "native"

html_theme = "openstackdocs"
html_theme_options = {"sidebar_mode": "toc"}
openstackdocs_repo_name = "openstack/panko"
openstackdocs_bug_project = "panko"
openstackdocs_bug_tag = "api-ref"
openstackdocs_auto_name = False

"""Sphinx configuration of panko's release notes (reno)."""

extensions = [
    "openstackdocstheme",
    "reno.sphinxext",
]

project = "panko Release Notes"
copyright = "The panko developers"
master_doc = "index"
source_suffix = ".rst"
exclude_patterns = []
pygments_style = "native"

html_theme = "openstackdocs"
html_static_path = []
openstackdocs_repo_name = "openstack/panko"
openstackdocs_bug_project = "panko"
openstackdocs_bug_tag = "releasenotes"
openstackdocs_auto_name = False

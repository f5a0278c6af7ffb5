"""Sphinx configuration of panko's documentation."""

import os
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
# _static holds only the generated sample, so a fresh clone has no such
# folder; Sphinx checks html_static_path before the sample is written.
os.makedirs(os.path.join(HERE, "_static"), exist_ok=True)

# Loading oslo.messaging's options imports eventlet, which warns that it
# is deprecated: nothing the documentation can act on.
warnings.filterwarnings("ignore", message="\s*Eventlet is deprecated")

extensions = [
    "openstackdocstheme",
    "oslo_config.sphinxext",
    "oslo_config.sphinxconfiggen",
    "oslo_policy.sphinxext",
    "oslo_policy.sphinxpolicygen",
]

# oslo_config.sphinxconfiggen writes _static/panko.conf.sample from the
# generator file tox -e genconfig uses, so the sample always matches the
# code.
config_generator_config_file = os.path.join(
    ROOT, "etc", "panko", "panko-config-generator.conf"
)
sample_config_basename = "_static/panko"
# Likewise oslo_policy.sphinxpolicygen writes _static/panko.policy.yaml.sample
# from the policies declared in code.
policy_generator_config_file = os.path.join(
    ROOT, "etc", "panko", "panko-policy-generator.conf"
)
sample_policy_basename = "_static/panko"

project = "panko"
copyright = "The panko developers"
master_doc = "index"
source_suffix = ".rst"
exclude_patterns = ["_build"]
pygments_style = "native"

html_theme = "openstackdocs"
html_static_path = ["_static"]
openstackdocs_repo_name = "openstack/panko"
openstackdocs_bug_project = "panko"
openstackdocs_bug_tag = "doc"
openstackdocs_auto_name = False

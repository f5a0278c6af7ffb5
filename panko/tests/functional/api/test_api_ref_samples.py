"""The samples of the API reference (api-ref/source/samples) are the
real answers: each request of ``panko.tests.apiref.SAMPLES`` is sent
again on every backend and must make exactly the committed files
(``tools/api-ref-samples.py`` rewrites them).
"""

from __future__ import annotations

import pytest
import webtest

from panko.api import app as api_app
from panko.tests import apidata
from panko.tests import apiref

SUFFIXES = ("-request.json", "-request.txt", "-response.json", "-response.txt")


def committed_files(sample: apiref.Sample) -> dict[str, str]:
    found = {}
    for suffix in SUFFIXES:
        path = apiref.SAMPLES_DIR / (sample.name + suffix)
        if path.exists():
            found[path.name] = path.read_text()
    return found


def served_by(api: webtest.TestApp, sample: apiref.Sample) -> dict[str, str]:
    answer = apiref.send(api, sample)
    apiref.check_answer(sample, answer)
    return apiref.sample_files(sample, answer)


@pytest.mark.parametrize(
    "sample",
    [s for s in apiref.SAMPLES if s.kind != apiref.UNAVAILABLE],
    ids=lambda s: s.name,
)
def test_the_sample_is_the_answer(make_app, storage_conn, sample):
    apiref.store_events(storage_conn)
    assert served_by(make_app(), sample) == committed_files(sample)


@pytest.mark.backends("postgresql", "mysql")
@pytest.mark.parametrize(
    "sample",
    [s for s in apiref.SAMPLES if s.kind == apiref.UNAVAILABLE],
    ids=lambda s: s.name,
)
def test_the_unavailable_sample_is_the_answer(
    database_url, tmp_path, backend, sample
):
    path = apidata.write_config(
        tmp_path / "panko.conf", apiref.unreachable(database_url)
    )
    conf = apidata.load_conf(path)
    try:
        api = webtest.TestApp(api_app.load_app(conf))
        assert served_by(api, sample) == committed_files(sample)
    finally:
        conf.reset()


def test_every_sample_file_belongs_to_a_sample():
    names = {s.name + suffix for s in apiref.SAMPLES for suffix in SUFFIXES}
    files = {p.name for p in apiref.SAMPLES_DIR.iterdir()}
    assert files <= names, files - names
    # Every sample has its answer committed.
    answers = {n.rsplit("-response", 1)[0] for n in files if "-response" in n}
    assert answers == {s.name for s in apiref.SAMPLES}

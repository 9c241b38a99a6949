from pathlib import PurePosixPath

import pytest

from kgtool.map import iris
from kgtool.map.model import Work
from kgtool.publish.layout import Resource, relative, site_path, url_path

BASE = "https://example.org/kg/"


def test_percent_encoded_doi_maps_to_the_decoded_file_name():
    doi = "10.1002/(sici)1097-4571(199806)49:8<693::aid-asi4>3.0.co;2-o"
    iri = iris.work_iri(Work(doi=doi), BASE)
    assert "%3C693%3A%3Aaid-asi4%3E" in iri
    fs, why = site_path(str(iri), BASE)
    assert why == ""
    assert fs == PurePosixPath("work/doi/10.1002/(sici)1097-4571(199806)49:8<693::aid-asi4>3.0.co;2-o")
    r = Resource(iri, fs)
    assert str(r.file(".ttl")).endswith("<693::aid-asi4>3.0.co;2-o.ttl")
    assert str(r.file("index.html")).endswith("3.0.co;2-o/index.html")
    # the URL written into pages is the IRI's own path again
    assert BASE + r.page == str(iri) + "/"
    assert BASE + r.representation(".jsonld") == str(iri) + ".jsonld"


@pytest.mark.parametrize(
    "iri, why",
    [
        ("https://other.org/kg/work/title/abc", "not under the base"),
        (BASE, "is the base itself"),
        (BASE + "work/a/../b", "'..'"),
        (BASE + "work/a/%2E%2E/b", "'..'"),
        (BASE + "work//b", "empty"),
        (BASE + "void.ttl#dataset", "fragment"),
        (BASE + "work/a%00b", "control character"),
        (BASE + "work/%FF", "not UTF-8"),
        (BASE + "work/" + "x" * 201, "longer than"),
    ],
)
def test_iris_that_cannot_be_files_say_why(iri, why):
    fs, reason = site_path(iri, BASE)
    assert fs is None
    assert why in reason


def test_relative_links_climb_to_the_root_and_never_look_like_a_scheme():
    assert relative("", "index.html") == "index.html"
    assert relative("work/title/abc/", "void.ttl") == "../../../void.ttl"
    assert relative("", "10.1:x/") == "./10.1:x/"
    assert url_path("work/doi/10.1/<a b>") == "work/doi/10.1/%3Ca%20b%3E"

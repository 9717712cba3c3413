"""Image overrides for clusters that cannot pull from Docker Hub or GHCR (audit item 8)."""

from __future__ import annotations

import pytest
from hamcrest import assert_that, contains_string, equal_to

from support import manifests
from support.images import ImageSource, without_registry
from support.settings import SettingsError, from_sources


@pytest.mark.parametrize("image, path", [("python:3.11-slim", "python:3.11-slim"),
                                         ("library/python:3.11", "library/python:3.11"),
                                         ("ghcr.io/llm-d/llm-d-inference-sim:v0.6.1", "llm-d/llm-d-inference-sim:v0.6.1"),
                                         ("localhost/x:1", "x:1"), ("registry:5000/team/x", "team/x")])
def test_the_registry_part_of_an_image_is_recognised(image, path):
    assert_that(without_registry(image), equal_to(path))


def test_a_mapping_wins_over_the_registry_and_every_container_is_rewritten():
    source = ImageSource("mirror.example.com/hub", {"python:3.11-slim": "mirror.example.com/py:3.11"})
    objects = source.rewrite(manifests.load_manifests("simulator", namespace="n"))
    [deployment] = [o for o in objects if o["kind"] == "Deployment"]
    images = [c["image"] for c in deployment["spec"]["template"]["spec"]["containers"]]
    assert_that(images, equal_to(["mirror.example.com/hub/llm-d/llm-d-inference-sim:v0.6.1",
                                  "mirror.example.com/py:3.11"]))


def test_bare_pods_are_rewritten_too_and_nothing_changes_without_settings():
    pod = {"kind": "Pod", "spec": {"containers": [{"name": "c", "image": "curlimages/curl"}]}}
    ImageSource().rewrite([pod])
    assert_that(pod["spec"]["containers"][0]["image"], equal_to("curlimages/curl"))
    ImageSource("r.example.com").rewrite([pod])
    assert_that(pod["spec"]["containers"][0]["image"], equal_to("r.example.com/curlimages/curl"))


def test_settings_take_a_registry_and_a_mapping_file(tmp_path):
    mapping = tmp_path / "images.yaml"
    mapping.write_text("python:3.11-slim: mirror/python:3.11-slim\n")
    settings = from_sources({"target": "cluster", "image_registry": "r.example.com", "image_map": str(mapping)}, {})
    assert_that(settings.images.resolve("python:3.11-slim"), equal_to("mirror/python:3.11-slim"))
    assert_that(settings.images.resolve("busybox"), equal_to("r.example.com/busybox"))
    assert_that(settings.summary(), contains_string("images:    from r.example.com, 1 mapped"))


@pytest.mark.parametrize("content, message", [(None, "cannot read it"), ("- a\n- b\n", "must be a mapping"),
                                              ("a: [b\n", "is not YAML")])
def test_a_bad_mapping_file_says_what_is_wrong(tmp_path, content, message):
    path = tmp_path / "images.yaml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(SettingsError, match=message):
        from_sources({"image_map": str(path)}, {})

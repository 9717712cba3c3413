"""The namespace feed after a watch error, against the embedded cluster with the official client: it
resumes and its cache holds what changed meanwhile; while it cannot, reads go to the API (and fail
rather than serve stale data), and a wait that times out says the watch is down and why."""

import kubernetes
import pytest
from conftest import wait_until
from hamcrest import equal_to

from support.feed import FeedUnavailable, NamespaceFeed
from support.kube.api import CONFIGMAP, Kind, KubeApi
from support.localcluster.apiserver.request import Response
from support.localcluster.errors import ApiError
from support.waiting import Poller, WaitTimeout

NAMESPACE = "feed-watch-errors"
NAMESPACES = Kind("", "v1", "namespaces", "Namespace", namespaced=False)
RECONNECT_SECONDS = 10  # real time; the informer retries every second


class RefuseConfigMaps:
    """A fault hook: while `watches`, watch requests for the namespace's ConfigMaps answer 500; while
    `reads`, plain reads of them too. Writes always go through."""

    def __init__(self):
        self.watches = self.reads = False

    def __call__(self, request) -> Response | None:
        if f"/namespaces/{NAMESPACE}/configmaps" not in request.path or request.method != "GET":
            return None
        watch = request.query.get("watch") in ("true", "1")
        if (watch and self.watches) or (not watch and self.reads):
            return Response.json(500, ApiError(500, "InternalError", "refused by the test").status())
        return None


@pytest.fixture
def api(cluster):
    client = kubernetes.config.new_client_from_config(config_file=str(cluster.kubeconfig_path))
    api = KubeApi(client)
    if api.get_or_none(NAMESPACES, None, NAMESPACE) is None:
        api.create(NAMESPACES, None, {"metadata": {"name": NAMESPACE}})
    api.create(CONFIGMAP, NAMESPACE, {"metadata": {"name": "flag"}, "data": {"state": "a"}})
    yield api
    api.delete(CONFIGMAP, NAMESPACE, "flag")
    client.close()


@pytest.fixture
def faults(cluster):
    hook = RefuseConfigMaps()
    cluster.api.faults = hook
    yield hook
    cluster.api.faults = None


@pytest.fixture
def feed(api, cluster, faults):
    feed = NamespaceFeed(api, cluster.clock, NAMESPACE, kinds=(CONFIGMAP,)).start()
    yield feed
    feed.stop()


def state(feed) -> str:
    return feed.get("ConfigMap", "flag")["data"]["state"]


def break_the_watch(cluster, faults, feed) -> str:
    """Refuse watches, end the open stream; once the informer met the refusal, what the feed says."""
    faults.watches = True
    for stream in cluster.api.watches.streams():
        if stream.spec.kind == "ConfigMap":
            stream.close()
    said = "(500) InternalError: refused by the test"
    return wait_until(lambda: said in (feed.trouble() or "") and feed.trouble(), RECONNECT_SECONDS,
                      "the feed to say its ConfigMap watch is down with the server's 500")


def test_after_a_watch_failure_the_feed_resumes_and_its_cache_holds_what_changed_meanwhile(
        api, cluster, faults, feed):
    cluster.clock.settle()
    assert state(feed) == "a" and feed.trouble() is None

    break_the_watch(cluster, faults, feed)
    api.patch(CONFIGMAP, NAMESPACE, "flag", {"data": {"state": "b"}})
    assert state(feed) == "b", "while the watch is down the feed reads from the API, not its stale cache"

    faults.watches = False
    wait_until(lambda: feed.trouble() is None, RECONNECT_SECONDS, "the feed's watch to resume")
    cluster.clock.settle()
    faults.reads = True  # from here only the cache can answer
    assert state(feed) == "b", "the resumed watch brought the change made while it was down into the cache"
    assert [c["data"] for c in feed.list("ConfigMap")] == [{"state": "b"}]


def test_while_the_watch_cannot_resume_a_wait_names_the_watch_error_and_reads_fail_rather_than_serve_stale_data(
        api, cluster, faults, feed):
    break_the_watch(cluster, faults, feed)
    api.patch(CONFIGMAP, NAMESPACE, "flag", {"data": {"state": "c"}})

    with pytest.raises(WaitTimeout) as timed_out:
        Poller(cluster.clock, interval=1.0).with_feed(feed).eventually(
            lambda: state(feed), equal_to("never"), within=5, what="the flag to read 'never'")
    message = str(timed_out.value)
    assert "was 'c'" in message, f"the wait read the live value, not the stale cache:\n{message}"
    assert "watch:      the watch of configmaps is down" in message, message
    assert "Exception (500) InternalError: refused by the test" in message, message

    faults.reads = True
    with pytest.raises(FeedUnavailable, match="the watch of configmaps is down.*reading configmaps from the API "
                                              "failed: [A-Za-z]*Exception \\(500\\) InternalError"):
        state(feed)
    with pytest.raises(FeedUnavailable):
        feed.list("ConfigMap")

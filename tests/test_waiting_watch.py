"""Waits wake on watch events: against a served embedded cluster in real time, a wait returns within
0.1 s of the condition holding, though its polling fallback would look only every 5 s."""

import threading
import time

import kubernetes
from hamcrest import equal_to

from support.clock import RealClock
from support.feed import NamespaceFeed
from support.kube.api import CONFIGMAP, KubeApi
from support.waiting import Poller

FALLBACK_POLL = 5.0


def test_a_wait_returns_within_a_tenth_of_a_second_of_the_change(served_cluster):
    api_client = kubernetes.config.new_client_from_config(config_file=str(served_cluster.kubeconfig))
    api = KubeApi(api_client)
    namespace = "wait-on-watch"
    api.request("POST", "/api/v1/namespaces", body={"metadata": {"name": namespace}})
    api.create(CONFIGMAP, namespace, {"metadata": {"name": "flag"}, "data": {"state": "off"}})
    feed = NamespaceFeed(api, RealClock(), namespace).start()
    changed_at = {}

    def flip_later():
        time.sleep(1.0)
        api.patch(CONFIGMAP, namespace, "flag", {"data": {"state": "on"}})
        changed_at["t"] = time.monotonic()

    def state():
        return (feed.get("ConfigMap", "flag") or {}).get("data", {}).get("state")

    flipper = threading.Thread(target=flip_later)
    try:
        flipper.start()
        Poller(RealClock(), interval=FALLBACK_POLL).with_feed(feed).eventually(
            state, equal_to("on"), within=30, what="the flag to be on")
        returned = time.monotonic()
        flipper.join()
        assert returned - changed_at["t"] < 0.1, f"the wait returned {returned - changed_at['t']:.3f} s after the change"
    finally:
        flipper.join()
        feed.stop()
        api.request("DELETE", f"/api/v1/namespaces/{namespace}")
        api_client.close()

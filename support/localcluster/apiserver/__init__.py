"""The embedded cluster's Kubernetes API server: a real HTTP(S) server on 127.0.0.1.

It speaks the REST subset the official `kubernetes` client (typed APIs, the
DynamicClient, watch) and kubectl use: discovery, GET/LIST (label and field
selectors, Table output), `watch=true`, POST, PUT, PATCH (json, merge, strategic
merge, server-side apply), DELETE, the status, scale, log and proxy subresources,
bearer-token auth and Kubernetes `Status` errors.

    routing.py      Api: authentication, paths -> resources, discovery, dispatch
    server.py       ApiServer: HTTP/1.1 (+TLS), chunked watch streams
    reads.py        GET, LIST, watch        watch.py     watch streams
    writes.py       POST, PUT               patch.py     PATCH and apply (patching.py: the patch flavours)
    scale.py        /scale                  deletion.py  DELETE
    proxy.py        pods/log, pods/proxy, services/proxy
    admission.py    defaults, validation, schema, namespace lifecycle (decoding.py: typed decoding)
    resources.py    what is served (built-ins + CRDs), discovery documents
    tables.py       Table output            selectors.py label and field selectors
"""

from support.localcluster.apiserver.routing import Api
from support.localcluster.apiserver.server import ApiServer

__all__ = ["Api", "ApiServer"]

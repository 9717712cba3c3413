"""A real Kubernetes control plane on this machine, for the `cluster` target (issue 7).

etcd, kube-apiserver and kube-controller-manager are built from their Go modules
(controlplane/, see binaries.py) and run on loopback with generated certificates and
RBAC (plane.py); a Python node agent (node/) plays the kubelet: it registers a Ready
Node, binds pods, gives them addresses in network namespaces of its own (network.py)
and runs their containers with the embedded cluster's container runner.
"""

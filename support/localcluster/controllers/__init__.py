"""The built-in controllers of the embedded cluster (kube-controller-manager's part): deployments,
namespaces, garbage collection. They subscribe to the store in-process and run their reactions
one at a time on the cluster's shared `access.WorkQueue`, so they are synchronous and deterministic.
"""

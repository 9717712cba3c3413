"""The library the steps call: Kubernetes, HTTP, waiting, the reference model and the local cluster.

support/ never imports steps/; the dependency goes one way, steps -> support.
"""

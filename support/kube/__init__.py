"""Kubernetes client plumbing shared by the reference operator and the suite.

`api.KubeApi`: raw JSON requests through the official client's ApiClient.
`informer.Informer`: a list+watch cache of one kind (resume, 410 relist,
bookmarks, the virtual clock's settle protocol).
`pods.container_port`: a Service's target port on a pod (operator and node agent).
"""

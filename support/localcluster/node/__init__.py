"""The node: the agent that runs pods (`agent.NodeAgent`), their containers (`containers`,
`podenv`, `images`), readiness probes, logs and addresses.

It reaches the cluster only through `access.ClusterAccess`, so the real control
plane's node agent (issue 7) runs the same code against kube-apiserver.
"""

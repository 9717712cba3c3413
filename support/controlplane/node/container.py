"""One container of a pod, as a process inside the pod's network namespace.

The node agent starts `ip netns exec <pod netns> python -m support.controlplane.node.container`
and writes a JSON spec to its stdin: the pod, the container, the pod's address, the resolved
env and the mounted files, and either

- `exec`: a command line to exec (the controller image runs `python -m support.reference.operator`), or
- nothing: the embedded cluster's container runner starts the container in this process
  (python:* programs mounted from ConfigMaps, emulated images such as the llm-d simulator).

Files under /var/run/secrets or /run/secrets (the service-account token, the cluster CA) are
written to a tmpfs mounted on /run in this process's own mount namespace (`ip netns exec`
gives it one), so in-cluster clients find them where they look. Lines the container prints
are its log. SIGTERM stops it (exit 0); the agent sends SIGKILL after the grace period.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

SECRET_ROOTS = ("/var/run/", "/run/")


def write_run_files(files: dict[str, str]) -> dict[str, str]:
    """Put /run and /var/run files on a private tmpfs; return the other files."""
    run_files = {path: text for path, text in files.items() if path.startswith(SECRET_ROOTS)}
    if run_files:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "budspec-run", "/run"], check=True)
        for path, text in run_files.items():
            target = Path("/run") / path.removeprefix("/var/run/").removeprefix("/run/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
    return {path: text for path, text in files.items() if path not in run_files}


def log(line: str) -> None:
    sys.stdout.write(line.rstrip("\n") + "\n")
    sys.stdout.flush()


def run_in_process(spec: dict, files: dict[str, str]) -> int:
    from support.clock import RealClock
    from support.localcluster.node import containers, images

    context = containers.ContainerContext(pod=spec["pod"], container=spec["container"], ip=spec["ip"],
                                          env=spec["env"], ports=spec["ports"], files=files, log=log,
                                          clock=RealClock(), seed=spec.get("seed", 0))
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    try:
        running = images.emulated().run(context)
    except containers.ContainerError as error:
        log(f"{error.reason}: {error.message}")
        return 1
    received = signal.sigwait({signal.SIGTERM, signal.SIGINT})
    log(f"stopping on {signal.Signals(received).name}")
    running.stop()
    return 0


def main() -> int:
    spec = json.loads(sys.stdin.read())
    files = write_run_files(spec.get("files") or {})
    if spec.get("exec"):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **spec["env"]}
        argv = spec["exec"]
        os.execvpe(argv[0], argv, env)
    return run_in_process(spec, files)


if __name__ == "__main__":
    sys.exit(main())

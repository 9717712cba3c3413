"""Containers the node runs in-process, instead of a container runtime.

A container is one of:
- a `python:*` image whose command/args name a `.py` program mounted from a
  ConfigMap: the program is exec'd into a fresh module and its
  `create_server(ip, port, env=, clock=)` is served on a daemon thread. As
  `python /app/prog.py` would, it imports the other .py files of its directory
  (`import mockhttp` finds /app/mockhttp.py);
- an image of the `ImageRegistry` the cluster was wired with (emulated images,
  the controller image): the runner registered for the longest matching image
  prefix gets a `ContainerContext`;
- anything else cannot run: `ContainerError` says why, and the node agent
  leaves the pod Pending with that reason.

`podenv.prepare()` builds the `ContainerContext` the way the kubelet would.
"""

from __future__ import annotations

import builtins
import errno
import functools
import hashlib
import inspect
import re
import socketserver
import sys
import threading
import types
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Protocol

if TYPE_CHECKING:
    from support.localcluster.node.request_network import NamespaceClients

CONFIG_ERROR = "CreateContainerConfigError"
IMAGE_ERROR = "ErrImagePull"
RUN_ERROR = "RunContainerError"


class ProgramClock(Protocol):
    """The clock a container's program reads (the cluster's)."""

    def now(self) -> float: ...


class Timer(Protocol):
    def cancel(self) -> None: ...


Schedule = Callable[[float, Callable[[], None]], Timer]
BIND_RETRIES = 10
BIND_RETRY_SECONDS = 1.0


@dataclass
class ContainerContext:
    pod: dict
    container: dict
    ip: str
    env: dict[str, str]
    ports: list[int]
    files: dict[str, str]  # absolute path -> content, from configMap volume mounts
    log: Callable[[str], None]  # append a line to this container's log
    clock: ProgramClock
    seed: int = 0  # the cluster's seed, for programs with random noise
    kubeconfig: Path | None = None  # the API credentials a pod of this cluster gets (its service account)
    listen_delay: float = 0.0  # cluster seconds a python program takes to start before its server binds
    later: Schedule | None = None  # the cluster clock's call_later (None: no delay, bind at once)
    bind_port: Callable[[int], None] = lambda port: None  # called right before a container binds `port`
    network: "NamespaceClients | None" = None  # client request load modelled on the cluster clock (request_network)

    @property
    def args(self) -> list[str]:
        """command + args, with $(VAR) references expanded as the kubelet does."""
        words = list(self.container.get("command") or []) + list(self.container.get("args") or [])
        return [expand(word, self.env) for word in words]


class RunningContainer(Protocol):
    def stop(self) -> None: ...


class ContainerError(Exception):
    """A container that cannot start; `reason` is the kubelet's waiting reason."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason, self.message = reason, message


Runner = Callable[[ContainerContext], RunningContainer]


class ImageRegistry:
    """The images a node can run besides python:* programs: image prefix -> runner (explicit wiring)."""

    def __init__(self) -> None:
        self._runners: dict[str, Runner] = {}

    def register(self, prefix: str, runner: Runner) -> None:
        """Run containers whose image starts with `prefix` through `runner` (replacing an earlier one)."""
        self._runners[prefix] = runner

    def names(self) -> list[str]:
        return sorted(self._runners)

    def runner_for(self, image: str) -> Runner | None:
        matches = [prefix for prefix in self._runners if image.startswith(prefix)]
        return self._runners[max(matches, key=len)] if matches else None

    def run(self, ctx: ContainerContext) -> RunningContainer:
        """Start the container `ctx` describes, or raise ContainerError."""
        image = ctx.container.get("image", "")
        runner = self.runner_for(image)
        if runner is not None:
            return _guarded(runner, ctx)
        if is_python_image(image):
            return _guarded(run_python_program, ctx)
        raise ContainerError(IMAGE_ERROR, f'the embedded cluster cannot run image "{image}": it runs python:* '
                                          "programs mounted from ConfigMaps and these emulated images: "
                                          + ", ".join(self.names()))


def is_python_image(image: str) -> bool:
    repository = re.split(r"[:@]", image.rsplit("/", 1)[-1], maxsplit=1)[0]
    return repository in ("python", "python3")


def _guarded(runner: Runner, ctx: ContainerContext) -> RunningContainer:
    try:
        return runner(ctx)
    except ContainerError:
        raise
    except Exception as error:  # a program that fails to start is the container failing, not the cluster
        raise ContainerError(RUN_ERROR, f"{type(error).__name__}: {error}") from error


# -- python programs from ConfigMaps -------------------------------------------

@functools.lru_cache(maxsize=64)
def compiled(source: str, path: str) -> types.CodeType:
    """A program's code object, compiled once per source text: every pod start runs it again."""
    return compile(source, path, "exec", dont_inherit=True)


def run_python_program(ctx: ContainerContext) -> RunningContainer:
    """Import the program now; its server binds `listen_delay` later (as `python prog.py` imports first):
    meanwhile the container runs, and a connection to its port is refused."""
    path = program_path(ctx)
    module = types.ModuleType(f"pod_{ctx.pod['metadata']['name']}_{ctx.container['name']}".replace("-", "_"))
    module.__file__ = path
    module.__builtins__ = sibling_builtins(path, ctx.files)
    exec(compiled(ctx.files[path], path), module.__dict__)
    if not callable(getattr(module, "create_server", None)):
        raise ContainerError(RUN_ERROR, f"{path} defines no create_server(host, port, env=, clock=)")
    port = ctx.ports[0] if ctx.ports else _env_port(ctx)
    options = {"env": dict(ctx.env), "clock": ctx.clock.now}
    parameters = inspect.signature(module.create_server).parameters
    if "seed" in parameters:
        options["seed"] = program_seed(ctx)
    if "network" in parameters and ctx.network is not None:
        options["network"] = ctx.network

    def serve() -> ServerContainer:
        ctx.bind_port(port)
        server = module.create_server(ctx.ip, port, **options)
        ctx.log(f"serving {path} on {ctx.ip}:{port}")
        return ServerContainer(server, ctx.log)

    if ctx.later is None or ctx.listen_delay <= 0:
        return serve()
    return StartingContainer(serve, ctx.later, ctx.listen_delay, ctx.log)


class StartingContainer:
    """A container whose server binds after a start-up delay, retrying while its address is in use."""

    def __init__(self, serve: Callable[[], RunningContainer], later: Schedule, delay: float,
                 log: Callable[[str], None]):
        self._serve, self._later, self._log = serve, later, log
        self._lock = threading.Lock()
        self._running: RunningContainer | None = None
        self._stopped = False
        self._attempts = 0
        with self._lock:  # the clock may fire it at once from another thread: _timer is set first
            self._timer = later(delay, self._start)

    def _start(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self._attempts += 1
            try:
                self._running = self._serve()
            except OSError as error:
                if error.errno != errno.EADDRINUSE or self._attempts >= BIND_RETRIES:
                    self._log(f"the server could not start: {type(error).__name__}: {error}")
                    return
                self._log(f"address in use, binding again in {BIND_RETRY_SECONDS:g} s: {error}")
                self._timer = self._later(BIND_RETRY_SECONDS, self._start)
            except Exception as error:  # noqa: BLE001 - the program failing is the container's, not the node's
                self._log(f"the server could not start: {type(error).__name__}: {error}")

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            self._timer.cancel()
            running = self._running
        if running is not None:
            running.stop()


def sibling_builtins(program: str, files: dict[str, str]) -> dict[str, Any]:
    """Builtins for a program whose `import X` first looks for X.py next to it in `files`.

    `python /app/prog.py` puts /app first on sys.path; in-process, the program and its
    siblings instead get an `__import__` that builds each sibling module from the mounted
    source on first import, once per container. The sibling modules live in this container
    only, never in sys.modules: two pods mounting different mockhttp.py each get their own,
    a sibling never shadows a module of the cluster's process, and a program whose
    ConfigMap lacks a helper fails to import it as it would in a real pod (the helper is
    not on this process's sys.path). Any other import is the ordinary one.
    """
    directory = program.rsplit("/", 1)[0]
    siblings = {file[len(directory) + 1:-3]: file for file in files
                if file.rsplit("/", 1)[0] == directory and file.endswith(".py") and file != program}
    modules: dict[str, types.ModuleType] = {}
    lock = threading.RLock()  # lazy imports may come from request threads; RLock: siblings import siblings
    scope = dict(vars(builtins))

    def pod_import(name, globals=None, locals=None, fromlist=(), level=0):  # noqa: A002 - __import__'s signature
        if level != 0 or name not in siblings:
            return builtins.__import__(name, globals, locals, fromlist, level)
        with lock:
            if name not in modules:
                module = types.ModuleType(name)
                module.__file__, module.__builtins__ = siblings[name], scope
                modules[name] = module  # registered before it runs, as sys.modules does (import cycles)
                try:
                    exec(compiled(files[siblings[name]], siblings[name]), module.__dict__)
                except BaseException:
                    del modules[name]
                    raise
            return modules[name]

    scope["__import__"] = pod_import
    return scope


def program_seed(ctx: ContainerContext) -> int:
    """Stable per cluster seed and pod name, so programs with random noise repeat run after run."""
    text = f"{ctx.seed}/{ctx.pod['metadata']['name']}/{ctx.container['name']}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


def program_path(ctx: ContainerContext) -> str:
    """The mounted .py file that command+args name (also inside `sh -c "..."`)."""
    named = [m for word in ctx.args for m in re.findall(r"[\w./-]+\.py\b", word)]
    workdir = ctx.container.get("workingDir") or "/"
    for name in named:
        path = name if name.startswith("/") else f"{workdir.rstrip('/')}/{name}"
        if path in ctx.files:
            return path
    raise ContainerError(RUN_ERROR, "the embedded cluster runs python:* containers only as a .py program mounted "
                                    f"from a ConfigMap; command+args {ctx.args} name none of {sorted(ctx.files)}")


def _env_port(ctx: ContainerContext) -> int:
    try:
        return int(ctx.env["PORT"])
    except (KeyError, ValueError):
        raise ContainerError(RUN_ERROR, "the container declares no containerPort and no numeric PORT env") from None


class ServerContainer:
    """An http.server-style server on a daemon thread; stopping never blocks for long."""

    def __init__(self, server: socketserver.TCPServer, log: Callable[[str], None] | None = None):
        self.server = server
        if log is not None:
            _log_requests_to(server, log)
            _log_errors_to(server, log)
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"container-{server.server_address}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        def shut() -> None:
            self.server.shutdown()
            self.server.server_close()

        closer = threading.Thread(target=shut, daemon=True)
        closer.start()
        closer.join(timeout=2.0)
        if closer.is_alive():  # a stuck serve loop: at least stop accepting connections
            self.server.socket.close()


def _log_errors_to(server: socketserver.TCPServer, log: Callable[[str], None]) -> None:
    """A request that fails in the program goes to the container log, not the test's stderr.

    Clients closing kept-alive connections (connection reset) are routine and not logged.
    """
    def handle_error(request: object, client_address: object) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, (ConnectionResetError, BrokenPipeError)):
            log(f"error serving {client_address}: {type(error).__name__}: {error}")

    server.handle_error = handle_error


def _log_requests_to(server: socketserver.TCPServer, log: Callable[[str], None]) -> None:
    """Send the program's access log to the container log instead of the test's stderr."""
    handler = getattr(server, "RequestHandlerClass", None)
    if isinstance(handler, type) and issubclass(handler, BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):  # noqa: ANN001 - http.server's signature
            log(f"{self.address_string()} - {fmt % args}")

        server.RequestHandlerClass = type(handler.__name__, (handler,), {"log_message": log_message})


def expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes $(VAR) expansion: known vars replaced, $$ escapes, unknown references kept."""
    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        return env.get(match.group(1), match.group(0))

    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)", replace, text)

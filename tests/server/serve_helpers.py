"""Start ``pessimism serve`` as a real process on a free loopback port (used by ``conftest.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

from fixtures_servers import ServerProcess, free_port

PESSIMISM = str(Path(sys.executable).with_name("pessimism"))


def start_proxy_process(*args: str, env: dict[str, str] | None = None, startup_timeout: float = 90.0) -> ServerProcess:
    """``pessimism serve --host 127.0.0.1 --port <free> *args``, returned once ``GET /health`` is 200."""
    port = free_port()
    cmd = [PESSIMISM, "serve", "--host", "127.0.0.1", "--port", str(port), *args]
    return ServerProcess(cmd, port, ready_path="/health", startup_timeout=startup_timeout, env=env)

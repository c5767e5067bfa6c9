"""``chromalake run`` as a real process on 127.0.0.1, for tests that need a live server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RunningServer:
    """``chromalake run --allow-reset`` on a free port with its data under ``path``."""

    def __init__(
        self,
        path: Path,
        port: int | None = None,
        allow_reset: bool = True,
        extra: list[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The flags (and ``env``, the test's own settings) alone decide where data goes and
        # how the server behaves, whatever the caller's environment says.
        inherited = {k: v for k, v in os.environ.items() if not k.upper().startswith("CHROMALAKE_")}
        command = [sys.executable, "-m", "chromalake.cli", "run", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--path", str(path / "data")]
        command += ["--allow-reset"] if allow_reset else []
        command += extra or []
        # Files, not pipes: the server logs a line per request, and a pipe nobody reads until
        # stop() would fill up and block it.
        self._out = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed with the process
        self._err = tempfile.TemporaryFile("w+")  # noqa: SIM115
        self.process = subprocess.Popen(
            command,
            stdout=self._out,
            stderr=self._err,
            text=True,
            env={**inherited, **(env or {})},
        )
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chromalake run exited: {self.output()}")
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.process.kill()
        raise RuntimeError("chromalake run did not answer in 30 s")

    def official_client(self) -> Any:
        """The official ``chromadb.HttpClient`` on this server, after a reset (a clean slate)."""
        import chromadb

        client = chromadb.HttpClient(
            host="127.0.0.1",
            port=self.port,
            settings=chromadb.Settings(allow_reset=True, anonymized_telemetry=False),
        )
        client.reset()
        return client

    def stop(self, sig: int = signal.SIGINT) -> tuple[int, str, str]:
        """Send ``sig`` and wait: (exit code, stdout, stderr)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return (self.process.returncode, *self.output())

    def output(self) -> tuple[str, str]:
        """What the server printed so far: (stdout, stderr)."""
        texts = []
        for file in (self._out, self._err):
            file.seek(0)
            texts.append(file.read())
        return texts[0], texts[1]

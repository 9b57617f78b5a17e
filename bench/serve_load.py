"""Load through ``pessimism serve`` against the same upstream called directly (loopback only).

Run:  python bench/serve_load.py [--requests 8] [--concurrency 2] [--n 4] [--max-tokens 8]
                                 [--upstream URL] [--proxy URL] [--reward judge] [--time-limit 300]

Without ``--upstream`` it starts llama-cpp-python's OpenAI-compatible server on the embedded Gemma
GGUF; without ``--proxy`` it starts ``pessimism serve --upstream <that>`` (both on free loopback ports,
both stopped at the end). Then it sends the same K chat requests at concurrency C two ways:

* **proxy**: through ``pessimism serve`` with ``pessimism.n = N`` (N candidates sampled, scored,
  one chosen);
* **direct**: to the upstream, asking for the same N samples per request -- one ``n=N`` request, plus
  single-sample requests for whatever the upstream did not return (llama-cpp-python's server returns
  one choice whatever ``n`` is) -- with the same ``logprobs`` the proxy's adapter asks for, so both
  sides generate the same tokens and the ratio shows what the proxy adds: scoring (the judge's calls),
  selection and one more HTTP hop.

Reports requests/s and p50/p95 latency of each, and the proxy/direct ratios. Bounded: at most
``--requests`` (<= 1000) per side, and no new request starts after ``--time-limit`` seconds.
Absolute numbers on a shared machine mean little; the ratios compare the two in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import httpx
import numpy as np

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MESSAGES = [{"role": "user", "content": "Name one country in Europe and its capital."}]


def _loopback(url: str, flag: str) -> str:
    host = urlparse(url).hostname
    if host not in LOOPBACK:
        raise SystemExit(f"{flag} must be a loopback URL (127.0.0.1 / localhost); got {url!r}")
    return url.rstrip("/")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Process:
    """A server subprocess, ready once ``GET url + ready`` answers 200 (bounded wait)."""

    def __init__(self, cmd: list[str], url: str, ready: str, timeout: float = 120.0,
                 env: dict[str, str] | None = None) -> None:
        self.log = tempfile.NamedTemporaryFile(prefix="serve-load-", suffix=".log", delete=False)  # noqa: SIM115
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env)  # noqa: S603
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"{cmd[:3]} exited:\n{Path(self.log.name).read_text()[-2000:]}")
            try:
                if httpx.get(url + ready, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"{cmd[:3]} not ready after {timeout:.0f} s")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


@dataclass
class Run:
    name: str
    latencies: list[float]
    wall: float
    samples: int
    failed: int
    skipped: int

    def row(self) -> str:
        lat = np.array(self.latencies) if self.latencies else np.array([np.nan])
        rps = len(self.latencies) / self.wall if self.wall > 0 else float("nan")
        return (f"{self.name:<7} {len(self.latencies):>4} {self.failed:>6} {self.skipped:>7} {self.samples:>8} "
                f"{self.wall:>8.2f} {rps:>7.3f} {np.percentile(lat, 50):>7.2f} {np.percentile(lat, 95):>7.2f}")

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.wall if self.wall > 0 and self.latencies else float("nan")

    def pct(self, q: float) -> float:
        return float(np.percentile(self.latencies, q)) if self.latencies else float("nan")


async def _direct_one(client: httpx.AsyncClient, upstream: str, model: str, n: int, max_tokens: int, seed: int) -> int:
    body = {"model": model, "messages": MESSAGES, "max_tokens": max_tokens, "seed": seed,
            "logprobs": True, "top_logprobs": 0}
    r = await client.post(f"{upstream}/chat/completions", json={**body, "n": n} if n > 1 else body)
    r.raise_for_status()
    got = len(r.json()["choices"])
    rest = [client.post(f"{upstream}/chat/completions", json={**body, "seed": seed + j}) for j in range(got, n)]
    for resp in await asyncio.gather(*rest):
        resp.raise_for_status()
    return got + len(rest)


async def _proxy_one(client: httpx.AsyncClient, proxy: str, model: str, n: int, max_tokens: int, seed: int) -> int:
    body = {"model": model, "messages": MESSAGES, "max_tokens": max_tokens, "seed": seed, "pessimism": {"n": n}}
    r = await client.post(f"{proxy}/v1/chat/completions", json=body)
    r.raise_for_status()
    return int(r.json()["pessimism"]["candidates"])


async def _load(name: str, one, requests: int, concurrency: int, deadline: float) -> Run:  # noqa: ANN001
    sem = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    samples = failed = skipped = 0

    async def task(i: int) -> None:
        nonlocal samples, failed, skipped
        async with sem:
            if time.monotonic() > deadline:
                skipped += 1
                return
            start = time.perf_counter()
            try:
                got = await one(1000 + i)
            except httpx.HTTPError as exc:
                failed += 1
                print(f"  {name} request {i} failed: {exc}", file=sys.stderr)
                return
            latencies.append(time.perf_counter() - start)
            samples += got

    start = time.perf_counter()
    await asyncio.gather(*(task(i) for i in range(requests)))
    return Run(name, latencies, time.perf_counter() - start, samples, failed, skipped)


async def _bench(args: argparse.Namespace, upstream: str, proxy: str, model: str) -> tuple[Run, Run]:
    timeout = httpx.Timeout(args.time_limit + 60)
    limits = httpx.Limits(max_connections=args.concurrency * (args.n + 1))
    async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:
        direct = lambda seed: _direct_one(client, upstream, model, args.n, args.max_tokens, seed)  # noqa: E731
        via = lambda seed: _proxy_one(client, proxy, model, args.n, args.max_tokens, seed)  # noqa: E731
        await direct(1)  # warm-up (not timed): model caches, the proxy's n-support detection
        await via(1)
        deadline = time.monotonic() + args.time_limit
        d = await _load("direct", direct, args.requests, args.concurrency, deadline)
        p = await _load("proxy", via, args.requests, args.concurrency, deadline + d.wall)
    return d, p


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=8, help="K requests per side (<= 1000)")
    parser.add_argument("--concurrency", type=int, default=2, help="C requests in flight per side")
    parser.add_argument("--n", type=int, default=4, help="N samples per request on both sides")
    parser.add_argument("--max-tokens", type=int, default=8)
    parser.add_argument("--upstream", help="loopback API root of a running upstream, e.g. http://127.0.0.1:8080/v1")
    parser.add_argument("--proxy", help="loopback root of a running pessimism serve, e.g. http://127.0.0.1:8000")
    parser.add_argument("--reward", default="judge", help="--reward of the proxy this script starts")
    parser.add_argument("--max-concurrency", type=int, default=8, help="--max-concurrency of that proxy")
    parser.add_argument("--threads", type=int, default=1, help="llama.cpp threads of the upstream this script starts")
    parser.add_argument("--time-limit", type=float, default=300.0, help="no new request after this many seconds per side")
    args = parser.parse_args()
    if not 1 <= args.requests <= 1000 or args.concurrency < 1 or args.n < 1 or args.time_limit <= 0:
        raise SystemExit("need 1 <= --requests <= 1000, --concurrency >= 1, --n >= 1, --time-limit > 0")

    started: list[Process] = []
    try:
        if args.upstream:
            upstream = _loopback(args.upstream, "--upstream")
        else:
            from pessimism.models.embedded import embedded_model_path

            port = _free_port()
            upstream = f"http://127.0.0.1:{port}/v1"
            started.append(Process(
                [sys.executable, "-m", "llama_cpp.server", "--model", str(embedded_model_path()), "--host", "127.0.0.1",
                 "--port", str(port), "--n_ctx", "512", "--n_threads", str(args.threads), "--chat_format", "gemma",
                 "--verbose", "false"], upstream, "/models"))
        model = httpx.get(upstream + "/models", timeout=10).json()["data"][0]["id"]
        if args.proxy:
            proxy = _loopback(args.proxy, "--proxy")
        else:
            port = _free_port()
            proxy = f"http://127.0.0.1:{port}"
            exe = str(Path(sys.executable).with_name("pessimism"))
            no_key = {k: v for k, v in os.environ.items() if k != "PESSIMISM_API_KEY"}  # this proxy is keyless
            started.append(Process(
                [exe, "serve", "--upstream", upstream, "--model", model, "--host", "127.0.0.1", "--port", str(port),
                 "--reward", args.reward, "--max-concurrency", str(args.max_concurrency),
                 "--timeout", str(args.time_limit + 30)], proxy, "/health", env=no_key))
        print(f"upstream {upstream} ({model}); proxy {proxy} (reward {args.reward if not args.proxy else '?'}); "
              f"K={args.requests} C={args.concurrency} N={args.n} max_tokens={args.max_tokens}")
        direct, proxied = asyncio.run(_bench(args, upstream, proxy, model))
    finally:
        for proc in reversed(started):
            proc.stop()

    print(f"{'side':<7} {'ok':>4} {'failed':>6} {'skipped':>7} {'samples':>8} {'wall s':>8} {'req/s':>7} "
          f"{'p50 s':>7} {'p95 s':>7}")
    print(direct.row())
    print(proxied.row())
    print(f"proxy/direct: throughput x{proxied.rps / direct.rps:.3f}, p50 latency x{proxied.pct(50) / direct.pct(50):.3f}, "
          f"p95 latency x{proxied.pct(95) / direct.pct(95):.3f}")


if __name__ == "__main__":
    main()

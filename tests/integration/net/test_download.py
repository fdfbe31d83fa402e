"""``download`` against a real file server on 127.0.0.1 (the test settings allow private)."""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tilework.config import Settings
from tilework.errors import PayloadTooLargeError, ValidationError
from tilework.net.download import download
from tilework.net.guard import IPAddress

VIDEO = bytes(range(256)) * 400  # 102_400 bytes


class _Handler(SimpleHTTPRequestHandler):
    """Static files, plus ``/r/<n>`` redirect chains, ``/chunked`` and ``/slow``."""

    hosts_seen: list[str]

    def do_GET(self) -> None:
        self.hosts_seen.append(self.headers.get("Host", ""))
        if self.path.startswith("/r/"):
            left = int(self.path.removeprefix("/r/"))
            self._redirect("/video.mp4" if left <= 1 else f"/r/{left - 1}")
        elif self.path.startswith("/to?"):
            self._redirect(self.path.removeprefix("/to?"))
        elif self.path == "/chunked":  # no Content-Length: the size is known only by counting
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.end_headers()
            self.wfile.write(VIDEO)
        elif self.path == "/slow":
            time.sleep(1.5)
            self.send_error(500)
        else:
            super().do_GET()

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    root = tmp_path / "www"
    root.mkdir()
    (root / "video.mp4").write_bytes(VIDEO)
    hosts: list[str] = []
    handler = type("Handler", (_Handler,), {"hosts_seen": hosts})

    def make(*args: Any) -> _Handler:
        return handler(*args, directory=str(root))  # type: ignore[no-any-return]

    server = ThreadingHTTPServer(("127.0.0.1", 0), make)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hosts
    server.shutdown()
    thread.join()
    server.server_close()


class LoopbackResolver:
    """Every name is 127.0.0.1, and every lookup is recorded."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def resolve(self, host: str, port: int) -> list[IPAddress]:
        self.calls.append(host)
        return [ipaddress.ip_address("127.0.0.1")]


def test_downloads_a_file(
    file_server: tuple[str, list[str]], settings: Settings, tmp_path: Path
) -> None:
    base, _ = file_server
    result = download(f"{base}/video.mp4", tmp_path / "out" / "f", settings=settings)
    assert result.path.read_bytes() == VIDEO
    assert (result.size_bytes, result.content_type, result.filename) == (
        len(VIDEO),
        "video/mp4",
        "video.mp4",
    )


def test_a_404_is_refused_naming_the_status(
    file_server: tuple[str, list[str]], settings: Settings, tmp_path: Path
) -> None:
    base, _ = file_server
    with pytest.raises(ValidationError, match="HTTP 404"):
        download(f"{base}/missing.mp4", tmp_path / "f", settings=settings)
    assert not (tmp_path / "f").exists()


def test_follows_a_chain_of_five_redirects(
    file_server: tuple[str, list[str]], settings: Settings, tmp_path: Path
) -> None:
    base, _ = file_server
    result = download(f"{base}/r/5", tmp_path / "f", settings=settings)
    assert result.path.read_bytes() == VIDEO
    assert result.filename == "video.mp4"  # named after the final URL


def test_refuses_a_sixth_redirect(
    file_server: tuple[str, list[str]], settings: Settings, tmp_path: Path
) -> None:
    base, _ = file_server
    with pytest.raises(ValidationError, match="redirects"):
        download(f"{base}/r/6", tmp_path / "f", settings=settings)


def test_every_hop_goes_through_the_guard(
    file_server: tuple[str, list[str]], settings: Settings, tmp_path: Path
) -> None:
    base, hosts = file_server
    port = base.rsplit(":", 1)[1]
    resolver = LoopbackResolver()
    url = f"http://first.test:{port}/to?http://second.test:{port}/video.mp4"
    download(url, tmp_path / "f", settings=settings, resolver=resolver)
    assert resolver.calls == ["first.test", "second.test"]
    assert hosts == [f"first.test:{port}", f"second.test:{port}"]  # Host kept while pinned


def test_a_redirect_to_a_forbidden_address_is_refused(
    file_server: tuple[str, list[str]], settings: Settings, tmp_path: Path
) -> None:
    base, hosts = file_server
    with pytest.raises(ValidationError, match="cloud metadata"):
        download(f"{base}/to?http://169.254.169.254/latest/", tmp_path / "f", settings=settings)
    assert len(hosts) == 1  # the redirect was read; the metadata address never contacted


def test_a_declared_size_over_the_limit_is_refused_before_reading(
    file_server: tuple[str, list[str]], settings: Settings, tmp_path: Path
) -> None:
    base, _ = file_server
    small = settings.model_copy(update={"max_download_bytes": 1000})
    with pytest.raises(PayloadTooLargeError, match="1000"):
        download(f"{base}/video.mp4", tmp_path / "f", settings=small)
    assert not (tmp_path / "f").exists()


def test_an_undeclared_size_is_counted_and_cut_off(
    file_server: tuple[str, list[str]], settings: Settings, tmp_path: Path
) -> None:
    base, _ = file_server
    small = settings.model_copy(update={"max_download_bytes": len(VIDEO) - 1})
    with pytest.raises(PayloadTooLargeError):
        download(f"{base}/chunked", tmp_path / "f", settings=small)
    assert not (tmp_path / "f").exists()
    exact = settings.model_copy(update={"max_download_bytes": len(VIDEO)})
    assert download(f"{base}/chunked", tmp_path / "g", settings=exact).size_bytes == len(VIDEO)


def test_a_slow_server_times_out(
    file_server: tuple[str, list[str]], settings: Settings, tmp_path: Path
) -> None:
    base, _ = file_server
    quick = settings.model_copy(update={"download_timeout_seconds": 0.3})
    with pytest.raises(ValidationError, match="timed out"):
        download(f"{base}/slow", tmp_path / "f", settings=quick)


def test_private_addresses_are_refused_unless_allowed(settings: Settings, tmp_path: Path) -> None:
    strict = settings.model_copy(update={"allow_private_urls": False})
    with pytest.raises(ValidationError, match="loopback"):
        download("http://127.0.0.1:9/video.mp4", tmp_path / "f", settings=strict)

"""The SSRF-safe fetcher against real HTTP(S) servers on loopback; DNS is faked, never used."""

import datetime
import gzip
import ipaddress
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from core import ssrf
from core.fetcher import (
    BadContentType,
    BadURL,
    BlockedAddress,
    FetchError,
    HTTPStatusError,
    TooLarge,
    TooManyRedirects,
    TooSlow,
    fetch,
)
from core.http import USER_AGENT

MB = 1024 * 1024
PAGE = b"<!doctype html><html><head><title>Hello</title></head><body>Hi</body></html>"

# --- a small real HTTP server -----------------------------------------------------------

Route = Callable[[BaseHTTPRequestHandler], None]


def respond(handler: BaseHTTPRequestHandler, status: int = 200, body: bytes = PAGE,
            headers: dict[str, str] | None = None, length: bool = True) -> None:
    lines = [f"HTTP/1.1 {status} X"]
    all_headers = {"Content-Type": "text/html; charset=utf-8", "Connection": "close", **(headers or {})}
    if length:
        all_headers.setdefault("Content-Length", str(len(body)))
    lines += [f"{k}: {v}" for k, v in all_headers.items()]
    handler.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)


def redirect(location: str, status: int = 302) -> Route:
    return lambda h: respond(h, status, b"", {"Location": location})


class LocalServer:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                server.requests.append((self.path, dict(self.headers)))
                route = server.routes.get(self.path.split("?")[0])
                if route is None:
                    respond(self, 404, b"not here")
                else:
                    route(self)

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # clients we cut off on purpose make the drip handlers fail

        self.httpd = Server(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str, host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    srv = LocalServer()
    yield srv
    srv.stop()


@pytest.fixture
def allow_loopback(settings) -> None:
    settings.FETCHER_ALLOWED_HOSTS = ["127.0.0.1"]


@pytest.fixture(autouse=True)
def no_allow_list(settings) -> None:
    settings.FETCHER_ALLOWED_HOSTS = []


class FakeDNS:
    """Answers for made-up names; numeric hosts and localhost go to the real resolver.

    Any other name fails as unknown (AI_NUMERICHOST), so no test can reach DNS or the
    internet even by mistake.
    """

    def __init__(self, real: Callable) -> None:
        self.real = real
        self.answers: dict[str, list[list[str]]] = {}
        self.calls: list[str] = []

    def add(self, name: str, *answers: list[str]) -> None:
        """Each call of getaddrinfo for ``name`` gets the next answer; the last one repeats."""
        self.answers[name] = list(answers)

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002 - mirrors socket
        name = host.decode() if isinstance(host, bytes) else str(host)
        self.calls.append(name)
        if name in self.answers:
            queue = self.answers[name]
            ips = queue.pop(0) if len(queue) > 1 else queue[0]
            result = []
            for ip in ips:
                if ipaddress.ip_address(ip).version == 6:
                    result.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (ip, port, 0, 0)))
                else:
                    result.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)))
            return result
        if name == "localhost":  # /etc/hosts, no DNS query
            return self.real(host, port, family, type, proto, flags)
        # Numeric forms (including 2130706433 and 0x7f.1) are parsed locally, never looked up.
        return self.real(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)


@pytest.fixture(autouse=True)
def dns(monkeypatch) -> FakeDNS:
    fake = FakeDNS(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return fake


# --- refused destinations ------------------------------------------------------------------

REFUSED = [
    ("http://127.0.0.1/", BlockedAddress, "The address 127.0.0.1 is a loopback address"),
    ("http://localhost/", BlockedAddress, "localhost leads to 127.0.0.1, which is a loopback address"),
    ("http://0.0.0.0/", BlockedAddress, "0.0.0.0 is an unspecified address"),
    ("http://10.0.0.1/", BlockedAddress,
     "The address 10.0.0.1 is a private network address; Chorus only fetches public web pages."),
    ("http://172.16.0.1/", BlockedAddress, "172.16.0.1 is a private network address"),
    ("http://192.168.1.1/", BlockedAddress, "192.168.1.1 is a private network address"),
    ("http://169.254.169.254/latest/meta-data/", BlockedAddress, "169.254.169.254 is a link-local address"),
    ("http://100.64.0.1/", BlockedAddress, "carrier-grade NAT"),
    ("http://224.0.1.1/", BlockedAddress, "multicast"),
    ("http://[::1]/", BlockedAddress, "::1 is a loopback address"),
    ("http://[fc00::1]/", BlockedAddress, "fc00::1 is a private network address"),
    ("http://[fe80::1]/", BlockedAddress, "link-local"),
    ("http://[fec0::1]/", BlockedAddress, "site-local"),
    ("http://[::ffff:127.0.0.1]/", BlockedAddress, "an IPv6 form of 127.0.0.1, which is a loopback address"),
    ("http://[::ffff:a00:1]/", BlockedAddress, "an IPv6 form of 10.0.0.1"),
    ("http://[2002:a00:1::1]/", BlockedAddress, "an IPv6 form of 10.0.0.1"),  # 6to4
    ("http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/", BlockedAddress, "an IPv6 form of 10.0.0.1"),  # teredo
    ("http://2130706433/", BlockedAddress, "2130706433 leads to 127.0.0.1"),
    ("http://0x7f.1/", BlockedAddress, "0x7f.1 leads to 127.0.0.1"),
    ("http://017700000001/", BlockedAddress, "017700000001 leads to 127.0.0.1"),
    ("http://intranet.example.com/wiki", BlockedAddress,
     "intranet.example.com leads to 10.1.2.3, which is a private network address"),
    ("ftp://example.com/", BadURL, "only fetches http:// and https:// links, not ftp: links"),
    ("file:///etc/passwd", BadURL, "not file: links"),
    ("gopher://example.com/", BadURL, "not gopher: links"),
    ("example.com/page", BadURL, "must start with http:// or https://"),
    ("http://user:pass@example.com/", BadURL, "user name or password"),
    ("http://example.com@127.0.0.1/", BadURL, "user name or password"),
    ("http://example.com/" + "a" * 2048, BadURL, "too long"),
    ("http://exa\nmple.com/", BadURL, "control characters"),
    ("http://[::1/", BadURL, "not look like a valid web address"),
    # IPv6 zone IDs name one of this server's interfaces (urllib3 used to crash on them).
    ("http://[fe80::1%25eth0]/", BadURL, "IPv6 zone ID"),
    ("http://[fe80::1%eth0]/", BadURL, "IPv6 zone ID"),
    ("https://[2001:db8::1%251]/page", BadURL, "IPv6 zone ID"),
]


@pytest.mark.parametrize(("url", "error", "reason"), REFUSED, ids=[r[0][:60] for r in REFUSED])
def test_refused_with_a_clear_reason(url, error, reason, dns, monkeypatch):
    dns.add("intranet.example.com", ["10.1.2.3"])
    connects = []
    monkeypatch.setattr(ssrf, "_connect", lambda *a: connects.append(a))
    with pytest.raises(error) as info:
        fetch(url)
    assert reason in info.value.reason
    assert str(info.value) == info.value.reason
    assert connects == []  # refused before any socket was opened


def test_a_name_with_one_private_answer_among_public_ones_is_refused(dns, monkeypatch):
    dns.add("mixed.example", ["93.184.216.34", "192.168.0.9"])
    connects = []
    monkeypatch.setattr(ssrf, "_connect", lambda *a: connects.append(a))
    with pytest.raises(BlockedAddress, match="mixed.example leads to 192.168.0.9"):
        fetch("http://mixed.example/")
    assert connects == []


def test_unknown_host_name():
    with pytest.raises(FetchError, match="could not be found") as info:
        fetch("http://no-such-host.example/")
    assert type(info.value) is FetchError


def test_allow_list_admits_listed_address_name_or_network_only(server, settings):
    server.routes["/"] = respond
    settings.FETCHER_ALLOWED_HOSTS = ["127.0.0.0/8"]
    assert fetch(server.url("/")).body == PAGE
    settings.FETCHER_ALLOWED_HOSTS = ["localhost"]
    assert fetch(server.url("/", host="localhost")).body == PAGE
    with pytest.raises(BlockedAddress):  # the name is allowed, not the address behind it
        fetch(server.url("/"))
    settings.FETCHER_ALLOWED_HOSTS = ["10.0.0.0/8"]
    with pytest.raises(BlockedAddress):
        fetch(server.url("/"))


# --- redirects -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "error", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", BlockedAddress, "169.254.169.254 is a link-local address"),
        ("http://10.0.0.1/admin", BlockedAddress, "10.0.0.1 is a private network address"),
        ("http://[::1]/", BlockedAddress, "loopback"),
        ("http://db.corp.example/", BlockedAddress, "db.corp.example leads to 10.20.30.40"),
        ("file:///etc/passwd", BadURL, "not file: links"),
    ],
)
def test_redirect_from_an_allowed_host_to_a_forbidden_one_is_refused(
    server, allow_loopback, dns, location, error, reason
):
    dns.add("db.corp.example", ["10.20.30.40"])
    server.routes["/go"] = redirect(location)
    with pytest.raises(error) as info:
        fetch(server.url("/go"))
    assert info.value.reason.startswith("The link redirects to an address Chorus does not fetch.")
    assert reason in info.value.reason
    assert [path for path, _ in server.requests] == ["/go"]


def test_good_page_after_a_relative_redirect(server, allow_loopback):
    server.routes["/short"] = redirect("/articles/launch?ref=short", status=301)
    server.routes["/articles/launch"] = respond
    result = fetch(server.url("/short"))
    assert result.url == server.url("/articles/launch?ref=short")
    assert result.redirects == [server.url("/short")]
    assert (result.status, result.content_type, result.charset, result.body) == (200, "text/html", "utf-8", PAGE)
    path, headers = server.requests[-1]
    assert path == "/articles/launch?ref=short"
    assert headers["User-Agent"] == USER_AGENT
    assert headers["Host"] == f"127.0.0.1:{server.port}"


def test_three_redirects_are_followed_four_are_refused(server, allow_loopback):
    for n in range(1, 5):
        server.routes[f"/r{n}"] = redirect(f"/r{n - 1}", status=307)
    server.routes["/r0"] = respond
    assert len(fetch(server.url("/r3")).redirects) == 3
    with pytest.raises(TooManyRedirects, match="more than 3 times"):
        fetch(server.url("/r4"))


# --- DNS rebinding: the address connected to is the address checked -------------------------


def test_host_is_resolved_once_and_the_checked_address_is_used(server, allow_loopback, dns):
    # A rebinding name: the first answer passes the policy, later ones point inside.
    dns.add("news.example", ["127.0.0.1"], ["10.0.0.7"])
    server.routes["/story"] = respond
    result = fetch(server.url("/story", host="news.example"))
    assert result.body == PAGE
    assert dns.calls.count("news.example") == 1
    assert server.requests[0][1]["Host"] == f"news.example:{server.port}"  # Host header keeps the name


def test_every_new_connection_checks_its_own_resolution(server, allow_loopback, dns):
    dns.add("news.example", ["127.0.0.1"], ["10.0.0.7"])
    server.routes["/a"] = redirect("/b")
    server.routes["/b"] = respond
    with pytest.raises(BlockedAddress, match="news.example leads to 10.0.0.7"):
        fetch(server.url("/a", host="news.example"))
    assert [path for path, _ in server.requests] == ["/a"]


def test_rebinding_from_public_to_private_never_reaches_the_private_address(server, dns, monkeypatch):
    """First answer public, second private: only the validated public address is connected to."""
    dns.add("rebind.example", ["93.184.216.34"], ["10.0.0.7"])
    server.routes["/"] = respond
    real_connect = ssrf._connect
    connected_to = []

    def connect_but_stay_local(family, sockaddr, timeout):
        connected_to.append(sockaddr[0])  # where the fetcher chose to go
        return real_connect(socket.AF_INET, ("127.0.0.1", server.port), timeout)

    monkeypatch.setattr(ssrf, "_connect", connect_but_stay_local)
    assert fetch(f"http://rebind.example:{server.port}/").body == PAGE
    assert connected_to == ["93.184.216.34"]
    assert dns.calls.count("rebind.example") == 1


# --- size, time, type, status ----------------------------------------------------------------


def big_body(handler, framing: str) -> None:
    body = b"<p>" + b"x" * (3 * MB)
    try:
        if framing == "chunked":
            respond(handler, body=b"", headers={"Transfer-Encoding": "chunked"}, length=False)
            for start in range(0, len(body), 256 * 1024):
                piece = body[start:start + 256 * 1024]
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            handler.wfile.write(b"0\r\n\r\n")
        else:
            respond(handler, body=body, length=framing == "length")
    except OSError:
        pass  # the fetcher hung up once it had enough


def test_too_large_refused_early_by_content_length(server, allow_loopback):
    def announces_big_then_stalls(h):
        h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 10485760\r\n\r\n")
        h.wfile.flush()
        time.sleep(3)

    server.routes["/"] = announces_big_then_stalls
    started = time.monotonic()
    with pytest.raises(TooLarge, match="The page is larger than 2 MB"):
        fetch(server.url("/"))
    assert time.monotonic() - started < 2  # did not wait for the stalled body


@pytest.mark.parametrize("framing", ["length", "close", "chunked"])
def test_bodies_over_2_mb_are_refused_with_or_without_content_length(server, allow_loopback, framing):
    server.routes["/"] = lambda h: big_body(h, framing)
    with pytest.raises(TooLarge, match="larger than 2 MB"):
        fetch(server.url("/"))


def test_a_gzip_bomb_is_measured_after_decompression(server, allow_loopback):
    bomb = gzip.compress(b"\0" * (8 * MB))
    server.routes["/"] = lambda h: respond(h, body=bomb, headers={"Content-Encoding": "gzip"})
    assert len(bomb) < 100_000
    with pytest.raises(TooLarge):
        fetch(server.url("/"))


def test_max_bytes_is_the_limit(server, allow_loopback):
    server.routes["/"] = respond
    assert fetch(server.url("/"), max_bytes=len(PAGE)).body == PAGE
    with pytest.raises(TooLarge, match=f"larger than {len(PAGE) - 1} bytes"):
        fetch(server.url("/"), max_bytes=len(PAGE) - 1)


def sleepy(h):
    time.sleep(3)
    respond(h)


def drip_body(h):
    h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 200\r\n\r\n")
    for _ in range(200):
        h.wfile.write(b"x")
        h.wfile.flush()
        time.sleep(0.02)


def drip_headers(h):
    for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Padding: " + b"y" * 200:
        h.wfile.write(bytes([byte]))
        h.wfile.flush()
        time.sleep(0.02)


@pytest.mark.parametrize("route", [sleepy, drip_body, drip_headers], ids=["silent", "drip-body", "drip-headers"])
def test_slow_servers_are_cut_off_at_the_deadline(server, allow_loopback, route):
    server.routes["/"] = route
    started = time.monotonic()
    with pytest.raises(TooSlow, match="took longer than 0.5 seconds"):
        fetch(server.url("/"), timeout=0.5)
    assert time.monotonic() - started < 2.0  # each server would take 3 s or more


@pytest.mark.parametrize("content_type", ["application/pdf", "image/png", "application/json", ""])
def test_non_html_refused_by_default(server, allow_loopback, content_type):
    server.routes["/"] = lambda h: respond(h, body=b"%PDF-1.4", headers={"Content-Type": content_type})
    with pytest.raises(BadContentType, match="not a web page"):
        fetch(server.url("/"))


def test_accepted_types_are_configurable_with_wildcards(server, allow_loopback):
    server.routes["/logo"] = lambda h: respond(h, body=b"\x89PNG...", headers={"Content-Type": "image/png"})
    server.routes["/feed"] = lambda h: respond(
        h, body=b"<rss/>", headers={"Content-Type": "application/rss+xml; charset=ISO-8859-1"}
    )
    assert fetch(server.url("/logo"), accept=("image/*",)).content_type == "image/png"
    feed = fetch(server.url("/feed"), accept=("application/rss+xml", "text/xml"))
    assert (feed.content_type, feed.charset) == ("application/rss+xml", "ISO-8859-1")
    with pytest.raises(BadContentType, match="not an RSS or Atom feed"):
        fetch(server.url("/logo"), accept=("application/rss+xml",))


@pytest.mark.parametrize(
    ("status", "reason"),
    [(404, r"not found \(HTTP 404 Not Found\)"), (403, "refused access"), (503, "server error"), (304, "HTTP 304")],
)
def test_non_2xx_final_status(server, allow_loopback, status, reason):
    server.routes["/"] = lambda h: respond(h, status, b"nope")
    with pytest.raises(HTTPStatusError, match=reason) as info:
        fetch(server.url("/"))
    assert info.value.status == status


def test_connection_refused(allow_loopback):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FetchError, match="could not connect to 127.0.0.1"):
        fetch(f"http://127.0.0.1:{port}/")


def test_query_strings_are_not_logged(server, allow_loopback, caplog):
    server.routes["/"] = respond
    with caplog.at_level(logging.INFO, logger="core.fetcher"):
        fetch(server.url("/?token=s3cret-value"))
        with pytest.raises(BlockedAddress):
            fetch("http://10.0.0.1/reset?token=s3cret-value")
    assert "127.0.0.1" in caplog.text and "10.0.0.1" in caplog.text
    assert "s3cret" not in caplog.text


# --- TLS: connected to the pinned IP, verified for the host name --------------------------------


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory) -> tuple[Path, Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Chorus test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(1).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "secure.example")]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("secure.example")]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "cert.pem").write_bytes(cert.public_bytes(pem))
    (folder / "key.pem").write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return folder / "ca.pem", folder / "cert.pem", folder / "key.pem"


@pytest.fixture
def tls_server(tls_files) -> Iterator[tuple[LocalServer, list[str | None]]]:
    _ca, cert, key = tls_files
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    sni_names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: sni_names.append(name)
    srv = LocalServer(tls=context)
    srv.routes["/"] = respond
    yield srv, sni_names
    srv.stop()


def test_https_connects_to_the_pinned_ip_but_verifies_the_host_name(tls_server, tls_files, settings, dns):
    srv, sni_names = tls_server
    settings.FETCHER_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.FETCHER_CA_BUNDLE = str(tls_files[0])
    dns.add("secure.example", ["127.0.0.1"])
    result = fetch(srv.url("/", host="secure.example", scheme="https"))
    assert result.body == PAGE
    assert sni_names == ["secure.example"]
    assert srv.requests[0][1]["Host"] == f"secure.example:{srv.port}"


def test_https_with_a_certificate_for_another_name_is_refused(tls_server, tls_files, settings, dns):
    srv, _ = tls_server
    settings.FETCHER_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.FETCHER_CA_BUNDLE = str(tls_files[0])
    dns.add("impostor.example", ["127.0.0.1"])
    with pytest.raises(FetchError, match="certificate could not be verified"):
        fetch(srv.url("/", host="impostor.example", scheme="https"))
    assert srv.requests == []

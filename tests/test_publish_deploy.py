"""The documented nginx and Apache configurations, run for real against a site.

Skipped where nginx (with the njs module) or Apache httpd is not installed. Each answers the
same negotiation table as `kgtool serve`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from site_fixtures import BASE, write_fixture_graph
from test_publish_serve import BROWSER, SICI_IRI, path_of
from test_publish_serve import request as http_request

from kgtool.publish import build_site

DEPLOY = Path(__file__).resolve().parents[1] / "docs" / "deploy"
NJS_MODULE = Path("/usr/lib/nginx/modules/ngx_http_js_module.so")
APACHE_MODULES = Path("/usr/lib/apache2/modules")

CASES = [
    ("text/turtle", ".ttl"),
    ("application/ld+json", ".jsonld"),
    ("application/n-triples", ".nt"),
    (BROWSER, "/"),
    (None, "/"),
    ("text/turtle;q=0.5, application/ld+json;q=0.9", ".jsonld"),
    ("text/html;q=0.2, application/n-triples;q=0.3, text/turtle;q=0.25", ".nt"),
    ("*/*;q=0.1, text/turtle", ".ttl"),
    ("text/turtle, application/ld+json", ".ttl"),
    ("text/*", "/"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, proc: subprocess.Popen, log: Path) -> None:
    for _ in range(100):
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise RuntimeError(f"server exited: {err} {log.read_text() if log.exists() else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


@contextmanager
def running(cmd: list[str], port: int, log: Path, env: dict | None = None):
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        wait_for(port, proc, log)
        yield f"http://127.0.0.1:{port}/kg/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stderr.close()


@pytest.fixture(scope="module")
def www(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("deploy")
    _, graph = write_fixture_graph(folder)
    build_site(graph, folder / "www" / "kg", BASE)  # the folder is named after the base's path
    os.chmod(folder, 0o755)
    return folder


def check_negotiation(url: str) -> None:
    for accept, suffix in CASES:
        resp, _ = http_request(url, path_of(SICI_IRI), accept)
        assert resp.status == 303, (accept, resp.status)
        # servers may re-encode the path differently ('%3c' for '%3C', '(' for '%28'): compare decoded
        location = urlsplit(resp.getheader("Location")).path
        assert unquote(location) == unquote(path_of(SICI_IRI)) + suffix, (accept, location)
        assert "Accept" in resp.getheader("Vary", ""), accept
    resp, _ = http_request(url, path_of(SICI_IRI), "image/png")
    assert resp.status == 406
    for suffix, ctype in ((".ttl", "text/turtle"), (".jsonld", "application/ld+json"), (".nt", "application/n-triples")):
        resp, body = http_request(url, path_of(SICI_IRI) + suffix)
        assert resp.status == 200 and resp.getheader("Content-Type").startswith(ctype) and body, suffix
    resp, body = http_request(url, path_of(SICI_IRI) + "/")
    assert resp.status == 200 and b"&lt;script&gt;" in body
    resp, _ = http_request(url, "/kg/.kgtool-site")
    assert resp.status in (403, 404)


def test_documented_nginx_config(www, tmp_path):
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not nginx or not NJS_MODULE.exists():
        pytest.skip("nginx with the njs module is not installed (apt-get install nginx libnginx-mod-http-js)")
    port = free_port()
    site_conf = (DEPLOY / "nginx.conf").read_text()
    site_conf = site_conf.replace("listen 80;", f"listen 127.0.0.1:{port};").replace("root /srv/www;", f"root {www / 'www'};")
    shutil.copy(DEPLOY / "kgtool-negotiate.js", tmp_path / "kgtool-negotiate.js")
    (tmp_path / "site.conf").write_text(site_conf)
    for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / d).mkdir()
    (tmp_path / "nginx.conf").write_text(f"""
load_module {NJS_MODULE};
user root;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
daemon off;
events {{}}
http {{
    access_log off;
    default_type application/octet-stream;
    js_path {tmp_path};
    client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi; uwsgi_temp_path {tmp_path}/uwsgi; scgi_temp_path {tmp_path}/scgi;
    include {tmp_path}/site.conf;
}}
""")
    with running([nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")], port, tmp_path / "error.log") as url:
        check_negotiation(url)


def test_documented_apache_config(www, tmp_path, request):
    httpd = shutil.which("apache2") or ("/usr/sbin/apache2" if Path("/usr/sbin/apache2").exists() else None)
    if not httpd or not APACHE_MODULES.is_dir():
        pytest.skip("Apache httpd is not installed (apt-get install apache2)")
    port = free_port()
    # httpd refuses to serve as root: its user must be able to read the site
    public = Path(tempfile.mkdtemp(prefix="kgtool-apache-"))
    request.addfinalizer(lambda: shutil.rmtree(public, ignore_errors=True))
    os.chmod(public, 0o755)
    shutil.copytree(www / "www", public / "www")
    conf = (DEPLOY / "apache.conf").read_text()
    conf = (conf.replace("<VirtualHost *:80>", f"<VirtualHost 127.0.0.1:{port}>")
            .replace("/srv/www", str(public / "www"))
            .replace("/usr/bin/python3 -m kgtool.publish.negotiate", f"{sys.executable} -m kgtool.publish.negotiate"))
    modules = ["mpm_prefork", "authz_core", "mime", "rewrite", "headers", "alias", "dir"]
    loads = "\n".join(f"LoadModule {m}_module {APACHE_MODULES}/mod_{m}.so" for m in modules)
    (tmp_path / "httpd.conf").write_text(f"""
{loads}
ServerRoot {tmp_path}
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {tmp_path}/httpd.pid
ErrorLog {tmp_path}/error.log
Mutex file:{tmp_path}
User nobody
Group nogroup
DirectoryIndex index.html
TypesConfig /etc/mime.types
{conf}
""")
    with running([httpd, "-X", "-f", str(tmp_path / "httpd.conf")], port, tmp_path / "error.log") as url:
        check_negotiation(url)

"""TLS, mutual TLS, authentication, roles and quotas with stock pyarrow clients.

Certificates are made per run by the OpenSSL commands of README.md's "Deploying" section (run as
they are written there), secrets by `scripts/wasm-flight hash-secret`; no test turns verification
off. The section's ```py blocks run here too, against the servers these fixtures start.
"""

import base64
import json
import re
import secrets
import shutil
import subprocess
import threading

import pyarrow as pa
import pyarrow.flight as flight
import pytest

from conftest import REPO_ROOT, SERVER_SCRIPT

README = REPO_ROOT / "README.md"
PASSWORD = "s3cret " + secrets.token_hex(8)


def deploying_section():
    text = README.read_text(encoding="utf-8")
    start = text.index("## Deploying")
    end = text.index("\n## ", start + 5)
    return text[start:end]


def fenced(lang):
    return re.findall(rf"^```{lang}[ \t]*\n(.*?)^```[ \t]*$", deploying_section(),
                      re.DOTALL | re.MULTILINE)


@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.fail("openssl is required to make the test certificates", pytrace=False)
    d = tmp_path_factory.mktemp("tls")
    block = next(b for b in fenced("sh") if "openssl req -x509" in b)
    subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=d, check=True,
                   capture_output=True)
    for f in ("ca.pem", "server.pem", "server.key", "client.pem", "client.key"):
        assert (d / f).stat().st_size > 0, f
    return d


def hash_secret(*args, stdin=None):
    out = subprocess.run([str(SERVER_SCRIPT), "hash-secret", *args], input=stdin,
                         capture_output=True, text=True, check=True, timeout=120)
    return out.stdout


@pytest.fixture(scope="module")
def users(tls_dir):
    lines = hash_secret("--new-token").splitlines()
    token = lines[0].split()[-1]
    stored = lines[1].split()[-1]
    assert stored == hash_secret("--token", stdin=token + "\n").strip()
    password_hash = hash_secret(stdin=PASSWORD + "\n").strip()
    assert password_hash.startswith("pbkdf2-sha256$310000$")
    path = tls_dir / "users"
    path.write_text(f"user alice admin {password_hash}\n"
                    f"token ci caller {stored}\n")
    return {"path": path, "token": token}


@pytest.fixture(scope="module")
def tls_server(start_server, tls_dir, users):
    return start_server("--tls-cert", str(tls_dir / "server.pem"),
                        "--tls-key", str(tls_dir / "server.key"),
                        "--users-file", str(users["path"]),
                        "--register-rate", "3")


@pytest.fixture(scope="module")
def mtls_server(start_server, tls_dir, users):
    return start_server("--tls-cert", str(tls_dir / "server.pem"),
                        "--tls-key", str(tls_dir / "server.key"),
                        "--tls-client-ca", str(tls_dir / "ca.pem"),
                        "--users-file", str(users["path"]))


def connect(server, tls_dir, **kwargs):
    return flight.connect(server.location, tls_root_certs=(tls_dir / "ca.pem").read_bytes(),
                          **kwargs)


def bearer(token):
    return flight.FlightCallOptions(headers=[(b"authorization", b"Bearer " + token.encode())])


def test_the_server_says_how_it_is_secured(tls_server, mtls_server):
    assert tls_server.location.startswith("grpc+tls://127.0.0.1:")
    line = next(l for l in tls_server.stdout_lines if l.startswith("wasm-flight security:"))
    assert "TLS (certificate" in line and "users file" in line and "mutual" not in line
    line = next(l for l in mtls_server.stdout_lines if l.startswith("wasm-flight security:"))
    assert "mutual TLS (client certificates verified against" in line


def test_deploying_examples_run_as_documented(tls_server, mtls_server, tls_dir, users,
                                              examples_dir, monkeypatch):
    monkeypatch.chdir(tls_dir)
    monkeypatch.setenv("WASM_FLIGHT_PASSWORD", PASSWORD)
    monkeypatch.setenv("WASM_FLIGHT_TOKEN", users["token"])
    namespace = {"__name__": "__deploying__", "LOCATION": tls_server.location,
                 "MTLS_LOCATION": mtls_server.location, "EXAMPLES_DIR": str(examples_dir)}
    blocks = fenced("py")
    assert len(blocks) >= 3
    # The mTLS server has its own data directory: register the module there as well.
    for i, code in enumerate(blocks):
        if "MTLS_LOCATION" in code:
            c = connect(mtls_server, tls_dir, cert_chain=(tls_dir / "client.pem").read_bytes(),
                        private_key=(tls_dir / "client.key").read_bytes())
            opts = flight.FlightCallOptions(
                headers=[c.authenticate_basic_token("alice", PASSWORD)])
            list(c.do_action(flight.Action("register", namespace["body"]), options=opts))
        exec(compile(code, f"README.md Deploying block {i}", "exec"), namespace)  # noqa: S102


def test_a_wrong_password_and_a_wrong_token_are_unauthenticated(tls_server, tls_dir):
    c = connect(tls_server, tls_dir)
    with pytest.raises(flight.FlightUnauthenticatedError, match="wrong user name or password"):
        c.authenticate_basic_token("alice", "not the password")
    with pytest.raises(flight.FlightUnauthenticatedError, match="unknown or expired bearer"):
        list(c.do_action(flight.Action("list", b""), options=bearer("nope")))
    with pytest.raises(flight.FlightUnauthenticatedError, match="requires authentication"):
        list(c.list_flights())


def test_a_caller_is_refused_every_admin_action(tls_server, tls_dir, users):
    c = connect(tls_server, tls_dir)
    caller = bearer(users["token"])
    for action, body in (("register", {"name": "m", "wasm": "AGFzbQEAAAA="}),
                         ("unregister", {"name": "m"})):
        with pytest.raises(flight.FlightUnauthorizedError,
                           match=f"action '{action}' needs role 'admin'; principal 'ci' has "
                                 "'caller'"):
            list(c.do_action(flight.Action(action, json.dumps(body).encode()), options=caller))
    list(c.list_flights(options=caller))  # what a caller may do, it can


def test_mutual_tls_needs_a_client_certificate(mtls_server, tls_dir, users):
    with pytest.raises(flight.FlightUnavailableError):
        list(connect(mtls_server, tls_dir).do_action(flight.Action("list", b""),
                                                     options=bearer(users["token"])))
    c = connect(mtls_server, tls_dir, cert_chain=(tls_dir / "client.pem").read_bytes(),
                private_key=(tls_dir / "client.key").read_bytes())
    list(c.do_action(flight.Action("list", b""), options=bearer(users["token"])))


def test_an_untrusted_server_certificate_is_refused(tls_server, tmp_path):
    other = tmp_path / "other.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=someone else", "-keyout", str(tmp_path / "other.key"),
                    "-out", str(other)], check=True, capture_output=True)
    c = flight.connect(tls_server.location, tls_root_certs=other.read_bytes())
    with pytest.raises(flight.FlightUnavailableError):
        list(c.list_flights())


def test_register_rate(tls_server, tls_dir, example_wasm):
    c = connect(tls_server, tls_dir)
    admin = flight.FlightCallOptions(headers=[c.authenticate_basic_token("alice", PASSWORD)])
    body = json.dumps({"name": "rate",
                       "wasm": base64.b64encode(example_wasm["add_one"]).decode()}).encode()
    with pytest.raises(pa.ArrowInvalid, match=r"register calls in the last minute, the cap "
                                              r"\(--register-rate\); retry in \d+ ms"):
        for _ in range(4):  # the docs test may have used one of the 3 already
            list(c.do_action(flight.Action("register", body), options=admin))


def test_sessions_past_the_cap_are_refused_while_the_admitted_one_works(start_server,
                                                                       example_wasm):
    s = start_server("--max-sessions", "1")
    c = flight.connect(s.location)
    body = json.dumps({"name": "cap",
                       "wasm": base64.b64encode(example_wasm["add_one"]).decode()}).encode()
    list(c.do_action(flight.Action("register", body)))
    descriptor = flight.FlightDescriptor.for_path("cap", "add_one")
    schema = pa.schema([("x", pa.int64())])
    writer, reader = c.do_exchange(descriptor)
    writer.begin(schema)
    writer.write_batch(pa.record_batch([pa.array([1, 2], pa.int64())], schema=schema))
    assert reader.read_chunk().data.column(0).to_pylist() == [2, 3]
    for _ in range(3):
        w2, r2 = c.do_exchange(descriptor)
        with pytest.raises(pa.ArrowInvalid, match=r"the server has 1 sessions open, its cap "
                                                  r"\(--max-sessions\)"):
            w2.begin(schema)
            w2.write_batch(pa.record_batch([pa.array([5], pa.int64())], schema=schema))
            w2.done_writing()
            try:
                r2.read_all()
            finally:
                w2.close()  # reports the same status again
    writer.write_batch(pa.record_batch([pa.array([10], pa.int64())], schema=schema))
    assert reader.read_chunk().data.column(0).to_pylist() == [11]
    writer.done_writing()
    writer.close()

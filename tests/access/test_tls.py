"""TLS and passwords, on a throwaway PostgreSQL 15 cluster that accepts only hostssl + SCRAM.

The cluster gets its own port on 127.0.0.1, a data folder under the test's temporary
folder, and a server certificate for 127.0.0.1 and localhost signed by a CA made here.
Its pg_hba.conf rejects every connection without TLS. It is stopped and deleted at the
end, also when a test fails.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import psycopg2
import pytest
import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from customer_warehouse.access import PASSWORD_VARIABLES, apply_access
from customer_warehouse.db import psycopg2_dsn
from customer_warehouse.warehouse import bootstrap
from tests.support import make_settings

PG_BIN = Path("/usr/lib/postgresql/15/bin")


@dataclass(frozen=True)
class Authority:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_authority(common_name: str) -> Authority:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(key, hashes.SHA256())
    )
    return Authority(key, cert)


def make_server_cert(authority: Authority) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(authority.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(authority.key, hashes.SHA256())
    )
    return key, cert


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user(argv: list[str]) -> list[str]:
    # initdb refuses to run as root, so root runs the server tools as the postgres user.
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def _give_to_server_user(folder: Path) -> None:
    if os.geteuid() != 0:
        return
    account = pwd.getpwnam("postgres")
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, account.pw_uid, account.pw_gid)


def _run(argv: list[str]) -> None:
    result = subprocess.run(_as_server_user(argv), capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"{argv[0]} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"


def _configure(data: Path, port: int, authority: Authority) -> None:
    """Write the server certificate and a configuration that accepts only TLS with SCRAM."""
    server_key, server_cert = make_server_cert(authority)
    (data / "server.crt").write_bytes(_pem(server_cert))
    (data / "server.key").write_bytes(_key_pem(server_key))
    (data / "server.key").chmod(0o600)
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(
            f"listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = ''\n"
            "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n"
            "password_encryption = 'scram-sha-256'\nfsync = off\n"
        )
    (data / "pg_hba.conf").write_text(
        "hostnossl all all 127.0.0.1/32 reject\nhostssl all all 127.0.0.1/32 scram-sha-256\n"
    )


@dataclass(frozen=True)
class TlsCluster:
    port: int
    ca_file: Path
    other_ca_file: Path
    superuser_password: str

    def url(self, user: str, password: str, database: str = "postgres", **options: str) -> str:
        query = {"sslmode": "verify-full", "sslrootcert": str(self.ca_file), **options}
        return sa.engine.URL.create(
            "postgresql+psycopg2", user, password, "127.0.0.1", self.port, database, query
        ).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def tls_cluster() -> Iterator[TlsCluster]:
    assert (PG_BIN / "initdb").is_file(), f"PostgreSQL 15 server tools not found in {PG_BIN}"
    # Not under pytest's base folder: pytest keeps that private to the user running it,
    # and the server user must reach the data folder.
    folder = Path(tempfile.mkdtemp(prefix="cw-tls-cluster-"))
    folder.chmod(0o755)
    data = folder / "data"
    authority = make_authority("cw test CA")
    other = make_authority("cw untrusted CA")
    (folder / "ca.crt").write_bytes(_pem(authority.cert))
    (folder / "other-ca.crt").write_bytes(_pem(other.cert))
    password = secrets.token_urlsafe(24)
    (folder / "pwfile").write_text(password + "\n")
    port = _free_port()
    _give_to_server_user(folder)
    started = False
    try:
        _run([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--pwfile", str(folder / "pwfile"),
              "--auth", "scram-sha-256", "-E", "UTF8", "--no-sync"])  # fmt: skip
        _configure(data, port, authority)
        _give_to_server_user(folder)
        _run([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w", "start"])
        started = True
        yield TlsCluster(port, folder / "ca.crt", folder / "other-ca.crt", password)
    finally:
        if started:
            _run([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def tls_settings(tls_cluster: TlsCluster, tmp_path_factory: pytest.TempPathFactory):
    """Apply the access policy on the TLS cluster; return the settings and the role passwords."""
    passwords = {variable: secrets.token_urlsafe(24) for variable in PASSWORD_VARIABLES.values()}
    pipeline_password = passwords["CW_PIPELINE_DB_PASSWORD"]
    cfg = make_settings(
        tmp_path_factory.mktemp("tls_home"),
        warehouse_url=tls_cluster.url("cw_pipeline", pipeline_password, "warehouse"),
    )
    cfg = replace(
        cfg,
        vault_url=tls_cluster.url("cw_pipeline", pipeline_password, "vault"),
        admin_url=tls_cluster.url("postgres", tls_cluster.superuser_password),
        role_prefix="cw_",
    )
    apply_access(cfg, passwords)
    return cfg, passwords


def _ssl_in_use(url: str) -> bool:
    conn = psycopg2.connect(psycopg2_dsn(url))
    try:
        with conn.cursor() as cur:
            cur.execute("select ssl from pg_stat_ssl where pid = pg_backend_pid()")
            return cur.fetchone()[0]
    finally:
        conn.close()


def test_pipeline_connects_verify_full(tls_settings) -> None:
    cfg, _ = tls_settings
    engine = sa.create_engine(cfg.warehouse_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                sa.text("select current_user, ssl from pg_stat_ssl where pid = pg_backend_pid()")
            ).one()
    finally:
        engine.dispose()
    assert tuple(row) == ("cw_pipeline", True)


def test_copy_connection_uses_tls(tls_settings) -> None:
    cfg, _ = tls_settings
    assert "sslmode='verify-full'" in psycopg2_dsn(cfg.warehouse_url)
    assert _ssl_in_use(cfg.warehouse_url) is True


def test_pipeline_bootstrap_over_tls(tls_settings) -> None:
    cfg, _ = tls_settings
    engine = bootstrap(cfg.warehouse_url)
    try:
        with engine.connect() as conn:
            owner = conn.scalar(
                sa.text("select pg_get_userbyid(nspowner) from pg_namespace where nspname = 'raw'")
            )
    finally:
        engine.dispose()
    assert owner == "cw_pipeline"


def test_dbt_connects_verify_full(tls_settings, tmp_path: Path) -> None:
    cfg, _ = tls_settings
    env = {
        **os.environ,
        "CW_HOME": str(tmp_path),
        "CW_WAREHOUSE_URL": cfg.warehouse_url,
        "CW_PSEUDONYM_KEY": secrets.token_hex(16),
    }
    assert cfg.dbt_env()["CW_DBT_SSLMODE"] == "verify-full"
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cw-dbt"), "--no-use-colors", "debug"],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "Connection test: [OK connection ok]" in result.stdout


def test_plain_text_refused(tls_settings, tls_cluster: TlsCluster) -> None:
    _, passwords = tls_settings
    url = tls_cluster.url("cw_pipeline", passwords["CW_PIPELINE_DB_PASSWORD"], "warehouse", sslmode="disable")
    with pytest.raises(psycopg2.OperationalError, match="no encryption"):
        psycopg2.connect(psycopg2_dsn(url)).close()


def test_wrong_password_refused(tls_settings, tls_cluster: TlsCluster) -> None:
    url = tls_cluster.url("cw_pipeline", "not-the-password", "warehouse")
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        psycopg2.connect(psycopg2_dsn(url)).close()


def test_other_role_password_refused(tls_settings, tls_cluster: TlsCluster) -> None:
    _, passwords = tls_settings
    url = tls_cluster.url("cw_analyst", passwords["CW_PIPELINE_DB_PASSWORD"], "warehouse")
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        psycopg2.connect(psycopg2_dsn(url)).close()


def test_untrusted_ca_refused(tls_settings, tls_cluster: TlsCluster) -> None:
    _, passwords = tls_settings
    url = tls_cluster.url(
        "cw_pipeline",
        passwords["CW_PIPELINE_DB_PASSWORD"],
        "warehouse",
        sslrootcert=str(tls_cluster.other_ca_file),
    )
    with pytest.raises(psycopg2.OperationalError, match="certificate verify failed"):
        psycopg2.connect(psycopg2_dsn(url)).close()


@pytest.mark.parametrize(("role", "variable"), [("cw_analyst", "CW_ANALYST_DB_PASSWORD"),
                                                 ("cw_dashboard", "CW_DASHBOARD_DB_PASSWORD")])  # fmt: skip
def test_reader_password_accepted(tls_settings, tls_cluster: TlsCluster, role: str, variable: str) -> None:
    _, passwords = tls_settings
    assert _ssl_in_use(tls_cluster.url(role, passwords[variable], "warehouse")) is True


def test_officer_password_accepted_on_vault(tls_settings, tls_cluster: TlsCluster) -> None:
    _, passwords = tls_settings
    url = tls_cluster.url("cw_privacy_officer", passwords["CW_PRIVACY_OFFICER_DB_PASSWORD"], "vault")
    assert _ssl_in_use(url) is True

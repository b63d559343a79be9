"""The bucket store, against moto's S3-compatible server on 127.0.0.1, through ``cw backup``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request

import boto3
import pytest
from moto.server import ThreadedMotoServer

BUCKET = "cw-backups"
PREFIX = "nightly/site-a"
CONN_ID = "cw_backup_s3"
S3_SECRET = "s3-secret-for-tests-only"


@pytest.fixture()
def s3_server():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key=S3_SECRET,
    )
    client.create_bucket(Bucket=BUCKET)
    yield endpoint, client
    # moto keeps its buckets in the process, not in the server: empty them for the next test.
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=30)
    server.stop()


def _cw(case, endpoint: str, *args: str) -> subprocess.CompletedProcess:
    connection = {
        "conn_type": "aws",
        "login": "testing",
        "password": S3_SECRET,
        "extra": {"endpoint_url": endpoint, "region_name": "us-east-1"},
    }
    env = {
        **os.environ,
        **case.env,
        "AIRFLOW_HOME": str(case.home / "airflow"),
        f"AIRFLOW_CONN_{CONN_ID.upper()}": json.dumps(connection),
        "CW_BACKUP_S3_URI": f"s3://{BUCKET}/{PREFIX}",
        "CW_BACKUP_S3_CONN_ID": CONN_ID,
        "CW_BACKUP_KEEP_DAILY": "0",
        "CW_BACKUP_KEEP_WEEKLY": "0",
        "CW_BACKUP_KEEP_MONTHLY": "0",
    }
    return subprocess.run(
        [sys.executable, "-m", "customer_warehouse.cli", "backup", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _keys(client) -> list[str]:
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_backup_drill_retention_in_bucket(backup_case, s3_server):
    endpoint, client = s3_server
    first = _cw(backup_case, endpoint, "run", "--database", "vault")
    assert first.returncode == 0, first.stderr[-3000:]
    keys = _keys(client)
    assert len(keys) == 3
    assert all(k.startswith(f"{PREFIX}/vault/vault-") for k in keys)
    dump_key = next(k for k in keys if k.endswith(".dump.age"))
    body = client.get_object(Bucket=BUCKET, Key=dump_key)["Body"].read()
    assert body.startswith(b"age-encryption.org/v1\n")
    assert not (backup_case.home / "backups").exists(), "the folder store was used instead of the bucket"

    drill = _cw(backup_case, endpoint, "drill", "--database", "vault")
    assert drill.returncode == 0, drill.stderr[-3000:]
    assert "drill passed" in drill.stdout

    listing = _cw(backup_case, endpoint, "list", "--database", "vault")
    assert dump_key.rsplit("/", 1)[-1].removesuffix(".dump.age") in listing.stdout

    time.sleep(1.1)  # backup ids have one-second resolution
    second = _cw(backup_case, endpoint, "run", "--database", "vault")
    assert second.returncode == 0, second.stderr[-3000:]
    after = _keys(client)
    assert len(after) == 3, "retention with every count at 0 keeps the newest backup only"
    assert dump_key not in after
    # Once the S3 hook has loaded Airflow, Airflow's logging writes the log lines to stdout.
    assert "retention deleted backup" in second.stdout + second.stderr

    for result in (first, drill, listing, second):
        for secret in [*backup_case.secrets(), S3_SECRET]:
            assert secret not in result.stdout + result.stderr
    assert list((backup_case.home / "scratch").iterdir()) == []


def test_missing_bucket_is_a_clear_error(backup_case, s3_server):
    endpoint, client = s3_server
    client.delete_bucket(Bucket=BUCKET)
    result = _cw(backup_case, endpoint, "run", "--database", "vault")
    assert result.returncode == 1
    assert f"backup of vault failed: listing of s3://{BUCKET}/{PREFIX}/vault/" in result.stderr
    assert "Check that the bucket exists" in result.stderr
    assert "Traceback" not in result.stderr
    scratch = backup_case.home / "scratch"
    assert not scratch.exists() or list(scratch.iterdir()) == []

#!/usr/bin/env bash
# Start the machine's PostgreSQL 15 cluster and create the test role and database.
# Prints the SQLAlchemy URL for PXHUB_TEST_POSTGRES_URL. Needs root (the server runs as postgres).
set -euo pipefail
as_postgres() { su postgres -s /bin/bash -c "$1"; }
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
fi
as_postgres "pg_ctlcluster --skip-systemctl-redirect 15 main start" 2>/dev/null || true
for _ in $(seq 1 60); do
  as_postgres "pg_isready -q" && break
  sleep 1
done
as_postgres "psql -q -v ON_ERROR_STOP=1 -c \"DO \\\$\\\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pxhub') THEN CREATE ROLE pxhub LOGIN PASSWORD 'pxhub' CREATEDB; END IF; END\\\$\\\$;\""
as_postgres "psql -tAc \"SELECT 1 FROM pg_database WHERE datname = 'pxhub_test'\" | grep -q 1 || createdb -O pxhub pxhub_test"
echo "postgresql+psycopg://pxhub:pxhub@127.0.0.1:5432/pxhub_test"

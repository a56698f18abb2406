#!/usr/bin/env bash
# Refresh tests/data/real/: install nginx, Apache httpd, MariaDB and
# PostgreSQL (+ pgaudit) from Debian's packages, run them on 127.0.0.1 with
# configurations written into a scratch folder, drive a scripted workload,
# stop them and copy their logs with a capture.json oracle per server.
#
# Usage (as root, on Debian 12 or later):
#   scripts/capture_real_logs.sh [--only web|mariadb|postgresql] [--keep-workdir]
#                                [--workdir DIR] [--out DIR]
# Environment: SKIP_APT=1 skips apt-get (packages already installed).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ $(id -u) -ne 0 ]]; then
    echo "capture_real_logs.sh: must run as root" >&2
    exit 2
fi
if [[ ! -r /etc/debian_version ]]; then
    echo "capture_real_logs.sh: needs a Debian system (apt-get)" >&2
    exit 2
fi

# Keep the packages' maintainer scripts from starting the distro services
# (they would listen on port 80/3306/5432): policy-rc.d exit 101 = "denied".
created_policy=0
cleanup() {
    if [[ $created_policy -eq 1 ]]; then
        rm -f /usr/sbin/policy-rc.d
    fi
}
trap cleanup EXIT

if [[ "${SKIP_APT:-0}" != 1 ]]; then
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        created_policy=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends \
        python3 curl nginx apache2 apache2-utils \
        mariadb-server mariadb-client postgresql postgresql-contrib pgbouncer rsyslog >/dev/null
    # the proxy capture (--only proxy): HAProxy in front of Apache
    apt-get install -y -qq --no-install-recommends haproxy >/dev/null
    # pgaudit is packaged per major version: take the newest server installed.
    pg_major="$(ls /usr/lib/postgresql | sort -n | tail -1)"
    apt-get install -y -qq --no-install-recommends "postgresql-${pg_major}-pgaudit" >/dev/null
fi

exec /usr/bin/python3 "$here/capture_real_logs.py" "$@"

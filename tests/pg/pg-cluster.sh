#!/bin/sh
# A throw-away PostgreSQL cluster for the tests, from Debian's postgresql package:
#   pg-cluster.sh start DIR   initdb (trust auth) and start a server listening only on a Unix
#                             socket in DIR/socket (no TCP port, so parallel builds never clash)
#   pg-cluster.sh stop DIR    stop it and delete DIR
# The test URL is postgresql://lookalike@/postgres?host=DIR/socket . initdb refuses to run as
# root, so as root the server runs as the `postgres` system user. Fails loudly (exit 1) when
# PostgreSQL is missing: scripts/install-deps.sh installs it.
set -eu
cmd=${1:?usage: pg-cluster.sh start|stop DIR}
dir=${2:?usage: pg-cluster.sh start|stop DIR}

bindir=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then bindir=$d; break; fi
done

case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac
# The server user may not be allowed into the caller's directory (a build tree under /root).
cd /

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
    if [ -z "$bindir" ]; then
        echo "pg-cluster.sh: PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); run scripts/install-deps.sh" >&2
        exit 1
    fi
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    mkdir -p "$dir/socket"
    if [ "$(id -u)" = 0 ]; then chown -R postgres "$dir"; fi
    as_owner "$bindir/initdb" -D "$dir/data" -U lookalike --auth=trust --no-sync -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    # fsync off: a test cluster needs no crash safety (LOOKALIKE_PG_FSYNC=on for benchmarks that
    # compare with SQLite's synchronous=FULL); max_connections for 8 load workers and more.
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses='' -k $dir/socket -c fsync=${LOOKALIKE_PG_FSYNC:-off} -c max_connections=200" start >/dev/null \
        || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgresql://lookalike@/postgres?host=$dir/socket"
    ;;
stop)
    if [ -n "$bindir" ] && [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: pg-cluster.sh start|stop DIR" >&2
    exit 2
    ;;
esac

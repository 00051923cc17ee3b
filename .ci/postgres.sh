#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests (the bot's DOCBOT_DATABASE_URL path is tested against a real one).
#
#   .ci/postgres.sh start        installs Debian's `postgresql` if missing, starts a cluster in a new temp dir on
#                                127.0.0.1 on a free port, and prints  POSTGRES_URL=postgresql://...  and
#                                POSTGRES_DIR=/tmp/...  (stop it with the second)
#   .ci/postgres.sh stop DIR     stops that cluster and deletes its dir
#
# initdb and pg_ctl refuse to run as root: as root the cluster runs as the `postgres` user (which the package
# creates) in a dir that user owns. Trust authentication on 127.0.0.1 only; fsync off: the data is thrown away.
set -euo pipefail

find_bin() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    done
    command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
    return 1
}

as_owner() {  # run a command as the cluster's owner
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
start)
    # Test workers run in parallel (`make test`): one installs the package while the others wait for it.
    # The lock is taken on this script itself, which every user can read (a lock file in /tmp would belong
    # to whoever made it first).
    exec 9<"$0"
    flock -w 900 9 || { echo "postgres.sh: waited 15 minutes for another worker's install of postgresql" >&2; exit 1; }
    if ! bin=$(find_bin); then
        echo "postgres.sh: PostgreSQL not found; installing Debian's postgresql package" >&2
        if [ "$(id -u)" = 0 ]; then apt_get=(apt-get); else apt_get=(sudo -n apt-get); fi
        { "${apt_get[@]}" install -y -q postgresql >&2 || { "${apt_get[@]}" update -q >&2 && "${apt_get[@]}" install -y -q postgresql >&2; }; } \
            || { echo "postgres.sh: could not install postgresql (apt-get install -y postgresql)" >&2; exit 1; }
        bin=$(find_bin) || { echo "postgres.sh: postgresql installed but initdb not found" >&2; exit 1; }
    fi
    flock -u 9
    exec 9>&-
    dir=$(mktemp -d /tmp/docbot-postgres-XXXXXX)
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U docbot --auth=trust --encoding=UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; echo "postgres.sh: initdb failed" >&2; exit 1; }
    # A port found free may be taken by another worker's server before this one binds it: then (and only
    # then) another port, three tries. Any other failure stops the half-started server and removes its dir.
    for attempt in 1 2 3; do
        port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        seen=0
        [ -f "$dir/server.log" ] && seen=$(wc -c <"$dir/server.log")
        as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
            >/dev/null && break
        if [ "$attempt" = 3 ] || ! tail -c +"$((seen + 1))" "$dir/server.log" | grep -q -e "could not bind" -e "Address already in use"; then
            cat "$dir/server.log" >&2
            as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
            rm -rf "$dir"
            echo "postgres.sh: the server did not start" >&2
            exit 1
        fi
    done
    echo "POSTGRES_URL=postgresql://docbot@127.0.0.1:$port/postgres"
    echo "POSTGRES_DIR=$dir"
    ;;
stop)
    dir=${2:?usage: postgres.sh stop DIR}
    case "$dir" in /tmp/docbot-postgres-*) ;; *) echo "postgres.sh: not a dir this script made: $dir" >&2; exit 2;; esac
    bin=$(find_bin)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac

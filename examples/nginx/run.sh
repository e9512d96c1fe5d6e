#!/bin/sh
# run.sh ADDR [KEEPALIVE_TIMEOUT] [BACKLOG] runs Debian's nginx in the
# foreground with nginx.conf.tmpl, listening on ADDR (address:port), as a
# tunebench suite's server.command:
#
#   server:
#     command: ["sh", "examples/nginx/run.sh", "{addr}", "65s", "511"]
#     ready: /healthz
#
# It renders the template into a private temporary directory (the pid
# file, nginx's temporary files, and /static/1k and /static/64k to serve),
# which it removes when nginx exits. nginx must be installed (make deps).
set -eu
addr=${1:?usage: run.sh ADDR [KEEPALIVE_TIMEOUT] [BACKLOG]}
keepalive=${2:-65s}
backlog=${3:-511}
here=$(cd "$(dirname "$0")" && pwd)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || {
	echo "run.sh: nginx is not installed; run make deps (apt-get install nginx)" >&2
	exit 1
}
dir=$(mktemp -d "${TMPDIR:-/tmp}/tunebench-nginx.XXXXXX")
pid=
trap 'rm -rf "$dir"' EXIT
# A signal to the shell alone stops nginx too (tunebench signals the whole
# process group: both get it).
trap '[ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null; [ -z "$pid" ] || wait "$pid"; exit 143' TERM INT
mkdir -p "$dir/www/static"
head -c 1024 /dev/zero | tr '\0' x >"$dir/www/static/1k"
head -c 65536 /dev/zero | tr '\0' x >"$dir/www/static/64k"
sed -e "s|@ADDR@|$addr|g" -e "s|@BACKLOG@|$backlog|g" \
	-e "s|@KEEPALIVE@|$keepalive|g" -e "s|@DIR@|$dir|g" \
	"$here/nginx.conf.tmpl" >"$dir/nginx.conf"
PATH=$PATH:/usr/sbin
# Not exec: the shell stays to remove the directory when nginx ends.
nginx -e stderr -c "$dir/nginx.conf" &
pid=$!
wait "$pid"

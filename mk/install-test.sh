#!/usr/bin/env bash
# make install-test: the two ways the README installs tunebench, for real.
#  1. make install PREFIX=<temp>: the binary and the suites land there, the
#     binary reports make's version and validates an installed suite from
#     outside the repository; make uninstall removes both.
#  2. go install github.com/tunebench/tunebench/cmd/tunebench@VERSION from a
#     file:// module proxy that holds this working tree as VERSION (what a
#     tag publishes): it builds without a replace or a file outside the
#     module, and the binary reports VERSION and validates a suite from
#     outside the repository. The test version is removed from the module
#     cache afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
MAKE=${MAKE:-make}
GO=${GO:-go}
say() { printf 'install-test: %s\n' "$*"; }
fail() {
	printf 'install-test: FAIL: %s\n' "$*" >&2
	exit 1
}
mod=github.com/tunebench/tunebench
version=v0.0.0-installtest.$(date -u +%Y%m%d%H%M%S).$$
tmp=$(mktemp -d /tmp/tunebench-install.XXXXXX)
modcache=$("$GO" env GOMODCACHE)
cleanup() {
	local status=$?
	set +e
	if [ -e "$modcache/$mod@$version" ]; then
		chmod -R u+w "$modcache/$mod@$version"
		rm -rf "$modcache/$mod@$version"
	fi
	local dl=$modcache/cache/download/$mod/@v
	if [ -d "$dl" ]; then
		rm -f "$dl/$version".*
		[ -f "$dl/list" ] && sed -i "/^${version//./\\.}\$/d" "$dl/list" && [ ! -s "$dl/list" ] && rm -f "$dl/list"
	fi
	rmdir -p "$dl" "$modcache/${mod%/*}" 2>/dev/null
	rm -rf "$tmp"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# 1. make install
prefix=$tmp/prefix
"$MAKE" --no-print-directory install PREFIX="$prefix" >"$tmp/install.log" || fail "make install: $(tail -3 "$tmp/install.log")"
want=$("$MAKE" --no-print-directory -s -f - <<<'include Makefile
print-version: ; @echo $(VERSION)' print-version)
got=$(cd "$tmp" && "$prefix/bin/tunebench" --version)
[ "$got" = "tunebench $want" ] || fail "installed binary says '$got'; want 'tunebench $want'"
want_n=$(find scenarios -name testdata -prune -o -name '*.yaml' -print | wc -l)
n=0
while IFS= read -r s; do
	(cd "$tmp" && "$prefix/bin/tunebench" validate "$s" >/dev/null) || fail "installed suite $s does not validate"
	n=$((n + 1))
done < <(find "$prefix/share/tunebench/scenarios" -name '*.yaml')
[ "$n" = "$want_n" ] || fail "$n suites installed; the repository has $want_n"
"$MAKE" --no-print-directory uninstall PREFIX="$prefix" >/dev/null
[ ! -e "$prefix/bin/tunebench" ] && [ ! -e "$prefix/share/tunebench" ] || fail "make uninstall left files: $(find "$prefix" -type f)"
say "make install PREFIX=$prefix: '$got', $n suites that validate; make uninstall removed them"

# 2. go install MODULE@VERSION from a proxy that holds the working tree
proxy=$tmp/proxy/$mod/@v
mkdir -p "$proxy"
git ls-files -co --exclude-standard -z | python3 -c '
import os, sys, zipfile
names = [n for n in sys.stdin.buffer.read().decode().split("\0")
         if n and os.path.isfile(n) and not os.path.islink(n)]
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for n in names:
        z.write(n, sys.argv[2] + "/" + n)
' "$proxy/$version.zip" "$mod@$version"
cp go.mod "$proxy/$version.mod"
printf '{"Version":"%s","Time":"%s"}\n' "$version" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$proxy/$version.info"
echo "$version" >"$proxy/list"
(cd "$tmp" && GOBIN=$tmp/gobin GOPROXY="file://$tmp/proxy,$("$GO" env GOPROXY)" GONOSUMDB=$mod GOFLAGS= \
	"$GO" install "$mod/cmd/tunebench@$version") >"$tmp/goinstall.log" 2>&1 ||
	fail "go install $mod/cmd/tunebench@$version: $(tail -5 "$tmp/goinstall.log")"
got=$(cd "$tmp" && "$tmp/gobin/tunebench" --version)
[ "$got" = "tunebench $version" ] || fail "go-installed binary says '$got'; want 'tunebench $version'"
cp scenarios/quick.yaml "$tmp/"
(cd "$tmp" && "$tmp/gobin/tunebench" validate quick.yaml >/dev/null) || fail "the go-installed binary does not validate a suite outside the repository"
say "go install $mod/cmd/tunebench@$version: '$got', validates a suite outside the repository"
say "pass"

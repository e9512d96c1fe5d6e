#!/usr/bin/env bash
# make image-test: the container image and docker-compose.yml on a real
# Docker engine. Installs docker.io and docker-compose when missing, starts a
# dockerd of its own (own data root, exec root, socket and pidfile in a
# temporary folder; --bridge=none and no iptables, so the host's links and
# firewall stay untouched), builds the image with make image, runs the quick
# suite once per cell through docker-compose.yml with every compose there is
# (docker-compose, and docker compose when the plugin exists), checks what it
# left in ./out on the host and who owns it, checks that tunebench doctor
# names a missing capability, and stops the daemon by its PID on success,
# failure and signal. Run as root (make ci does).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
MAKE=${MAKE:-make}
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
owner=4321:4321 # who owns ./out on the "host": not root
t0=$SECONDS

say() { printf 'image-test: [%3ds] %s\n' $((SECONDS - t0)) "$*"; }
fail() {
	printf 'image-test: FAIL: %s\n' "$*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || fail "needs root, to start a dockerd (make ci runs as root)"

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
if ((${#missing[@]})); then
	command -v apt-get >/dev/null 2>&1 || fail "${missing[*]} missing and no apt-get to install them: install Docker and docker-compose"
	say "installing ${missing[*]}"
	apt-get -o DPkg::Lock::Timeout=300 update -qq
	DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v docker >/dev/null 2>&1 || fail "no docker client in PATH (apt-get install docker.io)"

tmp=$(mktemp -d /tmp/tunebench-docker.XXXXXX)
cgparent=tunebench-image-test-$$
dockerd_pid=
# containerd makes these wherever its state is; remove them if we made them.
made=()
for d in /run/containerd/s /run/containerd /run/docker/plugins /run/docker; do
	[ -e "$d" ] || made+=("$d")
done
export DOCKER_HOST=unix://$tmp/docker.sock

# cleanup stops what this script started, by PID, and removes its files.
cleanup() {
	local status=$?
	set +e
	trap - EXIT INT TERM
	if [ -n "$dockerd_pid" ] && kill -0 "$dockerd_pid" 2>/dev/null; then
		docker ps -aq 2>/dev/null | xargs -r docker rm -f >/dev/null 2>&1
		kill -TERM "$dockerd_pid"
		for _ in $(seq 60); do
			kill -0 "$dockerd_pid" 2>/dev/null || break
			sleep 0.5
		done
		if kill -0 "$dockerd_pid" 2>/dev/null; then
			say "dockerd $dockerd_pid did not stop in 30 s; killing it"
			kill -KILL "$dockerd_pid"
		fi
		wait "$dockerd_pid" 2>/dev/null
		say "stopped dockerd $dockerd_pid"
	fi
	# The containerd dockerd started for itself stops with it; not if
	# dockerd was killed.
	local cpid
	cpid=$(cat "$tmp/exec/containerd/containerd.pid" 2>/dev/null)
	if [ -n "$cpid" ] && kill -0 "$cpid" 2>/dev/null; then
		kill -TERM "$cpid"
		sleep 1
	fi
	# Mounts a killed daemon left, deepest first.
	awk -v p="$tmp/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
	for d in /sys/fs/cgroup/*/"$cgparent"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	for d in "${made[@]}"; do
		rmdir "$d" 2>/dev/null
	done
	if ((status != 0)) && [ -f "$tmp/dockerd.log" ]; then
		echo "image-test: the last lines of dockerd's log:" >&2
		tail -n 20 "$tmp/dockerd.log" >&2
	fi
	rm -rf "$tmp"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Not the host's /etc/docker/daemon.json, and its key not in /etc/docker.
printf '{"deprecated-key-path": "%s/key.json"}\n' "$tmp" >"$tmp/daemon.json"
dockerd --data-root "$tmp/data" --exec-root "$tmp/exec" --host "$DOCKER_HOST" \
	--pidfile "$tmp/docker.pid" --config-file "$tmp/daemon.json" \
	--bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
	--cgroup-parent "/$cgparent" >"$tmp/dockerd.log" 2>&1 &
dockerd_pid=$!
for _ in $(seq 60); do
	docker version >/dev/null 2>&1 && break
	kill -0 "$dockerd_pid" 2>/dev/null || fail "dockerd exited at start"
	sleep 0.5
done
docker version >/dev/null 2>&1 || fail "dockerd did not answer on $DOCKER_HOST in 30 s"
say "dockerd $dockerd_pid up: engine $(docker version --format '{{.Server.Version}}'), storage $(docker info --format '{{.Driver}}')"

"$MAKE" --no-print-directory image VERSION="$VERSION"
size=$(docker image inspect --format '{{.Size}}' tunebench:latest)
say "image tunebench:latest built: $((size / 1024 / 1024)) MiB"
((size < 100 * 1024 * 1024)) || fail "the image is $((size / 1024 / 1024)) MiB; a static binary on scratch should be far less"

composes=("docker-compose")
if docker compose version >/dev/null 2>&1; then
	composes+=("docker compose")
else
	say "no docker compose plugin here: testing docker-compose only"
fi

# check DIR: what the quick suite and its report left in DIR/out.
check() {
	local out=$1/out cells lines
	[ -s "$out/quick.txt" ] || fail "$out/quick.txt missing or empty"
	grep -qx "tunebench: $VERSION" "$out/quick.txt" ||
		fail "$out/quick.txt: no header line 'tunebench: $VERSION'; got: $(grep -m1 '^tunebench:' "$out/quick.txt")"
	grep -q '^--- FAIL' "$out/quick.txt" && fail "$out/quick.txt has failed repetitions: $(grep -A2 '^--- FAIL' "$out/quick.txt")"
	cells=0
	for cell in "${want_cells[@]}"; do
		lines=$(awk -v c="$cell" '$1 == c' "$out/quick.txt" | wc -l)
		[ "$lines" = 1 ] || fail "$out/quick.txt: $lines lines for $cell; want 1"
		cells=$((cells + 1))
	done
	lines=$(grep -c '^Benchmark' "$out/quick.txt" || true)
	[ "$lines" = "$cells" ] || fail "$out/quick.txt: $lines benchmark lines; want one for each of the $cells cells"
	lines=$(grep -c . "$out/quick.hist.jsonl" || true)
	[ "$lines" = "$cells" ] || fail "$out/quick.hist.jsonl: $lines histograms; want $cells"
	grep -qi '<html' "$out/quick.html" || fail "$out/quick.html is not the report"
	local strays
	strays=$(find "$out" ! -user "${owner%:*}" -printf '%p %u:%g\n')
	[ -z "$strays" ] || fail "not given to the owner of out/ ($owner): $strays"
	say "$out: $cells cells, one line each, header 'tunebench: $VERSION', $lines histograms, report; all owned by $owner"
}

for compose in "${composes[@]}"; do
	proj=$tmp/project-${compose// /-}
	mkdir -p "$proj/out"
	chown "$owner" "$proj/out"
	# --project-directory: ./out is the project's, not the repository's.
	dc=($compose -f "$repo/docker-compose.yml" --project-directory "$proj" -p tunebench-image-test)
	# The cells, as tunebench validate in the image lists them.
	"${dc[@]}" run --rm -T tunebench validate scenarios/quick.yaml >"$tmp/cells.txt" 2>&1 ||
		fail "validate scenarios/quick.yaml in the image: $(cat "$tmp/cells.txt")"
	mapfile -t want_cells < <(awk '$1 ~ /^Benchmark/ { print $1 }' "$tmp/cells.txt")
	((${#want_cells[@]} > 0)) || fail "validate listed no cells: $(cat "$tmp/cells.txt")"
	say "$compose: run scenarios/quick.yaml --count 1"
	"${dc[@]}" run --rm -T tunebench run scenarios/quick.yaml --count 1 -o out/quick.txt
	"${dc[@]}" run --rm -T tunebench report out/quick.txt -o out/quick.html
	check "$proj"
done

# A kernel knob that writes a namespace's sysctls (tfo), through the compose
# file: /proc/sys is read-only in a container until the entrypoint remounts it.
"${dc[@]}" run --rm -T tunebench run scenarios/kernel.yaml --count 1 --only tfo=on,initcwnd=40 -o out/kernel.txt
line=$(grep '^BenchmarkKernel/' "$proj/out/kernel.txt") || fail "no result in $proj/out/kernel.txt: $(grep -m1 '^--- FAIL' "$proj/out/kernel.txt")"
tfo=$(printf '%s\n' "$line" | grep -o '[0-9.e+-]* tfo-active/op' | cut -d' ' -f1)
awk -v v="$tfo" 'BEGIN { exit !(v > 0.5) }' || fail "tfo=on in the container: tfo-active/op $tfo; want most connections to use Fast Open"
say "kernel knob tfo=on in the container: tfo-active/op $tfo"

# docker stop: the entrypoint passes SIGTERM on, tunebench stops the run and
# tears it down (status 130), and what it wrote is the owner's.
name=$("${dc[@]}" run -d -T tunebench run scenarios/quick.yaml -o out/stopped.txt)
for _ in $(seq 60); do
	grep -q '^Benchmark' "$proj/out/stopped.txt" 2>/dev/null && break
	sleep 0.5
done
docker stop -t 30 "$name" >/dev/null
status=$(docker wait "$name")
docker logs "$name" >"$tmp/stopped.log" 2>&1
docker rm "$name" >/dev/null
[ "$status" = 130 ] || fail "docker stop: tunebench exited $status; want 130 (interrupted): $(tail -3 "$tmp/stopped.log")"
grep -q '^Benchmark' "$proj/out/stopped.txt" || fail "docker stop: no repetition in $proj/out/stopped.txt before the stop"
strays=$(find "$proj/out" ! -user "${owner%:*}" -printf '%p %u:%g\n')
[ -z "$strays" ] || fail "after docker stop, not given to the owner of out/ ($owner): $strays"
say "docker stop: exit status $status, $(grep -c '^Benchmark' "$proj/out/stopped.txt") repetitions kept, $(tail -1 "$tmp/stopped.log")"

# Ctrl-C on a terminal: the terminal sends SIGINT to tunebench itself, so
# the entrypoint must not pass on a second one (that would force the exit
# and cut the teardown short). script(1) gives compose a terminal.
if command -v script >/dev/null 2>&1; then
	status=0
	{
		for _ in $(seq 60); do
			grep -q '^Benchmark' "$proj/out/ctrlc.txt" 2>/dev/null && break
			sleep 0.5
		done
		printf '\003'
		# Keep the terminal open until tunebench has said how it ended.
		for _ in $(seq 60); do
			grep -q 'interrupted after\|forced exit' "$tmp/ctrlc.log" 2>/dev/null && break
			sleep 0.5
		done
		sleep 1
	} | script -qefc "${dc[*]} run --rm tunebench run scenarios/quick.yaml -o out/ctrlc.txt" "$tmp/ctrlc.log" >/dev/null 2>&1 || status=$?
	[ "$status" = 130 ] || fail "Ctrl-C: exit status $status; want 130: $(tail -3 "$tmp/ctrlc.log")"
	grep -q 'stopping; tearing down' "$tmp/ctrlc.log" || fail "Ctrl-C: tunebench did not stop: $(tail -3 "$tmp/ctrlc.log")"
	! grep -q 'forced exit' "$tmp/ctrlc.log" || fail "Ctrl-C reached tunebench twice (forced exit): $(tail -3 "$tmp/ctrlc.log")"
	say "Ctrl-C on a terminal: exit status 130, one SIGINT, $(grep -c '^Benchmark' "$proj/out/ctrlc.txt") repetitions kept"
else
	say "no script(1): the Ctrl-C check is skipped"
fi

# doctor with the compose file's capabilities passes; without NET_ADMIN it
# fails and names it.
"${dc[@]}" run --rm -T tunebench doctor >"$tmp/doctor.txt" 2>&1 ||
	fail "tunebench doctor in the compose service failed: $(cat "$tmp/doctor.txt")"
status=0
docker run --rm --network none --cap-drop ALL --cap-add SYS_ADMIN --cap-add SYS_NICE \
	--device /dev/net/tun --security-opt apparmor=unconfined \
	tunebench:latest doctor >"$tmp/doctor.txt" 2>&1 || status=$?
((status != 0)) || fail "tunebench doctor without CAP_NET_ADMIN exited 0: $(cat "$tmp/doctor.txt")"
grep -q 'CAP_NET_ADMIN missing' "$tmp/doctor.txt" || fail "tunebench doctor without CAP_NET_ADMIN does not name it: $(cat "$tmp/doctor.txt")"
grep -q -- '--cap-add NET_ADMIN' "$tmp/doctor.txt" || fail "tunebench doctor in a container does not give the flag to add: $(cat "$tmp/doctor.txt")"
! grep -q 'SYS_ADMIN missing' "$tmp/doctor.txt" || fail "tunebench doctor calls CAP_SYS_ADMIN missing, which the container has: $(cat "$tmp/doctor.txt")"
say "doctor without NET_ADMIN: exit $status, says: $(grep -m1 'CAP_NET_ADMIN' "$tmp/doctor.txt" | tr -s ' ')"
# docker-compose.shards.yml: two shards side by side, merged (mk/shards-test.sh).
. "$repo/mk/shards-test.sh"

say "pass"

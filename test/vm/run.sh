#!/usr/bin/env bash
# test/vm/run.sh test|bench — boots a Debian kernel that has sch_netem under
# qemu (TCG: no KVM needed) and runs the kernel netem backend's end-to-end
# tests (test) or its precision benchmark (bench) inside, with only the
# modules sch_netem, veth, tun and tcp_bbr (and what they depend on) loaded:
# no xfrm_user, no nfnetlink, so a netlink handle that asks for a family it
# does not use fails here as it does in containers and minimal VMs.
#
# It installs what is missing (qemu-system-x86, busybox-static) with
# apt-get, fetches the kernel with `apt-get download` and unpacks it with
# `dpkg -x` (no install hooks run), caches both under out/vm/, builds static
# binaries (CGO_ENABLED=0), packs them with busybox and the modules into an
# initramfs, boots it, and reads the results from the serial console.
# It exits non-zero, naming what, when anything is missing or fails, and
# removes its temporary files and the qemu process (by PID) on any exit.
#
# Settings (environment): VM_KERNEL (a linux-image-*-amd64 package; default:
# the one linux-image-amd64 depends on), VM_TIMEOUT (seconds the VM may run;
# default 900), VM_MEM (MiB, default 1536), GO (default go).
set -euo pipefail

mode=${1:-test}
case $mode in test | bench) ;; *)
	echo "vm: usage: $0 test|bench" >&2
	exit 2
	;;
esac

root=$(cd "$(dirname "$0")/../.." && pwd)
cache=$root/out/vm
GO=${GO:-go}
timeout_s=${VM_TIMEOUT:-900}
mem=${VM_MEM:-1536}
# The modules the run may load. Their dependencies are added from each
# module's own depends= list; nothing else is in the initramfs.
modules="sch_netem veth tun tcp_bbr"
# Loaded only after every check above has run, for the one test that needs
# them: TCP socket diagnostics (sock_diag), which are modules too.
later_modules="inet_diag tcp_diag"

die() {
	echo "vm: FAIL: $*" >&2
	exit 1
}
say() { echo "vm: $*"; }

work=
qpid=
tpid=
cleanup() {
	local rc=$?
	if [ -n "$tpid" ]; then kill "$tpid" 2>/dev/null || true; fi
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
		say "stopping qemu (pid $qpid)"
		kill "$qpid" 2>/dev/null || true
		sleep 1
		kill -9 "$qpid" 2>/dev/null || true
	fi
	if [ -n "$work" ]; then rm -rf "$work"; fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools -----------------------------------------------------------------
need_pkgs=""
command -v qemu-system-x86_64 >/dev/null 2>&1 || need_pkgs="$need_pkgs qemu-system-x86"
# busybox-static, not busybox: the init must run without a libc.
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' || need_pkgs="$need_pkgs busybox-static"
command -v dpkg >/dev/null 2>&1 || die "dpkg is missing: this target needs a Debian or Ubuntu host (apt-get, dpkg)"
apt_updated=
apt_update() {
	if [ -z "$apt_updated" ]; then
		apt-get update -qq || die "apt-get update failed"
		apt_updated=1
	fi
}
if [ -n "$need_pkgs" ]; then
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		die "missing:$need_pkgs; install them (apt-get install$need_pkgs) or run as root so that this target installs them"
	fi
	say "installing:$need_pkgs"
	apt_update
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need_pkgs >/dev/null ||
		die "apt-get install$need_pkgs failed"
fi
busybox=/bin/busybox
[ -x "$busybox" ] || die "$busybox is missing after installing busybox-static"

# --- kernel ----------------------------------------------------------------
kpkg=${VM_KERNEL:-}
if [ -z "$kpkg" ]; then
	kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -1)
	if [ -z "$kpkg" ]; then
		apt_update
		kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -1)
	fi
	[ -n "$kpkg" ] || die "no kernel package: apt-cache knows no linux-image-amd64; set VM_KERNEL=linux-image-<version>-amd64 (apt-cache search linux-image)"
fi
kver=${kpkg#linux-image-}
kdir=$cache/kernel-$kver
if [ ! -f "$kdir/.done" ]; then
	mkdir -p "$cache/deb"
	deb=$(ls "$cache"/deb/"${kpkg}"_*.deb 2>/dev/null | head -1 || true)
	if [ -z "$deb" ]; then
		say "downloading $kpkg"
		(cd "$cache/deb" && apt-get download -q "$kpkg" 2>/dev/null) ||
			{ apt_update && (cd "$cache/deb" && apt-get download -q "$kpkg"); } ||
			die "apt-get download $kpkg failed; set VM_KERNEL to one apt-cache policy offers"
		deb=$(ls "$cache"/deb/"${kpkg}"_*.deb | head -1)
	fi
	# Only one kernel is kept: the one in use.
	find "$cache/deb" -name 'linux-image-*.deb' ! -name "${kpkg}_*" -delete
	rm -rf "$cache"/kernel-*
	mkdir -p "$kdir"
	dpkg -x "$deb" "$kdir" || die "dpkg -x $deb failed"
	touch "$kdir/.done"
fi
vmlinuz=$kdir/boot/vmlinuz-$kver
mdir=$kdir/lib/modules/$kver
[ -f "$vmlinuz" ] || die "$vmlinuz missing in $kpkg"
[ -d "$mdir" ] || die "$mdir missing in $kpkg"

# modpath NAME prints the module's file (.ko, .ko.xz, .ko.zst), '-' and '_'
# being the same in module names.
modpath() {
	local n=$1 alt
	alt=$(echo "$n" | tr '_-' '-_')
	find "$mdir/kernel" \( -name "$n.ko*" -o -name "$alt.ko*" \) | head -1
}
# moddeps FILE prints the modules FILE depends on (its modinfo depends=).
moddeps() {
	local f=$1
	case $f in
	*.xz) xz -dc "$f" ;;
	*.zst) zstd -dcq "$f" ;;
	*) cat "$f" ;;
	esac | tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '
}

# Order: dependencies first (a depth-first walk).
order=()
declare -A seen=()
visit() {
	local n=$1 f d
	[ -n "${seen[$n]:-}" ] && return
	seen[$n]=1
	f=$(modpath "$n")
	[ -n "$f" ] || die "module $n is not in $kpkg (it may be built in: check $kdir/boot/config-$kver)"
	for d in $(moddeps "$f"); do visit "$d"; done
	order+=("$n:$f")
}
for m in $modules; do visit "$m"; done
first=${#order[@]}
for m in $later_modules; do visit "$m"; done

# --- binaries and initramfs --------------------------------------------------
mkdir -p "$cache"
work=$(mktemp -d "$cache/run.XXXXXX")
rootfs=$work/root
mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc,root,lib/modules,scenarios}
say "building static binaries"
(
	cd "$root"
	export CGO_ENABLED=0
	$GO build -o "$rootfs/bin/tunebench" ./cmd/tunebench
	$GO test -c -o "$rootfs/bin/netem.test" ./netem
	$GO test -c -tags vmtest -o "$rootfs/bin/vm.test" ./test/vm
) || die "building the static binaries failed"
cp "$busybox" "$rootfs/bin/busybox"
cp "$root/scenarios/quick.yaml" "$rootfs/scenarios/"
cp "$root/test/vm/init.sh" "$rootfs/init"
chmod +x "$rootfs/init"
# busybox insmod takes plain .ko files: compressed ones are unpacked here.
loaded=""
i=0
for e in "${order[@]}"; do
	n=${e%%:*}
	f=${e#*:}
	case $f in
	*.xz) xz -dc "$f" >"$rootfs/lib/modules/$n.ko" ;;
	*.zst) zstd -dcq "$f" >"$rootfs/lib/modules/$n.ko" ;;
	*) cp "$f" "$rootfs/lib/modules/$n.ko" ;;
	esac
	if [ "$i" -lt "$first" ]; then
		echo "$n" >>"$rootfs/lib/modules/order"
		loaded="$loaded $n"
	else
		echo "$n" >>"$rootfs/lib/modules/later"
	fi
	i=$((i + 1))
done
echo "$mode" >"$rootfs/etc/vm-mode"
say "kernel $kpkg; modules:$loaded (later, for sock_diag only: $later_modules)"
initrd=$work/initramfs.cpio.gz
(cd "$rootfs" && find . | "$busybox" cpio -o -H newc 2>/dev/null | gzip -1 >"$initrd") ||
	die "packing the initramfs failed"

# --- boot --------------------------------------------------------------------
log=$work/console.log
: >"$log"
say "booting under qemu (TCG, up to ${timeout_s}s)"
start=$(date +%s)
# timeout stops qemu when the VM runs too long; killing timeout (cleanup)
# passes the signal on to qemu.
timeout -k 10 "$timeout_s" qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 2 -m "$mem" \
	-kernel "$vmlinuz" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 loglevel=3 mitigations=off rdinit=/init" \
	-display none -monitor none -serial "file:$log" -no-reboot -nodefaults \
	</dev/null &
qpid=$!
# tail in the background and wait for it: bash runs its INT/TERM trap (and
# so cleanup) at once during wait, not only after a foreground child ends.
tail -n +1 -f --pid="$qpid" "$log" &
tpid=$!
wait "$tpid" || true
tpid=
qrc=0
wait "$qpid" || qrc=$?
qpid=
[ "$qrc" != 124 ] || echo "vm: the VM ran past ${timeout_s}s (VM_TIMEOUT); stopped it" >&2
say "qemu exited after $(($(date +%s) - start))s"

# --- verdict -------------------------------------------------------------------
tr -d '\r' <"$log" >"$log.txt"
if [ "$mode" = bench ]; then
	out=$root/out/vm-bench.txt
	{
		echo "machine: qemu-tcg-emulated-cpu"
		echo "kernel: $kver"
		grep -E '^(Benchmark|goos|goarch|pkg|cpu|skipped)' "$log.txt" || true
	} >"$out"
	say "benchmark lines (emulated CPU, TCG: not this machine's precision) in $out"
fi
grep -q '^VM-DONE' "$log.txt" || die "the VM stopped before its checks ended (a panic or a timeout); the console is above"
failed=$(sed -n 's/^VM-RESULT \([^ ]*\) rc=\([1-9][0-9]*\)$/\1 (exit \2)/p' "$log.txt")
[ -z "$failed" ] || die "in the VM: $(echo "$failed" | tr '\n' ' ')"
steps=$(grep -c '^VM-RESULT .* rc=0$' "$log.txt" || true)
[ "$steps" -gt 0 ] || die "the VM reported no checks"
say "PASS: $steps steps in the VM ($kpkg; modules:$loaded)"

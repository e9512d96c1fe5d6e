#!/bin/busybox sh
# The VM's init (test/vm/run.sh packs it as /init): mounts what a host has,
# loads exactly the modules run.sh packed, runs the checks of the mode in
# /etc/vm-mode and prints "VM-RESULT <step> rc=<n>" for each, then
# "VM-DONE", and powers off. run.sh reads the verdict from the console.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root TMPDIR=/tmp
# CI set: a test that lacks root, a tool or a kernel feature fails here
# instead of skipping (internal/testenv).
export CI=true
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
ip link set lo up
mode=$(cat /etc/vm-mode)
echo "vm: kernel $(uname -r), $(nproc) CPUs, mode $mode"

fails=0
step() {
	name=$1
	shift
	echo "VM-STEP $name: $*"
	"$@"
	rc=$?
	echo "VM-RESULT $name rc=$rc"
	[ "$rc" = 0 ] || fails=$((fails + 1))
}

# load_modules LIST loads the modules named in /lib/modules/LIST, in order.
load_modules() {
	for m in $(cat "/lib/modules/$1"); do
		insmod "/lib/modules/$m.ko" || { echo "vm: insmod $m failed"; return 1; }
	done
	echo "vm: loaded: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
}

step modules load_modules order
mods=$(tr "\n" , </lib/modules/order)
if [ "$mode" = test ]; then
	step doctor /bin/tunebench doctor
	# Every netem test on the kernel backend, save the shaper's unit tests
	# (the TUN emulator's own model, CPU-bound and slow under TCG) and the
	# sock_diag ones, which need tcp_diag: they run last, once it is loaded.
	step netem-e2e /bin/netem.test -test.v -test.count=1 -test.timeout=12m \
		-netem.backend=netem -netem.emulated -test.skip '^TestShaper|^TestRouteCongestionOnSockets$|^TestSockState'
	step vm-e2e /bin/vm.test -test.v -test.count=1 -test.timeout=8m \
		-vm.tunebench=/bin/tunebench -vm.suite=/scenarios/quick.yaml -vm.modules="$mods"
	step modules-later load_modules later
	step netem-sockdiag /bin/netem.test -test.v -test.count=1 -test.timeout=5m \
		-netem.backend=netem -netem.emulated -test.run '^TestRouteCongestionOnSockets$|^TestSockState'
else
	echo "vm: figures of an emulated CPU (qemu TCG), not of real hardware"
	# Both backends on the same (emulated) machine, side by side.
	step netem-bench /bin/netem.test -test.run '^$' -test.bench 'DelayError' \
		-test.benchtime 3x -netem.backend=netem
fi
echo "VM-DONE failures=$fails"
sync
poweroff -f

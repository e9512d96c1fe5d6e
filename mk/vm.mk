# vm-test boots a Debian kernel that has sch_netem under qemu (TCG, no KVM)
# and runs the kernel netem backend's end-to-end tests inside it, with only
# sch_netem, veth, tun and tcp_bbr loaded (test/vm/run.sh says how). It
# installs qemu-system-x86 and busybox-static when missing, caches the
# kernel under out/vm/, and fails, naming what, when anything is missing or
# any check fails. vm-bench runs the netem backend's precision benchmark
# there: figures of an emulated CPU, labelled so (out/vm-bench.txt).
.PHONY: vm-test vm-bench

vm-test:
	GO=$(GO) test/vm/run.sh test

vm-bench:
	GO=$(GO) test/vm/run.sh bench

CI_TARGETS    += vm-test
BENCH_TARGETS += vm-bench

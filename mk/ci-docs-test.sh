#!/usr/bin/env bash
# make ci-docs-test: the shell of docs/ci.md's GitHub Actions workflow and
# GitLab job, taken from the document itself and run for real against
# bin/tunebench, a small suite and the reference server: a push to main
# with gates: and no baseline yet, a pull request with a baseline and a
# suite without gates:, a suite with neither (nothing to gate: success), a
# failing gate (status 99 fails the job), and the GitLab job fetching its
# baseline from a stand-in of the artifacts API on 127.0.0.1, both when the
# API refuses (HTTP 404) and when it answers. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
tb=$repo/bin/tunebench
t0=$SECONDS
say() { printf 'ci-docs-test: [%3ds] %s\n' $((SECONDS - t0)) "$*"; }
fail() {
	printf 'ci-docs-test: FAIL: %s\n' "$*" >&2
	exit 1
}
[ "$(id -u)" = 0 ] || fail "needs root (tunebench run)"
[ -x "$tb" ] || fail "$tb missing: make build"
command -v python3 >/dev/null || fail "needs python3 to read docs/ci.md"

tmp=$(mktemp -d /tmp/tunebench-ci-docs.XXXXXX)
http_pid=
cleanup() {
	local status=$?
	set +e
	[ -n "$http_pid" ] && kill "$http_pid" 2>/dev/null && wait "$http_pid" 2>/dev/null
	rm -rf "$tmp"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The steps, as the document has them: a step's `run: |` body, dedented.
python3 - "$repo/docs/ci.md" "$tmp" <<'PY'
import re, sys, textwrap
doc, out = open(sys.argv[1]).read(), sys.argv[2]
blocks = re.findall(r"```yaml\n(.*?)```", doc, re.S)
gh = next(b for b in blocks if b.startswith("# .github/workflows/tunebench.yml"))
gl = next(b for b in blocks if b.startswith("# .gitlab-ci.yml"))

def run_of(step):
    m = re.search(r"- name: " + re.escape(step) + r"\n(?:.*\n)*?(\s+)run: \|\n((?:\1  .*\n|\s*\n)+)", gh)
    if not m:
        sys.exit("docs/ci.md: no step %r with a run: | block" % step)
    return textwrap.dedent(m.group(2))

def env_of(block, key):
    m = re.search(r"\n(\s+)" + key + r":\n((?:\1  \w+: .*\n)+)", block)
    return "".join("export %s=%s\n" % (k, v.split("#")[0].strip())
                   for k, v in re.findall(r"(\w+): (.*)", m.group(2)))

open(out + "/gh_env.sh", "w").write(env_of(gh, "env"))
open(out + "/gh_run.sh", "w").write(run_of("Run the suite"))
open(out + "/gh_gate.sh", "w").write(run_of("Compare and gate"))
open(out + "/gl_env.sh", "w").write(env_of(gl, "variables"))
m = re.search(r"\n  script:\n((?:    .*\n)+)", gl)
lines = m.group(1)
# The script is a list of commands; items starting with "- |" are blocks.
text = textwrap.dedent(lines)
items = re.split(r"^- ", text, flags=re.M)[1:]
cmds = []
for it in items:
    if it.startswith("|\n"):
        cmds.append(textwrap.dedent(it[2:]))
    else:
        cmds.append(it.strip() + "\n")
# go install and go build need the network and a server of the user's; the
# test puts bin/tunebench in PATH instead.
cmds = [c for c in cmds if not c.startswith("go ")]
open(out + "/gl_script.sh", "w").write("".join(cmds))
PY

# A stand-in for sudo where there is none: it resets the environment as
# sudo's env_reset does and keeps what --preserve-env=LIST names.
mkdir -p "$tmp/bin"
ln -s "$tb" "$tmp/bin/tunebench"
if ! command -v sudo >/dev/null; then
	cat >"$tmp/bin/sudo" <<'SH'
#!/bin/sh
keep="PATH=$PATH HOME=/root"
case "$1" in --preserve-env=*)
	for v in $(echo "${1#--preserve-env=}" | tr , ' '); do
		eval "x=\${$v-}"
		[ -n "$x" ] && keep="$keep $v=$x"
	done
	shift ;;
esac
exec env -i $keep "$@"
SH
	chmod +x "$tmp/bin/sudo"
fi
export PATH=$tmp/bin:$PATH

# suite DIR GATES: a small suite in DIR/ci/suite.yaml, with gates: or not.
suite() {
	mkdir -p "$1/ci"
	cat >"$1/ci/suite.yaml" <<YAML
suite: ci
description: docs/ci.md check
links:
  - {name: lan, rtt: 2ms}
matrix:
  keepalive: [on, off]
load: {rate: 20, duration: 1s, warmup: 1s, count: 2}
YAML
	[ -z "$2" ] || printf 'gates:\n  - %s\n' "$2" >>"$1/ci/suite.yaml"
}

# github DIR: the run and gate steps in DIR; prints the gate step's status.
github() (
	cd "$1"
	. "$tmp/gh_env.sh"
	export TUNEBENCH=$tb GITHUB_STEP_SUMMARY=$PWD/summary.md GITHUB_SERVER_URL=https://github.com GITHUB_REPOSITORY=o/r GITHUB_RUN_ID=42
	: >summary.md
	bash -eo pipefail "$tmp/gh_run.sh" >run.log 2>&1 || fail "$1: the run step failed: $(tail -3 run.log)"
	status=0
	bash -eo pipefail "$tmp/gh_gate.sh" >gate.log 2>&1 || status=$?
	echo "$status"
)

suite "$tmp/push" '{metric: errors, max: 1%}'
status=$(github "$tmp/push")
[ "$status" = 0 ] || fail "push with gates: and no baseline: gate step exited $status: $(tail -3 "$tmp/push/gate.log")"
grep -q 'all 2 checks passed' "$tmp/push/out/gate.md" || fail "push: out/gate.md: $(cat "$tmp/push/out/gate.md")"
grep -q 'tunebench gate' "$tmp/push/summary.md" || fail "push: the job summary has no verdicts"
say "GitHub, push with gates: and no baseline: gate step 0, verdicts in out/gate.md and the job summary"

suite "$tmp/pr" ''
mkdir -p "$tmp/pr/baseline"
cp "$tmp/push/out/new.txt" "$tmp/pr/baseline/new.txt"
status=$(github "$tmp/pr")
[ "$status" = 0 ] || fail "pull request without gates:, with a baseline: gate step exited $status: $(tail -3 "$tmp/pr/gate.log")"
grep -q 'Baseline `baseline/new.txt`' "$tmp/pr/out/gate.md" || fail "pr: out/gate.md compares nothing: $(cat "$tmp/pr/out/gate.md")"
say "GitHub, pull request, suite without gates:, baseline: gate step 0, regressions checked"

suite "$tmp/none" ''
status=$(github "$tmp/none")
[ "$status" = 0 ] || fail "neither gates: nor baseline: gate step exited $status: $(tail -3 "$tmp/none/gate.log")"
grep -q 'nothing to gate' "$tmp/none/gate.log" || fail "neither gates: nor baseline: no notice: $(cat "$tmp/none/gate.log")"
say "GitHub, neither gates: nor a baseline: gate step 0, 'nothing to gate'"

suite "$tmp/fail" '{metric: p99, max: 1us}'
status=$(github "$tmp/fail")
[ "$status" = 99 ] || fail "a failing gate: gate step exited $status; want 99"
say "GitHub, a failing gate: gate step 99"

# GitLab: the artifacts API stand-in answers 404, then the file.
api=$tmp/api
mkdir -p "$api/api/v4/projects/7/jobs/artifacts/main/raw/out"
port=$((20000 + RANDOM % 20000))
(cd "$api" && exec python3 -m http.server "$port" --bind 127.0.0.1) >"$tmp/http.log" 2>&1 &
http_pid=$!
sleep 1
gitlab() (
	cd "$1"
	. "$tmp/gl_env.sh"
	export CI_PIPELINE_SOURCE=merge_request_event CI_API_V4_URL=http://127.0.0.1:$port/api/v4 CI_PROJECT_ID=7 \
		CI_DEFAULT_BRANCH=main CI_JOB_NAME=tunebench CI_JOB_TOKEN=job-token
	status=0
	sh -e "$tmp/gl_script.sh" >job.log 2>&1 || status=$?
	echo "$status"
)
suite "$tmp/gl404" '{metric: errors, max: 1%}'
status=$(gitlab "$tmp/gl404")
[ "$status" = 0 ] || fail "GitLab, no baseline (404): job exited $status: $(tail -3 "$tmp/gl404/job.log")"
grep -q 'HTTP 404' "$tmp/gl404/job.log" || fail "GitLab, 404: the job does not say why there is no baseline"
[ ! -e "$tmp/gl404/baseline/new.txt" ] || fail "GitLab, 404: the error page was kept as the baseline"
cp "$tmp/push/out/new.txt" "$api/api/v4/projects/7/jobs/artifacts/main/raw/out/new.txt"
suite "$tmp/gl200" '{metric: errors, max: 1%}'
status=$(gitlab "$tmp/gl200")
[ "$status" = 0 ] || fail "GitLab, with a baseline: job exited $status: $(tail -3 "$tmp/gl200/job.log")"
grep -q 'vs base' "$tmp/gl200/job.log" || fail "GitLab, with a baseline: no comparison in the job log"
say "GitLab merge request: HTTP 404 said and no baseline used; with the baseline, compared and gated (sh -e)"
say "pass"

# Sourced by mk/image-test.sh (make image-test) once its dockerd is up, the
# image built and $dc the compose command of project $proj: the suite split
# into two shards that run side by side through docker-compose.shards.yml,
# merged, and the merged file checked against what the split promises.
# Uses image-test.sh's say, fail, $dc, $proj, $repo, $owner and $VERSION.

shards_test() {
	local out=$proj/out cells n c
	rm -f "$out"/shard-*.txt "$out"/shard-*.hist.jsonl "$out"/all.txt "$out"/all.hist.jsonl
	local sdc=("${dc[@]}" -f "$repo/docker-compose.shards.yml")
	# dc's first -f is docker-compose.yml; the override follows it.
	say "docker-compose.shards.yml: two shards of scenarios/quick.yaml --count 1 side by side, then merge"
	TUNEBENCH_COUNT=1 "${sdc[@]}" up --no-color shard-1 shard-2 merge >"$tmp/shards.log" 2>&1 ||
		fail "compose up shard-1 shard-2 merge: $(tail -5 "$tmp/shards.log")"
	"${sdc[@]}" rm -f >/dev/null 2>&1 || true
	for n in 1 2; do
		[ -s "$out/shard-$n.txt" ] || fail "$out/shard-$n.txt missing: $(tail -5 "$tmp/shards.log")"
		grep -qx "shard: $n/2" "$out/shard-$n.txt" || fail "$out/shard-$n.txt: no 'shard: $n/2' line"
		grep -q '^shard-blocks: link=' "$out/shard-$n.txt" || fail "$out/shard-$n.txt: no shard-blocks line"
	done
	[ -s "$out/all.txt" ] || fail "merge wrote no $out/all.txt: $(tail -5 "$tmp/shards.log")"
	grep -qx 'shards: 2' "$out/all.txt" || fail "$out/all.txt: no 'shards: 2' line"
	grep -qx "tunebench: $VERSION" "$out/all.txt" || fail "$out/all.txt: no 'tunebench: $VERSION' line"
	# Every cell of the suite once (count 1), whichever shard measured it;
	# want_cells is image-test.sh's list, from tunebench validate.
	if [ -z "${want_cells+x}" ] || ((${#want_cells[@]} == 0)); then
		mapfile -t want_cells < <("${dc[@]}" run --rm -T tunebench validate scenarios/quick.yaml | awk '$1 ~ /^Benchmark/ { print $1 }')
	fi
	cells=0
	for c in "${want_cells[@]}"; do
		n=$(awk -v c="$c" '$1 == c || ($1 == "---" && $3 == c)' "$out/all.txt" | wc -l)
		[ "$n" = 1 ] || fail "$out/all.txt: $n lines for $c; want 1"
		cells=$((cells + 1))
	done
	((cells > 0)) || fail "shards: no cells to check (want_cells is empty)"
	n=$(grep -c '^\(Benchmark\|--- FAIL\)' "$out/all.txt" || true)
	[ "$n" = "$cells" ] || fail "$out/all.txt: $n result lines; want one for each of the $cells cells"
	c=$(grep -c . "$out/all.hist.jsonl" || true)
	[ "$c" = "$cells" ] || fail "$out/all.hist.jsonl: $c histograms; want $cells"
	local strays
	strays=$(find "$out" ! -user "${owner%:*}" -printf '%p %u:%g\n')
	[ -z "$strays" ] || fail "shards: not given to the owner of out/ ($owner): $strays"
	say "shards: $(grep -h '^shard-blocks:' "$out"/shard-[12].txt | tr '\n' ' ')merged into all.txt: $cells cells once each, $c histograms"
}
shards_test

#!/usr/bin/env bats
# What a newcomer runs first: make demo's word count (scripts/demo) against
# tr | sort | uniq -c, and the README's examples, pasted as they are.

load test_helper

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)

# readme_blocks: the README's sh blocks that a user without root pastes
# after make demo and make check (not those, nor the test cluster's), with
# the tools under test in PATH rather than the checkout's build/bin.
readme_blocks() {
	awk '/^```sh$/ { n++; b = ""; f = 1; next }
		/^```$/ && f { if (b !~ /make (demo|check)|cluster/) printf "%s", b; f = 0; next }
		f { b = b $0 "\n" }' "$TOP/README.md" |
		sed 's|"\$PWD/build/bin:|"$MR_BUILD/bin:|'
}

@test "the demo counts the text of the README and man pages as tr | sort | uniq -c does" {
	cd "$TOP"
	pages=$(ls man | wc -l)
	bytes=$(cat README.md man/* | wc -c)
	sed '/^\./d' README.md man/* | tr -cs 'A-Za-z0-9' '\n' | tr A-Z a-z |
		grep . | sort | uniq -c > "$BATS_TEST_TMPDIR/counts"
	cd "$BATS_TEST_TMPDIR"
	words=$(awk '{ n += $1 } END { print n }' counts)
	sort -k1,1nr -k2,2 counts | head -n 10 |
		awk '{ printf "%8d  %s\n", $1, $2 }' > want
	run -0 --separate-stderr env MR_BIN="$MR_BUILD/bin" "$TOP/scripts/demo"
	# (bats leaves the empty lines out of lines)
	[ -z "$stderr" ]
	[ "${lines[0]}" = "Counting the words of README.md and the $pages man pages in man/" ]
	[ "${lines[1]}" = "($((pages + 1)) files, $bytes bytes) with one mrrun job on $(getconf _NPROCESSORS_ONLN) cores:" ]
	[[ "${lines[2]}" == "  mrrun -m \"sed "* ]]
	[ "${lines[3]}" = "${TAB}-r count -c count -n 4 README.md man/" ]
	[[ "${lines[4]}" =~ ^$words\ words,\ $(wc -l < counts)\ of\ them\ different,\ counted\ in\ [0-9]+\.[0-9][0-9]\ s\.$ ]]
	[ "${lines[5]}" = "The 10 most frequent:" ]
	printf '%s\n' "${lines[@]:6}" | cmp - want
}

@test "the README's examples run from the checkout's root and write nothing into it" {
	export TMPDIR=$BATS_TEST_TMPDIR MR_BUILD
	readme_blocks > examples.sh
	# the PATH line, the job, the pipeline, the join
	grep -q '^export PATH=' examples.sh
	grep -q '^mrrun ' examples.sh
	grep -q '^mrmap ' examples.sh
	grep -q -- '--join inner' examples.sh
	touch before
	run -0 --separate-stderr bash -c 'cd "$1" && . "$2"' sh "$TOP" \
		"$BATS_TEST_TMPDIR/examples.sh"
	[ -z "$stderr" ]
	# the job's 5 most frequent words, then the pipeline's counts of the
	# README, which has no empty word, then the join's views
	[ "${#lines[@]}" -gt 8 ]
	[[ "${lines[0]}" =~ ^the$TAB[0-9]+$ ]]
	printf '%s\n' "${lines[@]: -3}" > views.out
	printf '/a\t1980\t1\n/b\t1980\t1\n/b\t1990\t1\n' | cmp - views.out
	printf '%s\n' "${lines[@]:5:${#lines[@]}-8}" > pipeline.out
	tr -cs 'A-Za-z0-9' '\n' < "$TOP/README.md" | grep . | sort | uniq -c |
		awk '{ printf "%s\t%s\n", $2, $1 }' | cmp - pipeline.out
	new=$(find "$TOP" \( -path "$TOP/.git" -o -path "$TOP/build" \) -prune \
		-o -newer before -print)
	[ -z "$new" ]
}

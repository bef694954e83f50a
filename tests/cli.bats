#!/usr/bin/env bats
# What every tool shares: --help matches the man page, --version, and no
# binary on a terminal.

load test_helper

TOOLS="mrmap mrmerge mrpartition mrreduce mrrun mrsort mrsplit"
MAN=$BATS_TEST_DIRNAME/../man

@test "--help prints the usage that the man page's SYNOPSIS shows" {
	for t in $TOOLS; do
		run -0 "$t" --help
		[[ "$output" == "usage: $t"* ]]
		# every option in the usage is documented in the page
		for opt in $(printf '%s\n' "$output" | grep -o -- '--[a-z-]*' | sort -u); do
			grep -q -- "Fl -${opt#--}" "$MAN/$t.1" ||
				{ echo "$t: $opt not in $t.1"; return 1; }
		done
		for opt in $(printf '%s\n' "$output" | grep -o -- ' -[a-zA-Z]' | sort -u); do
			grep -Eq "Fl ${opt#-}( |$)" "$MAN/$t.1" ||
				grep -q "Op Fl [a-zA-Z]*${opt#-}" "$MAN/$t.1" ||
				{ echo "$t: $opt not in $t.1"; return 1; }
		done
	done
}

@test "--version names the tool" {
	for t in $TOOLS; do
		run -0 "$t" --version
		[[ "$output" == "$t (mr) "* ]]
	done
}

@test "the man pages are clean mdoc" {
	for page in "$MAN"/*.[157]; do
		run -0 --separate-stderr groff -mdoc -ww -z "$page"
		[ -z "$stderr" ]
	done
}

@test "framed output to a terminal is written as text" {
	command -v script >/dev/null
	printf 'a\t1\n' > in.txt
	run -0 script -qec "mrmerge in.txt" /dev/null
	[[ "$output" == "a"*"1"* ]]
	[[ "$output" != *MRF* ]]
}

# Each tool as it writes the records of in.txt to its standard output.
WRITERS=(
	"mrmap --text cat in.txt"
	"mrmerge --text in.txt"
	"mrreduce NONE in.txt"
	"mrrun -m cat -r NONE --tmpdir . in.txt"
	"mrsort --text in.txt"
	"mrsplit --range 0:9999999 in.txt"
)

@test "a closed pipe ends a tool quietly, by SIGPIPE" {
	seq 1 200000 | sed 's/$/\tv/' | sort > in.txt
	for cmd in "${WRITERS[@]}"; do
		# the test runner may start us with SIGPIPE ignored
		run --separate-stderr bash -c "env --default-signal=PIPE $cmd | head -n 1; exit \${PIPESTATUS[0]}"
		[ "$status" -eq 141 ] || { echo "$cmd: $status"; return 1; }
		[ -z "$stderr" ]
	done
}

@test "output to a closed stdout is an error, not lost" {
	printf 'a\t1\n' > in.txt
	for cmd in "${WRITERS[@]}"; do
		run --separate-stderr bash -c "$cmd >&-"
		[ "$status" -eq 1 ] || { echo "$cmd: $status"; return 1; }
		[[ "$stderr" == "${cmd%% *}: stdout: "* ]]
	done
}

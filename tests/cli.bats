#!/usr/bin/env bats
# What every tool shares: --help matches the man page, --version, and no
# binary on a terminal.

load test_helper

TOOLS="mrjoin mrmap mrmerge mrpartition mrreduce mrrun mrsort mrsplit"
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
	"mrsplit --range 0:\$(wc -c < in.txt) in.txt"
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

# The tools whose options come from one table in cli.c: the filters and
# mrrun.
FILTERS="mrjoin mrmap mrmerge mrpartition mrreduce mrrun mrsort mrsplit"

# synopsis TOOL: the SYNOPSIS of TOOL's man page, as one line.
synopsis() {
	groff -mdoc -Tascii "$MAN/$1.1" 2>/dev/null | col -b |
		sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' |
		tr -s ' \t\n' '   ' | sed 's/^ //; s/ $//'
}

# man_options TOOL: "-x --long" or "--long" for each option that the
# options list of TOOL's man page describes, one a line, sorted.
man_options() {
	sed -n '/^The options are as follows/,/^\.Sh/p' "$MAN/$1.1" |
		grep '^\.It Fl ' |
		sed -E 's/^\.It Fl ([a-zA-Z])( Ar [^,]*)? , Fl -([a-z-]+).*/-\1 --\3/;
			s/^\.It Fl -([a-z-]+).*/--\1/' | sort
}

@test "--help starts with the usage, which is the man page's SYNOPSIS" {
	for t in $FILTERS; do
		run -0 --separate-stderr "$t" --help
		[ -z "$stderr" ]
		usage=$(printf '%s\n' "$output" | sed '/^$/,$d' |
			sed 's/^usage: //' | tr -s ' \t\n' '   ' | sed 's/ $//')
		[ -n "$usage" ]
		[ "$usage" = "$(synopsis "$t")" ] ||
			{ echo "$t: '$usage' is not '$(synopsis "$t")'"; return 1; }
	done
}

@test "--help says in one line what each option of the man page does" {
	for t in $FILTERS; do
		run -0 --separate-stderr "$t" --help
		[ -z "$stderr" ]
		opts=$(printf '%s\n' "$output" |
			grep -E '^  (-[a-zA-Z], |    )--[a-z-]+' |
			sed -E 's/^  (-[a-zA-Z]), (--[a-z-]+).*/\1 \2/;
				s/^ +(--[a-z-]+).*/\1/' | sort)
		[ "$opts" = "$(man_options "$t")" ] ||
			{ echo "$t: $opts"; return 1; }
		# a line each: the option, then what it does
		[ "$(printf '%s\n' "$output" | grep -cE '^  (-[a-zA-Z], |    )--')" -eq "$(man_options "$t" | wc -l)" ]
		[ -z "$(printf '%s\n' "$output" |
			grep -E '^  (-[a-zA-Z], |    )--' |
			grep -vE '^  .*[^ ]   *[a-z].*[a-z]')" ]
		[ -z "$(printf '%s\n' "$output" | awk 'length($0) > 79')" ]
		[ "${lines[-1]}" = "See $t(1) for the whole manual." ]
	done
}

@test "messages name the tool, not the path it was run by" {
	for t in $FILTERS; do
		run -2 --separate-stderr "$MR_BUILD/bin/$t" --bogus
		[ "$output" = "" ]
		[[ "${stderr_lines[0]}" == "$t: "*"--bogus"* ]] ||
			{ echo "$t: $stderr"; return 1; }
		[[ "${stderr_lines[1]}" == "usage: $t "* ]]
		run -2 --separate-stderr "$MR_BUILD/bin/$t" -Q
		[[ "${stderr_lines[0]}" == "$t: "*"Q"* ]]
		[[ "${stderr_lines[1]}" == "usage: $t "* ]]
		run -2 --separate-stderr "$MR_BUILD/bin/$t" -t
		[[ "${stderr_lines[0]}" == "$t: "*"t"* ]]
		[[ "${stderr_lines[1]}" == "usage: $t "* ]]
		run -0 --separate-stderr "$MR_BUILD/bin/$t" --version
		[[ "$output" == "$t (mr) "* ]]
		[ -z "$stderr" ]
	done
	run -1 --separate-stderr "$MR_BUILD/bin/mrsort" nosuch
	[ "$output" = "" ]
	[ "$stderr" = "mrsort: nosuch: No such file or directory" ]
	run -1 --separate-stderr "$MR_BUILD/bin/mrreduce" count nosuch
	[ "$stderr" = "mrreduce: nosuch: No such file or directory" ]
}

@test "the man pages' word tokenizers drop the empty word tr -cs makes" {
	# tr -cs turns a leading non-word byte into an empty first word
	[ "$(printf ' a\n' | tr -cs 'A-Za-z0-9' '\n' | head -n 1)" = "" ]
	uses=$(grep -h "tr -cs '[^']*' '\\\\en'" "$MAN"/*.[157])
	[ -n "$uses" ]
	bare=$(printf '%s\n' "$uses" | grep -v "'\\\\en'[^|]* | grep \\.") || true
	[ -z "$bare" ] || { echo "no | grep .: $bare"; return 1; }
}

@test "every filter takes --allow-magic, in its usage, --help and page" {
	for t in $FILTERS; do
		run -0 --separate-stderr "$t" --help
		[[ "$output" == *"[--allow-magic]"* ]] || { echo "$t: usage"; return 1; }
		printf '%s\n' "$output" | grep -qx '      --allow-magic  *read lines starting with the framed magic as text' ||
			{ echo "$t: help"; return 1; }
		grep -qx '\.It Fl -allow-magic' "$MAN/$t.1"
	done
}

@test "an optional argument is --NAME[=ARG] in --help and in the page" {
	for t in $FILTERS; do
		run -0 --separate-stderr "$t" --help
		help=$(printf '%s\n' "$output" | grep -E '^  (-[a-zA-Z], |    )--' |
			grep -oE -- '--[a-z-]+\[=[A-Z]+\]' | sort)
		page=$(sed -nE 's/^\.It Fl -([a-z-]+) Ns Op = Ns Ar ([A-Z]+)$/--\1[=\2]/p' "$MAN/$t.1" | sort)
		[ "$help" = "$page" ] || { echo "$t: '$help' is not '$page'"; return 1; }
	done
	run -0 mrsort --help
	[[ "$output" == *"[--values[=KEYDEF]]"* ]]
	printf '%s\n' "$output" | grep -q '^      --values\[=KEYDEF\]  '
}

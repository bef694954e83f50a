#!/usr/bin/env bats
# mrmerge: k-way merge against sort -m, order checks, -o onto an input.

load test_helper

# runs K N SEED [SORTFLAGS...]: K files run0..run(K-1) of N lines each,
# key<TAB>file:line, sorted stably on the key alone.
runs() {
	local k=$1 n=$2 seed=$3 i
	shift 3
	for ((i = 0; i < k; i++)); do
		words "$n" $((seed + i)) | awk -v f="$i" '{ print $0 "\t" f ":" NR }' |
			sort -s -t "$TAB" -k1,1 "$@" > "run$i"
	done
}

@test "merge equals a stable sort -m on the key" {
	runs 5 400 10
	mrmerge --text run0 run1 run2 run3 run4 > got
	sort -s -m -t "$TAB" -k1,1 run0 run1 run2 run3 run4 | cmp - got
}

@test "framed and text inputs merge alike" {
	runs 3 300 20
	frame run1 run1.mr
	mrmerge --text run0 run1.mr run2 > got
	sort -s -m -t "$TAB" -k1,1 run0 run1 run2 | cmp - got
}

@test "a fan-in of 100 inputs" {
	runs 100 20 30
	mrmerge --text run* > got
	sort -s -m -t "$TAB" -k1,1 run* | cmp - got
}

@test "a fan-in over the soft open file limit raises the limit" {
	runs 300 3 35
	ulimit -Sn 64
	mrmerge --text run* > got
	sort -s -m -t "$TAB" -k1,1 run* | cmp - got
}

@test "-r merges reverse-sorted inputs" {
	runs 4 300 40 -r
	mrmerge -r --text run0 run1 run2 run3 > got
	sort -s -m -r -t "$TAB" -k1,1 run0 run1 run2 run3 | cmp - got
}

@test "-n merges numbers by value, non-numbers first" {
	for i in 0 1 2; do
		awk -v s="$i" 'BEGIN { srand(s); for (j = 0; j < 300; j++)
			printf "%d\tf%d\n", int(rand() * 2000) - 1000, s }' |
			sort -s -n -t "$TAB" -k1,1 > "run$i"
	done
	printf -- '-.5\tx\n2.25\tx\n' > run3
	mrmerge -n --text run0 run1 run2 run3 > got
	sort -s -m -n -t "$TAB" -k1,1 run0 run1 run2 run3 | cmp - got
	# sort -n takes a non-number for 0; mr puts them before all numbers
	printf -- '-0.0\tx\nb\tx\n' > run5
	run -1 mrmerge -n run5 -o /dev/null
	printf 'abc\tx\nb\tx\n-1\tx\n' > run6
	printf '0\ty\n00\ty\n' > run7
	mrmerge -n --text run6 run7 > got
	printf 'abc\tx\nb\tx\n-1\tx\n0\ty\n00\ty\n' | cmp - got
}

@test "--values breaks ties by value" {
	for i in 0 1 2; do
		words 300 $((50 + i)) | awk '{ print $0 "\t" int(NR % 17) }' |
			sort -t "$TAB" -k1,1 -k2 > "run$i"
	done
	mrmerge --values --text run0 run1 run2 > got
	sort -m -t "$TAB" -k1,1 -k2 run0 run1 run2 | cmp - got
}

@test "binary keys merge bytewise" {
	printf 'a\0b\t1\na\xff\t2\n' > run0
	printf 'a\t3\na\0\t4\n\xff\t5\n' > run1
	mrmerge run0 run1 | mrtest dump > got
	printf '%s\n' '61 33' '6100 34' '610062 31' '61ff 32' 'ff 35' | cmp - got
}

@test "an input out of order is an error naming the file and record" {
	printf 'a\t1\nc\t2\nb\t3\n' > bad
	printf 'a\t0\n' > good
	run -1 --separate-stderr mrmerge -o out good bad
	[ "$stderr" = "mrmerge: bad: record 3 is out of order (inputs must be sorted)" ]
	[ ! -e out ]
	no_temps .
}

@test "-o may name one of the inputs" {
	runs 2 200 60
	sort -s -m -t "$TAB" -k1,1 run0 run1 > want
	mrmerge --text -o run0 run0 run1
	cmp want run0
}

@test "-o /dev/null is written, not replaced" {
	runs 1 10 70
	mrmerge -o /dev/null run0
	[ -c /dev/null ]
}

@test "standard input is read when no file is named" {
	runs 1 50 80
	mrmerge --text < run0 > got
	cmp run0 got
	mrmerge --text - < run0 > got2
	cmp run0 got2
}

@test "empty inputs merge to an empty stream" {
	: > e1
	: > e2
	mrmerge e1 e2 > out.mr
	[ "$(wc -c < out.mr)" -eq 38 ]
	run -0 mrmerge --text out.mr e1
	[ -z "$output" ]
}

@test "a missing input is an error" {
	run -1 --separate-stderr mrmerge -o out nosuch
	[ "$stderr" = "mrmerge: nosuch: No such file or directory" ]
	[ ! -e out ]
}

@test "a truncated input fails the merge and leaves no output" {
	runs 2 200 90
	frame run1 full.mr
	head -c 1000 full.mr > cut.mr
	run -1 --separate-stderr mrmerge -o out run0 cut.mr
	assert_stderr_prefix "mrmerge: cut.mr: "
	[ ! -e out ]
	no_temps .
}

@test "a failing merge into a pipe leaves a stream the next tool rejects" {
	printf 'b\t1\na\t2\n' > bad
	run -1 --separate-stderr bash -c 'mrmerge bad | mrmerge -o /dev/null -'
	assert_stderr_prefix "mrmerge: bad: record 2 is out of order"
	[[ "$stderr" == *"mrmerge: stdin: "* ]]
}

@test "empty lines, empty keys first, merge as sort orders them" {
	# under UBSan this once failed: an empty key has no bytes to compare
	printf '\n\na\n\tv\nb\n' | LC_ALL=C sort > in.txt
	run -0 --separate-stderr mrmerge --text in.txt
	[ "$output" = "$(cat in.txt)" ]
}

@test "bad options are usage errors" {
	run -2 --separate-stderr mrmerge -t ab x
	assert_stderr_prefix "mrmerge: bad separator: ab"
	run -2 --separate-stderr mrmerge - -
	assert_stderr_prefix "mrmerge: standard input named twice"
	run -2 --separate-stderr mrmerge --bogus
	[[ "$stderr" == *"usage: mrmerge"* ]]
}

@test "200 inputs over a limit of 32 open files merge in passes, as sort -m" {
	runs 200 30 50
	mkdir tmp
	run -0 --separate-stderr low_limit mrmerge -T tmp --text run*
	[ -z "$stderr" ]
	[ "$output" = "$(sort -s -m -t "$TAB" -k1,1 run*)" ]
	[ -z "$(ls -A tmp)" ]
	# $TMPDIR when there is no -T; --values needs values sorted too
	for f in run*; do sort -o "$f" "$f"; done
	TMPDIR=$PWD/tmp low_limit mrmerge --values --text run* > got
	sort -m run* | cmp - got
	[ -z "$(ls -A tmp)" ]
}

@test "a merge in passes keeps -r, -n, --values and framed bytes as one merge" {
	runs 150 20 70 -r
	mrmerge -r run* > want.mr
	low_limit mrmerge -r run* > got.mr
	cmp want.mr got.mr
	sort -s -m -r -t "$TAB" -k1,1 run* | cmp - <(mrmerge -r --text got.mr)
	for i in $(seq 0 149); do
		awk -v s="$i" 'BEGIN { srand(s); for (j = 0; j < 20; j++)
			printf "%d\t%d\n", int(rand() * 200) - 100, s }' |
			sort -s -n -t "$TAB" -k1,1 > "run$i"
	done
	low_limit mrmerge -n --text run* > got
	sort -s -m -n -t "$TAB" -k1,1 run* | cmp - got
	# framed inputs with metadata (partial states): the same stream
	for i in $(seq 0 149); do
		mrmap --combine=sum cat "run$i" | mrsort -n -o "c$i.mr"
	done
	mrmerge -n c*.mr > want.mr
	low_limit mrmerge -n c*.mr > got.mr
	cmp want.mr got.mr
	mrmerge -n --values c*.mr > want.mr
	low_limit mrmerge -n --values c*.mr > got.mr
	cmp want.mr got.mr
}

@test "an input out of order is named in a merge in passes, and no temp is left" {
	runs 100 20 90
	printf 'zz\tx\naa\ty\n' > run42
	mkdir tmp
	run -1 --separate-stderr low_limit mrmerge -T tmp -o out run*
	[ "$stderr" = "mrmerge: run42: record 2 is out of order (inputs must be sorted)" ]
	[ ! -e out ]
	[ -z "$(ls -A tmp)" ]
	no_temps .
	run -1 --separate-stderr low_limit mrmerge -T nosuch run*
	assert_stderr_prefix "mrmerge: nosuch: cannot create a temporary file: "
}

@test "too few open files for a merge in passes is an error" {
	runs 30 2 10
	run -1 --separate-stderr bash -c 'ulimit -n 19 && mrmerge run*'
	[ "$stderr" = "mrmerge: 30 files to merge, and too few open files allowed (ulimit -n) to merge them in passes" ]
	[ -z "$output" ]
}

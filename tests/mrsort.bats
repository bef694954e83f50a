#!/usr/bin/env bats
# mrsort: against LC_ALL=C sort, in memory and spilled, and its temp files.

load test_helper

# keysort FILE...: the oracle, a stable sort on the key alone.
keysort() {
	sort -s -t "$TAB" -k1,1 "$@"
}

@test "sorts like a stable LC_ALL=C sort on the key" {
	input 20000 1 > in.txt
	mrsort --text in.txt > got
	keysort in.txt | cmp - got
}

@test "edge cases of keys match sort" {
	{
		printf 'b\t1\n\t2\na\t3\nab\t4\na\t5\n\t6\nabc\t7\nb\t8\n'
		printf 'a b\t9\nA\t10\nz\t11\n~\t12\n'
	} > in.txt
	mrsort --text in.txt > got
	keysort in.txt | cmp - got
}

@test "a 1 MB key sorts among short ones" {
	{
		printf 'm\t1\n'
		head -c 1048576 /dev/zero | tr '\0' 'k'
		printf '\t2\n'
		printf 'k\t3\nl\t4\n'
	} > in.txt
	mrsort --text in.txt > got
	keysort in.txt | cmp - got
	mrsort -S 1K --text in.txt | cmp - got
}

@test "keys of 16 MiB and more sort among short ones" {
	{
		printf 'm\t1\n'
		head -c 17000000 /dev/zero | tr '\0' 'k'
		printf '\t2\n'
		printf 'k\t3\n'
		head -c 17000000 /dev/zero | tr '\0' 'k'
		printf 'j\t4\n'
		printf 'l\t5\n'
	} > in.txt
	mrsort --text in.txt > got
	keysort in.txt | cmp - got
	mrsort -S 1K --text in.txt | cmp - got
	mrsort -r --text in.txt > gotr
	sort -s -r -t "$TAB" -k1,1 in.txt | cmp - gotr
}

@test "keys that share 40 KB prefixes sort without running out of stack" {
	awk 'BEGIN { p = "x"; while (length(p) < 40000) p = p p
		for (i = 0; i < 30; i++) printf "%s%03d\t%d\n", p, 29 - i, i
		s = ""
		for (i = 1; i <= 2000; i++) { s = s "a"; print s "b" } }' > in.txt
	mrsort --text in.txt > got
	keysort in.txt | cmp - got
}

@test "a low open file limit caps the merge fan-in" {
	input 30000 15 > in.txt
	mrsort in.txt > want.mr
	run -0 bash -c 'ulimit -n 64; mrsort -S 1K in.txt > got.mr'
	cmp want.mr got.mr
	run -0 bash -c 'ulimit -n 64; printf "b\na\n" | mrsort --text'
	[ "$output" = "$(printf 'a\nb')" ]
}

@test "a small input sorts under a tight address space limit" {
	# sanitizers reserve terabytes of address space: no limit for them
	[ -z "${ASAN_OPTIONS-}" ] || limit=
	run -0 bash -c "${limit-ulimit -v 400000;} printf 'b\na\n' | mrsort --text"
	[ "$output" = "$(printf 'a\nb')" ]
}

@test "empty input, one record, all keys equal" {
	: > empty
	run -0 mrsort --text empty
	[ -z "$output" ]
	mrsort empty > empty.mr
	[ "$(wc -c < empty.mr)" -eq 38 ]
	printf 'one\t1\n' > one
	run -0 mrsort --text one
	[ "$output" = "$(printf 'one\t1')" ]
	seq 1 5000 | sed 's/^/same\t/' > same
	mrsort --text same | cmp - same
	mrsort -S 4K --text same | cmp - same
}

@test "sorted and reverse-sorted input" {
	input 5000 2 | keysort > sorted
	mrsort --text sorted | cmp - sorted
	sort -r sorted > reversed
	mrsort --text reversed > got
	keysort reversed | cmp - got
}

@test "records with equal keys keep their input order" {
	input 20000 3 > in.txt
	mrsort --text in.txt > got
	# the values (line numbers) of each key come out ascending
	awk -F'\t' '$1 == k && $2 < v { exit 1 } { k = $1; v = $2 }' got
}

@test "empty records keep their input order too" {
	awk 'BEGIN { for (i = 1; i <= 5000; i++) { print ""; print "\tv" i } }' > in.txt
	mrsort --text in.txt > got
	keysort in.txt | cmp - got
	mrsort -S 1b --text in.txt | cmp - got
}

@test "--values breaks ties by value" {
	words 10000 4 | awk '{ print $0 "\t" int(NR * 7919 % 1000) }' > in.txt
	mrsort --values --text in.txt > got
	sort -t "$TAB" -k1,1 -k2 in.txt | cmp - got
}

@test "-r reverses, stably" {
	input 10000 5 > in.txt
	mrsort -r --text in.txt > got
	sort -s -r -t "$TAB" -k1,1 in.txt | cmp - got
	mrsort -r -S 8K --text in.txt | cmp - got
}

@test "-n sorts numbers by value" {
	awk 'BEGIN { srand(6); for (i = 0; i < 10000; i++)
		printf "%d.%d\t%d\n", int(rand() * 2000) - 1000, int(rand() * 10), i }' > in.txt
	mrsort -n --text in.txt > got
	sort -s -n -t "$TAB" -k1,1 in.txt | cmp - got
	mrsort -n -S 8K --text in.txt | cmp - got
	mrsort -n -r --text in.txt > gotr
	sort -s -n -r -t "$TAB" -k1,1 in.txt | cmp - gotr
}

@test "a big text file read in two halves sorts like one" {
	# 20 MB, over the size that mrsort reads on two threads
	awk 'BEGIN { srand(16); for (i = 0; i < 1500000; i++)
		printf "%c%c%c\t%d\n", 97 + int(rand() * 20), 97 + int(rand() * 20),
		    97 + int(rand() * 20), i }' > in.txt
	[ "$(wc -c < in.txt)" -gt 16777216 ]
	mrsort --text in.txt > got
	keysort in.txt | cmp - got
	mrsort --parallel 1 --text in.txt | cmp - got
	mrsort -S 8M --text in.txt | cmp - got
	tr '\n' '\0' < in.txt > in.z
	mrsort -z --text in.z | tr '\0' '\n' | cmp - got
}

@test "halves that turn out not to fit are read again in one piece" {
	# long lines first, so that the start of the file promises a fit
	awk 'BEGIN { srand(17); v = "v"; while (length(v) < 1000) v = v v
		for (i = 0; i < 100; i++) printf "long%03d\t%s\n", 99 - i, v
		for (i = 0; i < 1800000; i++)
			printf "%c%c%c\t%d\n", 97 + int(rand() * 20),
			    97 + int(rand() * 20), 97 + int(rand() * 20), i }' > in.txt
	mrsort -S 40M --text in.txt > got
	keysort in.txt | cmp - got
}

@test "the external path gives the bytes of the in-memory path" {
	input 50000 7 > in.txt
	mrsort in.txt > mem.mr
	for t in 1 2 8; do
		mrsort --parallel "$t" -S 16K in.txt > ext.mr
		cmp mem.mr ext.mr
		mrsort --parallel "$t" in.txt | cmp - mem.mr
	done
	# more runs than one merge pass takes
	mrsort -S 1K in.txt | cmp - mem.mr
}

@test "binary keys sort bytewise" {
	mrtest gen 8 5000 12 > in.mr
	mrsort in.mr | mrtest dump > got
	mrtest dump < in.mr | cut -d ' ' -f 1 | sort > keys
	cut -d ' ' -f 1 got | cmp - keys
	printf 'a\0b\t1\na\xff\t2\na\t3\na\0\t4\n\xff\t5\n' > bin.txt
	mrsort bin.txt | mrtest dump > got2
	printf '%s\n' '61 33' '6100 34' '610062 31' '61ff 32' 'ff 35' | cmp - got2
}

@test "-z sorts NUL-terminated records with newlines inside" {
	printf 'b\nx\tv1\0a\tv\n2\0c\0' > in.z
	mrsort -z --text in.z > got
	printf 'a\tv\n2\0b\nx\tv1\0c\0' | cmp - got
}

@test "-o may name one of the inputs" {
	input 3000 9 > in.txt
	keysort in.txt > want
	mrsort --text -o in.txt in.txt
	cmp want in.txt
	no_temps .
}

@test "-c accepts sorted input and names the first record out of order" {
	printf 'a\t1\nb\t2\nb\t1\n' > ok
	run -0 mrsort -c ok
	printf 'a\t1\nc\t2\nb\t3\nd\t4\n' > bad
	run -1 --separate-stderr mrsort -c bad
	[ "$stderr" = "mrsort: bad: record 3 is out of order" ]
	run -1 --separate-stderr mrsort -c --values ok
	[ "$stderr" = "mrsort: ok: record 3 is out of order" ]
	run -0 mrsort -c -r --values <(printf 'b\t2\nb\t1\na\t9\n')
}

@test "metadata is copied to the output" {
	mrtest gen 3 500 6 "values=partial:count$(printf '\n')" > p.mr
	mrsort -S 4K p.mr > out.mr
	[ "$(head -c 33 out.mr | tail -c 20)" = "values=partial:count" ]
}

@test "no temp file is left after success" {
	mkdir tmp
	input 20000 10 > in.txt
	mrsort -T tmp -S 8K in.txt > /dev/null
	[ -z "$(ls -A tmp)" ]
}

@test "a truncated input fails with no output and no temp file" {
	mkdir tmp
	input 20000 11 > in.txt
	mrsort in.txt > full.mr
	head -c 20000 full.mr > cut.mr
	run -1 --separate-stderr mrsort -T tmp -S 8K -o out cut.mr
	assert_stderr_prefix "mrsort: cut.mr: "
	[ ! -e out ]
	[ -z "$(ls -A tmp)" ]
	no_temps .
}

@test "SIGINT and SIGTERM mid-sort leave no temp file" {
	mkdir tmp
	input 20000 12 > in.txt
	for sig in INT TERM; do
		rm -f fifo
		mkfifo fifo
		# a background job starts with SIGINT ignored; give it back
		env --default-signal=INT mrsort -T tmp -S 8K -o out fifo &
		pid=$!
		exec 5> fifo
		cat in.txt >&5
		# wait for spilled runs (open, already unlinked), input still open
		for ((try = 0; try < 2000; try++)); do
			ls -l "/proc/$pid/fd" 2>/dev/null |
				grep -q 'tmp/mrsort.*(deleted)' && break
			sleep 0.01
		done
		ls -l "/proc/$pid/fd" | grep -q 'tmp/mrsort.*(deleted)'
		kill -"$sig" "$pid"
		rc=0
		wait "$pid" || rc=$?
		exec 5>&-
		[ "$rc" -eq $((128 + $(kill -l "$sig"))) ]
		[ ! -e out ]
		[ -z "$(ls -A tmp)" ]
		no_temps .
	done
}

@test "a full disk under -T is a clear error" {
	[ "$(id -u)" -eq 0 ]
	mkdir small
	mount -t tmpfs -o size=64k tmpfs small
	input 50000 13 > in.txt
	run -1 --separate-stderr mrsort -T small -S 8K -o out in.txt
	umount small
	[[ "$stderr" == "mrsort: small: write error: No space left on device"* ]]
	[ ! -e out ]
	no_temps .
}

@test "bad input and options are errors" {
	run -1 --separate-stderr mrsort nosuch
	[ "$stderr" = "mrsort: nosuch: No such file or directory" ]
	run -2 --separate-stderr mrsort -S 0 x
	assert_stderr_prefix "mrsort: bad memory size: 0"
	run -2 --separate-stderr mrsort -S 12Q x
	assert_stderr_prefix "mrsort: bad memory size: 12Q"
	run -2 --separate-stderr mrsort -S 101% x
	assert_stderr_prefix "mrsort: bad memory size: 101%"
	run -2 --separate-stderr mrsort --parallel 0 x
	assert_stderr_prefix "mrsort: bad thread count: 0"
	run -2 --separate-stderr mrsort -t ab x
	assert_stderr_prefix "mrsort: bad separator: ab"
	run -2 --separate-stderr mrsort - -
	assert_stderr_prefix "mrsort: standard input named twice"
	input 2000 14 > in.txt
	mkdir adir
	run -1 --separate-stderr mrsort -o adir /dev/null
	[ "$stderr" = "mrsort: adir: Is a directory" ]
	run -1 --separate-stderr mrsort -T /nonexistent -S 1K -o out in.txt
	assert_stderr_prefix "mrsort: /nonexistent: cannot create a temporary file"
}

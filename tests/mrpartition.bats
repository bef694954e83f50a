#!/usr/bin/env bats
# mrpartition: hash and range partitioning, against awk and sort oracles.

load test_helper

@test "no record is lost or duplicated and equal keys share a partition" {
	input 5000 1 > in.txt
	mrpartition -n 7 --text -o p%d in.txt
	cat p0 p1 p2 p3 p4 p5 p6 | sort > got
	sort in.txt | cmp - got
	for i in 0 1 2 3 4 5 6; do cut -f1 "p$i" | sort -u; done |
		sort | uniq -d > shared
	[ ! -s shared ]
}

@test "records keep their input order within a partition" {
	input 3000 2 > in.txt
	mrpartition -n 4 --text -o p%d in.txt
	for i in 0 1 2 3; do
		cut -f2 "p$i" > nums
		sort -n nums | cmp - nums
	done
}

@test "the partition is XXH64 of the key mod N, as xxhsum computes it" {
	{
		words 200 3
		# keys of 32 bytes and more take the hash's other path
		awk 'BEGIN { for (i = 1; i <= 40; i++) {
			s = ""; for (j = 0; j < i * 3; j++) s = s sprintf("%c", 97 + (i * j) % 26)
			print s } }'
	} | sort -u > keys
	mrpartition -n 16 --text -o p%02d keys
	while read -r k; do
		h=$(printf '%s' "$k" | xxhsum -H1 - | cut -c1-16)
		want=$(printf '%02d' $((0x${h:15:1})))
		grep -qx -- "$k" "p$want"
	done < keys
}

@test "hash golden vectors" {
	# XXH64 seed 0: "" ef46db3751d8e999, "a" d24ec4f1a98c6e5b,
	# "abc" 44bc2cf5ad770999; the low 12 bits name the partition of 4096
	printf '\na\nabc\n' > keys
	mkdir p
	mrpartition -n 4096 --text -o p/%d keys
	[ "$(cat p/$((0x999)))" = "$(printf '\nabc')" ]
	[ "$(cat p/$((0xe5b)))" = a ]
	[ "$(cat p/* | wc -l)" -eq 3 ]
}

@test "-k hashes the first K fields of the key" {
	# framed keys "user<TAB>time", made with : as the text separator
	for u in alice bob carol dave erin frank; do
		for t in 3 1 2; do printf '%s\t%s:x\n' "$u" "$t"; done
	done > in.txt
	mrpartition -t : -n 1 -o k%d in.txt
	mrpartition -k 1 -n 3 --text -o p%d k0
	for i in 0 1 2; do cut -f1 "p$i" | sort -u; done | sort | uniq -d > shared
	[ ! -s shared ]
	cat p0 p1 p2 | sort > got
	sed 's/:/\t/' in.txt | sort | cmp - got
}

@test "all N outputs exist, empty streams where no record went" {
	printf 'only\t1\n' > in.txt
	mkdir out
	mrpartition -n 8 -o out/p%d in.txt
	[ "$(ls out | wc -l)" -eq 8 ]
	total=0
	for f in out/p*; do
		n=$(mrtest dump < "$f" | wc -l)
		total=$((total + n))
	done
	[ "$total" -eq 1 ]
}

@test "text and framed outputs hold the same records" {
	input 1000 4 > in.txt
	mrpartition -n 3 -o f%d in.txt
	mrpartition -n 3 --text -o t%d in.txt
	for i in 0 1 2; do
		mrpartition -n 1 --text -o back%d "f$i"
		cmp "back0" "t$i"
	done
}

@test "the awk pipeline of the README works as a user expects" {
	awk 'BEGIN { for (i = 0; i < 500; i++)
		printf "10.0.0.%d - - [x] \"GET /p%d\" 200 %d\n", i % 13, i % 7, i
	}' > access.log
	awk '{print $1 "\t" $7}' access.log | mrpartition -n 8 -o p%d
	for i in 0 1 2 3 4 5 6 7; do mrpartition -n 1 --text -o t$i-%d "p$i"; done
	cat t*-0 | sort > got
	awk '{print $1 "\t" $7}' access.log | sort | cmp - got
}

@test "--sample and --split-points give a global order" {
	input 4000 5 > in.txt
	mrpartition -n 5 --sample points in.txt
	[ "$(mrtest dump < points | wc -l)" -eq 4 ]
	mrpartition -n 5 --split-points points --text -o r%d in.txt
	for i in 0 1 2 3 4; do sort "r$i"; done > got
	sort in.txt | cmp - got
	# no partition is empty on this input
	for i in 0 1 2 3 4; do [ -s "r$i" ]; done
}

@test "split points keep working on skewed input" {
	{ input 200 6; yes "hot${TAB}1" | head -n 5000; } > in.txt
	mrpartition -n 4 --sample points in.txt
	mrpartition -n 4 --split-points points --text -o r%d in.txt
	for i in 0 1 2 3; do sort "r$i"; done > got
	sort in.txt | cmp - got
	# the hot key lands in one partition only
	[ "$(grep -l "^hot$TAB" r0 r1 r2 r3 | wc -l)" -eq 1 ]
}

@test "--numeric split points order numbers by value" {
	seq 1 1000 | awk '{ print ($0 * 7919) % 1000 - 500 }' > in.txt
	mrpartition -n 4 --numeric --sample points in.txt
	mrpartition -n 4 --numeric --split-points points --text -o r%d in.txt
	for i in 0 1 2 3; do sort -n "r$i"; done > got
	sort -n in.txt | cmp - got
}

@test "unsorted split points are an error" {
	printf 'b\na\n' > points
	printf 'x\n' > in.txt
	run -1 --separate-stderr mrpartition -n 3 --split-points points -o r%d in.txt
	[ "$stderr" = "mrpartition: points: split point 2 is out of order" ]
	[ ! -e r0 ]
}

@test "too many split points are an error" {
	printf 'a\nb\nc\n' > points
	run -1 --separate-stderr mrpartition -n 3 --split-points points -o r%d /dev/null
	[ "$stderr" = "mrpartition: points: more than 2 split points for 3 partitions" ]
}

@test "a missing input file is an error and leaves no output" {
	run -1 --separate-stderr mrpartition -n 2 -o p%d nosuch
	[ "$stderr" = "mrpartition: nosuch: No such file or directory" ]
	[ ! -e p0 ]
}

@test "a corrupt second input leaves no output under a final name" {
	input 100 7 > good.txt
	mrpartition -n 1 -o g%d good.txt
	head -c 50 g0 > bad.mr
	run -1 --separate-stderr mrpartition -n 3 -o p%d good.txt bad.mr
	assert_stderr_prefix "mrpartition: bad.mr: "
	[ ! -e p0 ] && [ ! -e p1 ] && [ ! -e p2 ]
	no_temps .
}

@test "an existing output is replaced only when the run succeeds" {
	printf 'old\n' > p0
	printf 'a\t1\n' > good.txt
	printf '\x89MRF' > bad.mr
	run -1 mrpartition -n 1 -o p%d good.txt bad.mr
	[ "$(cat p0)" = old ]
	run -0 mrpartition -n 1 --text -o p%d good.txt
	[ "$(cat p0)" = "$(printf 'a\t1')" ]
}

@test "SIGTERM removes the temporary outputs" {
	mkfifo fifo
	mrpartition -n 3 -o p%d fifo &
	pid=$!
	exec 5> fifo
	printf 'a\t1\nb\t2\nc\t3\n' >&5
	for ((try = 0; try < 500; try++)); do
		[ "$(find . -name '.p*' | wc -l)" -eq 3 ] && break
		sleep 0.01
	done
	[ "$(find . -name '.p*' | wc -l)" -eq 3 ]
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	exec 5>&-
	[ "$rc" -eq 143 ]
	no_temps .
	[ ! -e p0 ]
}

@test "bad options are usage errors" {
	run -2 --separate-stderr mrpartition -o p%d in
	[ "${stderr%%$'\n'*}" = "mrpartition: -n N is required" ]
	run -2 --separate-stderr mrpartition -n 0 -o p%d
	assert_stderr_prefix "mrpartition: bad partition count: 0"
	run -2 --separate-stderr mrpartition -n x -o p%d
	assert_stderr_prefix "mrpartition: bad partition count: x"
	run -2 --separate-stderr mrpartition -n 70000 -o p%d
	assert_stderr_prefix "mrpartition: bad partition count: 70000"
	run -2 --separate-stderr mrpartition -n 2
	assert_stderr_prefix "mrpartition: -o TEMPLATE is required"
	run -2 --separate-stderr mrpartition -n 2 -o part
	assert_stderr_prefix "mrpartition: bad template: part"
	run -2 --separate-stderr mrpartition -n 2 -o 'p%s'
	assert_stderr_prefix "mrpartition: bad template: p%s"
	run -2 --separate-stderr mrpartition -n 2 -o 'p%d%d'
	assert_stderr_prefix "mrpartition: bad template: p%d%d"
	run -2 --separate-stderr mrpartition -n 2 -o p%d -t ab
	assert_stderr_prefix "mrpartition: bad separator: ab"
	run -2 --separate-stderr mrpartition -n 2 -o p%d -k 0
	assert_stderr_prefix "mrpartition: bad field count: 0"
	run -2 --separate-stderr mrpartition -n 2 -o p%d --numeric
	assert_stderr_prefix "mrpartition: --numeric and --reverse go with"
	run -2 --separate-stderr mrpartition -n 2 -o p%d -k 1 --split-points x
	assert_stderr_prefix "mrpartition: -k and --split-points exclude"
	run -2 --separate-stderr mrpartition -n 2 --sample s -o p%d
	assert_stderr_prefix "mrpartition: --sample takes no"
	run -2 --separate-stderr mrpartition -n 2 -o p%d - -
	assert_stderr_prefix "mrpartition: standard input named twice"
	run -2 --separate-stderr mrpartition --bogus
	[[ "$stderr" == *"usage: mrpartition"* ]]
	[ ! -e p0 ] && [ ! -e s ]
}

@test "-o refuses a field width over 99, and shows a long template cut" {
	printf 'a\t1\n' > in
	bad_templates mrpartition p
	run -2 --separate-stderr mrpartition -n 3 -o "$(printf 'p\001\n%%s')" in
	assert_stderr_prefix 'mrpartition: bad template: p\x01\n%s ('
	[ "$(ls | grep -v "^separate-stderr")" = in ]
	run -0 --separate-stderr mrpartition -n 2 --text -o 'p%099d' in
	[ -z "$stderr" ]
	[ -s "$(printf 'p%099d' 1)" ] || [ -s "$(printf 'p%099d' 0)" ]
	[ "$(ls | grep -vc "^separate-stderr")" -eq 3 ]
}

@test "--counters writes the records routed and the bytes read" {
	seq 1000 > a.txt
	seq 500 | sort | mrmerge -o b.mr
	mrpartition -n 3 --counters c.tsv -o 'p%d' a.txt b.mr
	[ "$(cat c.tsv)" = "$(printf 'mr\tPARTITION_INPUT_RECORDS\t1500\nmr\tPARTITION_INPUT_BYTES\t%d' $(($(wc -c < a.txt) + $(wc -c < b.mr))))" ]
	[ "$(cat p0 p1 p2 | mrsort --text | wc -l)" -eq 1500 ]
	run -2 --separate-stderr mrpartition -n 3 --counters c2.tsv --sample pts a.txt
	assert_stderr_prefix "mrpartition: --sample takes no -o, -k, --counters or --split-points"
	[ ! -e c2.tsv ]
	# a failed run writes no counters
	head -c 30 b.mr > bad.mr
	run -1 --separate-stderr mrpartition -n 3 --counters c3.tsv -o 'q%d' a.txt bad.mr
	[ ! -e c3.tsv ]
	[ ! -e q0 ]
}

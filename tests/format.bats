#!/usr/bin/env bats
# The framed record format through the tools: round trips, truncation,
# corruption, limits, concatenation, empty streams, the sync marker.

load test_helper

@test "text lines survive text to framed to text" {
	printf 'b\t2\na\t1\nplain line\nx\t\tdouble\n\tempty key\n' > in.txt
	# a record with an empty value comes back as the key alone
	printf 'b\t2\na\t1\nplain line\nx\t\tdouble\n\tempty key\n' > want
	mrpartition -n 1 --text -o t%d in.txt
	cmp t0 want
	mrpartition -n 1 -o f%d in.txt
	mrpartition -n 1 --text -o back%d f0
	cmp back0 want
}

@test "framed output starts with the magic" {
	printf 'a\t1\n' > in.txt
	frame in.txt out.mr
	[ "$(head -c 9 out.mr | od -An -tx1 | tr -d ' \n')" = \
	    894d52460d0a1a0a48 ]
}

@test "the tiny record (the, 1) does not double in size" {
	printf 'the\t1\n' > in.txt
	frame in.txt out.mr
	# 6 bytes of text; header 17 + block 29 + record 6 + crc 4 + trailer 21
	[ "$(wc -c < out.mr)" -eq 77 ]
	run -0 mrtest dump < out.mr
	[ "$output" = "746865 31" ]
}

@test "keys and values with LF and TAB survive -z text to framed to text" {
	printf 'k1\nline2\tv\tal\nue\0k2\tsecond\n\0' > in.z
	mrpartition -z -n 1 -o f%d in.z
	run -0 mrtest dump < f0
	[ "${lines[0]}" = "6b310a6c696e6532 7609616c0a7565" ]
	[ "${lines[1]}" = "6b32 7365636f6e640a" ]
	mrpartition -z -n 1 --text -o back%d f0
	cmp back0 in.z
}

@test "NUL and 0xFF bytes in keys survive framed round trips" {
	printf 'a\0b\xff\tv\0\xff\n\xff\xfe\t\n' > in.txt
	frame in.txt f.mr
	run -0 mrtest dump < f.mr
	[ "${lines[0]}" = "610062ff 7600ff" ]
	[ "${lines[1]}" = "fffe " ]
	mrmerge --text f.mr -o back.txt
	printf 'a\0b\xff\tv\0\xff\n\xff\xfe\n' > want
	cmp back.txt want
}

@test "random binary records survive framed round trips byte for byte" {
	mrtest gen 7 3000 300 > in.mr
	mrtest dump < in.mr > want
	mrpartition -n 1 -o out%d in.mr
	mrtest dump < out0 > got
	cmp want got
	mrpartition -n 5 -o p%d in.mr
	cat p0 p1 p2 p3 p4 | mrtest dump | sort > got5
	sort want | cmp - got5
}

@test "-t sets the separator" {
	printf 'a:b:c\nd\n' > in.txt
	mrpartition -t : -n 1 -o f%d in.txt
	run -0 mrtest dump < f0
	[ "${lines[0]}" = "61 623a63" ]
	[ "${lines[1]}" = "64 " ]
}

@test "truncation at every byte of a framed stream is an error naming the file" {
	printf 'k%d\tvalue %d\n' 1 1 2 2 3 3 > in.txt
	frame in.txt full.mr
	size=$(wc -c < full.mr)
	for ((off = 1; off < size; off++)); do
		head -c "$off" full.mr > cut.mr
		run -1 --separate-stderr mrmerge -o /dev/null cut.mr
		assert_stderr_prefix "mrmerge: cut.mr: "
		[[ "$stderr" == *"at byte "* ]]
		run -1 --separate-stderr mrpartition -n 2 -o p%d cut.mr
		assert_stderr_prefix "mrpartition: cut.mr: "
	done
	[ ! -e p0 ] && [ ! -e p1 ]
	no_temps .
}

@test "a stream cut inside the magic is an error, not text" {
	printf '\x89MR' > cut.mr
	run -1 --separate-stderr mrmerge -o /dev/null cut.mr
	[ "$stderr" = "mrmerge: cut.mr: truncated stream header at byte 0" ]
}

@test "a flipped bit anywhere in a framed stream is an error" {
	printf 'k%d\tvalue %d\n' 1 1 2 2 3 3 > in.txt
	frame in.txt full.mr
	size=$(wc -c < full.mr)
	for ((off = 0; off < size; off++)); do
		cp full.mr bad.mr
		flip bad.mr "$off"
		run -1 --separate-stderr mrmerge -o /dev/null bad.mr
		assert_stderr_prefix "mrmerge: bad.mr: "
	done
}

@test "a missing trailer is an error" {
	printf 'a\t1\n' > in.txt
	frame in.txt full.mr
	head -c $(($(wc -c < full.mr) - 21)) full.mr > cut.mr
	run -1 --separate-stderr mrmerge -o /dev/null cut.mr
	[ "$stderr" = "mrmerge: cut.mr: missing trailer at byte 54 (truncated stream)" ]
}

@test "a declared length over the limit is rejected before allocating" {
	mrtest craft oversize-block > big.mr
	run -1 --separate-stderr mrmerge -o /dev/null big.mr
	[ "$stderr" = "mrmerge: big.mr: block length 2147483647 over the limit of 1073741888 at byte 17" ]
	mrtest craft oversize-meta > meta.mr
	run -1 --separate-stderr mrmerge -o /dev/null meta.mr
	[ "$stderr" = "mrmerge: meta.mr: metadata length 5000 over the limit of 4096 at byte 0" ]
	mrtest craft huge-record > rec.mr
	run -1 --separate-stderr mrmerge -o /dev/null rec.mr
	[ "$stderr" = "mrmerge: rec.mr: corrupt record length in block at byte 17" ]
}

@test "a block that claims 1 GiB costs no memory it does not hold" {
	# found by the fuzzer: a header and a block header with valid
	# checksums claiming 0x40000040 bytes, then 2 bytes of payload
	printf '894d52460d0a1a0a48010000002a226455894d52460d0a1a0a4201000000400000408a56b76d6162' |
		xxd -r -p > big.mr
	# sanitizers reserve terabytes of address space: no limit for them
	limit='ulimit -v 400000;'
	[ -z "${ASAN_OPTIONS-}" ] || limit=
	run -1 --separate-stderr bash -c "$limit mrmerge -o /dev/null big.mr"
	[ "$stderr" = "mrmerge: big.mr: truncated block at byte 17 (23 of 1073741913 bytes)" ]
}

@test "record counts that disagree are errors" {
	mrtest craft bad-count > a.mr
	run -1 --separate-stderr mrmerge -o /dev/null a.mr
	[ "$stderr" = "mrmerge: a.mr: trailer at byte 54 counts 2 records, the stream has 1" ]
	mrtest craft short-block > b.mr
	run -1 --separate-stderr mrmerge -o /dev/null b.mr
	[ "$stderr" = "mrmerge: b.mr: block at byte 17 holds fewer records than it counts" ]
}

@test "an unknown format version is an error" {
	mrtest craft version > v.mr
	run -1 --separate-stderr mrmerge -o /dev/null v.mr
	[ "$stderr" = "mrmerge: v.mr: unsupported format version 9 at byte 0" ]
}

@test "garbage after the trailer is an error" {
	printf 'a\t1\n' > in.txt
	frame in.txt a.mr
	printf 'tail\n' >> a.mr
	run -1 --separate-stderr mrmerge -o /dev/null a.mr
	[ "$stderr" = "mrmerge: a.mr: unexpected data after the trailer at byte 75" ]
}

@test "concatenated streams read as one" {
	printf 'a\t1\nb\t2\n' > x.txt
	printf 'c\t3\n' > y.txt
	frame x.txt x.mr
	frame y.txt y.mr
	: > e.txt
	frame e.txt e.mr
	cat x.mr e.mr y.mr > xy.mr
	run -0 mrmerge --text xy.mr
	[ "$output" = "$(printf 'a\t1\nb\t2\nc\t3')" ]
}

@test "streams with other metadata do not mix" {
	mrtest gen 1 3 5 "values=partial:count$(printf '\n')" > p.mr
	mrtest gen 2 3 5 > q.mr
	cat p.mr q.mr > pq.mr
	run -1 --separate-stderr mrpartition -n 2 -o o%d pq.mr
	[[ "$stderr" == "mrpartition: pq.mr: stream at byte "*" has other metadata than the first stream" ]]
	run -1 --separate-stderr mrpartition -n 2 -o o%d p.mr q.mr
	assert_stderr_prefix "mrpartition: q.mr: stream metadata differs"
	[ ! -e o0 ]
}

@test "metadata is copied through mrpartition and mrmerge" {
	mrtest gen 3 50 5 "values=partial:count$(printf '\n')" > p.mr
	mrpartition -n 3 -o part%d p.mr
	for i in 0 1 2; do
		[ "$(head -c 33 part$i | tail -c 20)" = "values=partial:count" ]
	done
	mrtest gen 5 1 5 "values=partial:count$(printf '\n')" > one.mr
	mrmerge one.mr one.mr -o merged.mr
	[ "$(head -c 33 merged.mr | tail -c 20)" = "values=partial:count" ]
}

@test "an empty input gives a valid empty stream" {
	: > empty.txt
	run -0 mrpartition -n 2 -o e%d empty.txt
	[ "$(wc -c < e0)" -eq 38 ]
	run -0 mrtest dump < e0
	[ -z "$output" ]
	run -0 mrmerge --text e0 e1
	[ -z "$output" ]
}

@test "the checksum is CRC-32C at every length and split" {
	run -0 mrtest crc
	[ "$output" = "crc ok" ]
}

@test "a flipped byte deep inside a large block is an error" {
	awk 'BEGIN { for (i = 0; i < 20000; i++) printf "key%06d\tvalue %d\n", i, i }' > in.txt
	frame in.txt big.mr
	for off in 5000 20000 100000 200000; do
		cp big.mr bad.mr
		flip bad.mr "$off"
		run -1 --separate-stderr mrmerge -o /dev/null bad.mr
		[ "$stderr" = "mrmerge: bad.mr: bad block checksum at byte 17" ]
	done
}

@test "the sync marker finds every frame boundary from any offset" {
	run -0 mrtest sync s.mr
	[[ "$output" == *"every offset checked" ]]
}

# blocks FILE: a framed stream of 200,000 records in several blocks.
blocks() {
	seq 1 200000 | mrmap -o "$1" cat
}

@test "a missing or repeated block is an error when a stream is read whole" {
	blocks f.mr
	mrtest block drop 1 < f.mr > drop.mr
	mrtest block dup 1 < f.mr > dup.mr
	for f in drop.mr dup.mr; do
		run -1 --separate-stderr mrpartition -n 1 -o p%d "$f"
		[[ "$stderr" == "mrpartition: $f: block at byte "*" of its stream, after "*" (a block is missing or repeated)" ]]
		[ ! -e p0 ]
	done
	# the last block missing: the trailer's count disagrees
	n=0
	while mrtest block drop $((n + 1)) < f.mr > /dev/null; do
		n=$((n + 1))
	done
	[ "$n" -ge 3 ]
	mrtest block drop "$n" < f.mr > last.mr
	run -1 --separate-stderr mrpartition -n 1 -o p%d last.mr
	[[ "$stderr" == "mrpartition: last.mr: trailer at byte "*" counts 200000 records, the stream has "* ]]
}

@test "a missing or repeated block fails every cut of a stream into ranges" {
	blocks f.mr
	for k in 0 1 2 3 4 5; do
		for how in drop dup; do
			mrtest block "$how" "$k" < f.mr > bad.mr
			for n in 1 2 3 4 7 16; do
				run -1 --separate-stderr mrsplit -n "$n" -o s%d bad.mr
				assert_stderr_prefix "mrsplit: bad.mr: "
				[ ! -e s0 ]
			done
		done
	done
	no_temps .
}

@test "mrrun of a stream with a missing block fails and commits nothing" {
	blocks f.mr
	mrtest block drop 1 < f.mr > d.mr
	run -1 --separate-stderr mrrun -m cat -r NONE --split-size 300k -o out d.mr
	[[ "$stderr" == *"(a block is missing or repeated)"* ]]
	[ ! -e out ]
	mrtest block dup 2 < f.mr > u.mr
	run -1 --separate-stderr mrrun -m cat -r NONE --split-size 300k -o out u.mr
	[[ "$stderr" == *"(a block is missing or repeated)"* ]]
	[ ! -e out ]
	# and the sound stream gives every record
	mrrun -m cat -r NONE --split-size 300k -o out f.mr
	[ "$(cat out/part-* | wc -l)" -eq 200000 ]
}

@test "a version 1 stream is read whole, but not in ranges" {
	mrtest craft v1 > v1.mr
	run -0 mrmerge --text v1.mr
	[ "$output" = "$(printf 'a\t1\na\t1\na\t1')" ]
	size=$(wc -c < v1.mr)
	run -0 bash -c "mrsplit --range 0:$size v1.mr | mrmerge --text"
	[ "$output" = "$(printf 'a\t1\na\t1\na\t1')" ]
	run -0 --separate-stderr mrrun -m cat -r count v1.mr
	[ "$output" = "$(printf 'a\t3')" ]
	run -1 --separate-stderr mrsplit -n 2 -o s%d v1.mr
	[ "$stderr" = "mrsplit: v1.mr: format version 1 cannot be read in ranges (its blocks do not say where they sit in the stream); rewrite it with any mr tool, as mrmerge -o NEW FILE does" ]
	[ ! -e s0 ]
	# rewritten, it splits
	mrpartition -n 1 -o new%d.mr v1.mr
	[ "$(head -c 10 new0.mr | tail -c 1 | od -An -tu1 | tr -d ' ')" -eq 2 ]
	mrsplit -n 2 -o s%d new0.mr
	cat s0 s1 | mrmerge --text > got
	[ "$(wc -l < got)" -eq 3 ]
}

@test "an input of streams of both versions is read whole, not in ranges" {
	mrtest craft v1 > v1.mr
	printf 'b\t2\n' | mrmerge -o v2.mr
	cat v1.mr v2.mr > both.mr
	run -0 mrmerge --text both.mr
	[ "$output" = "$(printf 'a\t1\na\t1\na\t1\nb\t2')" ]
	cat v2.mr v1.mr > back.mr
	run -1 --separate-stderr mrsplit -n 1 -o s%d back.mr
	[ "$stderr" = "mrsplit: back.mr: stream at byte 75 has format version 1, the first stream 2" ]
}

@test "a framed stream behind leading junk is an error, not text" {
	printf 'a\t1\nb\t2\n' | mrmerge -o a.mr
	{ echo; cat a.mr; } > junk.mr
	run -1 --separate-stderr mrsort --text junk.mr
	[ "$stderr" = "mrsort: junk.mr: framed stream header at byte 1 in text input (a damaged framed file? --allow-magic reads it as text)" ]
	[ -z "$output" ]
	run -1 --separate-stderr bash -c '{ echo; cat a.mr; } | mrsort --text'
	assert_stderr_prefix "mrsort: stdin: framed stream header at byte 1 "
	# after text lines, and with -z
	{ printf 'x\0y\0'; cat a.mr; } > z.mr
	run -1 --separate-stderr mrpartition -z -n 1 -o p%d z.mr
	[ "$stderr" = "mrpartition: z.mr: framed stream header at byte 4 in text input (a damaged framed file? --allow-magic reads it as text)" ]
	[ ! -e p0 ]
	# the magic cut short, or not at a line start, is text
	printf '\x89MRF\nk \x89MRF\r\n\x1a\nH\n' > t.txt
	run -0 mrsort --text t.txt
	[ "${#lines[@]}" -eq 4 ]
}

# junked FILE: text lines, then a framed stream right after a line end.
junked() {
	printf 'a\t1\nb\t2\n' | mrmerge -o s.mr
	{ for i in 1 2 3 4 5 6 7 8; do printf 'line%04d\n' "$i"; done
	  cat s.mr; } > "$1"
}

@test "a mapper never gets a framed stream behind text as lines" {
	printf 'a\t1\nb\t2\n' | mrmerge -o s.mr
	{ printf 'x\t1\n'; cat s.mr; } > j.txt
	run -1 --separate-stderr mrmap --text wc j.txt
	[ "$stderr" = "mrmap: j.txt: framed stream header at byte 4 in text input (a damaged framed file? --allow-magic reads it as text)" ]
	run -1 --separate-stderr mrrun --quiet --retries 0 \
		-m "awk '{ print \$1 }'" -r count j.txt
	[[ "$stderr" == *"framed stream header at byte 4 in text input"* ]]
}

@test "text cut into ranges inside the framed magic still fails" {
	junked m.txt
	# the magic's LF bytes are line ends: cuts fall at, and inside, it
	for n in 1 2 3 4 5 6 7 8 9 10; do
		run -1 --separate-stderr mrsplit -n "$n" -o p%d m.txt
		[ "$stderr" = "mrsplit: m.txt: framed stream header at byte 72 in text input (a damaged framed file? --allow-magic reads it as text)" ]
		[ ! -e p0 ]
	done
	for size in 40b 64b 72b 76b 80b 90b 100b; do
		run -1 --separate-stderr mrrun --quiet --retries 0 -m cat \
			-r count --split-size "$size" m.txt
		[[ "$stderr" == *"framed stream header at byte 72 in text input"* ]]
	done
}

@test "mrsort's halves of a large text file check the magic too" {
	printf 'a\t1\nb\t2\n' | mrmerge -o s.mr
	printf 'zz\tjunk\n' > big.txt
	truncate -s 17M big.txt
	printf '\n' >> big.txt
	cat s.mr >> big.txt
	run -1 --separate-stderr mrsort --text -o /dev/null big.txt
	[ "$stderr" = "mrsort: big.txt: framed stream header at byte 17825793 in text input (a damaged framed file? --allow-magic reads it as text)" ]
	# bytes like the magic, but not all of it, are text in either half
	printf 'zz\n' > ok.txt
	truncate -s 17M ok.txt
	printf '\n\x89MRF\r\n\x1aX\nhello\n' >> ok.txt
	mrsort --text ok.txt > got
	mrsort --parallel=1 --text ok.txt | cmp - got
	[ "$(wc -l < got)" -eq 5 ]
}

@test "mrsplit -n refuses inputs of two format versions" {
	mrtest craft v1 > v1.mr
	printf 'a\t1\nb\t2\n' | mrmerge -o v2.mr
	run -1 --separate-stderr mrsplit -n 1 -o o%d v2.mr v1.mr
	[ "$stderr" = "mrsplit: v1.mr: format version 1 input after version 2 input (rewrite the older one with any mr tool)" ]
	[ ! -e o0 ]
}

@test "--allow-magic reads a line that starts with the magic as text, in every filter" {
	printf 'a\t1\nb\t2\n' | mrmerge -o a.mr
	{ echo; cat a.mr; } > j.mr
	# its text lines, the last one ended
	{ cat j.mr; echo; } > lines
	msg="framed stream header at byte 1 in text input (a damaged framed file? --allow-magic reads it as text)"
	run -1 --separate-stderr mrsort --text j.mr
	[ "$stderr" = "mrsort: j.mr: $msg" ]
	mrsort --allow-magic --text j.mr > got
	sort -s -t "$TAB" -k1,1 j.mr | cmp - got
	run -1 --separate-stderr mrpartition -n 1 --text -o p%d j.mr
	[ "$stderr" = "mrpartition: j.mr: $msg" ]
	[ ! -e p0 ]
	mrpartition --allow-magic -n 1 --text -o p%d j.mr
	cmp lines p0
	# mrmap checks the input it gives to the command as it is
	run -1 --separate-stderr mrmap --text cat j.mr
	[ "$stderr" = "mrmap: j.mr: $msg" ]
	mrmap --allow-magic --text cat j.mr > got
	cmp lines got
	# read as text, the lines of a framed stream are not sorted
	run -1 --separate-stderr mrmerge --text j.mr
	[ "$stderr" = "mrmerge: j.mr: $msg" ]
	run -1 --separate-stderr mrmerge --allow-magic --text j.mr
	[ "$stderr" = "mrmerge: j.mr: record 3 is out of order (inputs must be sorted)" ]
	run -1 --separate-stderr mrreduce count j.mr
	[ "$stderr" = "mrreduce: j.mr: $msg" ]
	run -1 --separate-stderr mrreduce --allow-magic count j.mr
	[ "$stderr" = "mrreduce: j.mr: record 3 is out of order (sort it with mrsort)" ]
	# sorted text with the whole magic at a line start, as -z has it
	printf 'a\0\x89MRF\r\n\x1a\nHz\tv\0' > z.txt
	run -1 --separate-stderr mrmerge -z --text z.txt
	assert_stderr_prefix "mrmerge: z.txt: framed stream header at byte 2 "
	mrmerge -z --allow-magic --text z.txt | cmp - z.txt
	run -1 --separate-stderr mrreduce -z count z.txt
	assert_stderr_prefix "mrreduce: z.txt: framed stream header at byte 2 "
	mrreduce -z --allow-magic count z.txt > got
	printf 'a\t1\0\x89MRF\r\n\x1a\nHz\t1\0' | cmp - got
}

@test "mrsplit refuses text with a line that starts with the magic, unless allowed" {
	printf 'a\t1\nb\t2\n' | mrmerge -o a.mr
	{ echo; cat a.mr; } > j.mr
	msg="framed stream header at byte 1 in text input (a damaged framed file? --allow-magic reads it as text)"
	run -1 --separate-stderr mrsplit -n 2 -o s%d j.mr
	[ "$stderr" = "mrsplit: j.mr: $msg" ]
	[ ! -e s0 ]
	run -1 --separate-stderr mrsplit --range 0:"$(wc -c < j.mr)" j.mr
	[ "$stderr" = "mrsplit: j.mr: $msg" ]
	mrsplit --allow-magic -n 2 -o t%d j.mr
	cat t0 t1 | cmp - j.mr
	mrsplit --allow-magic --range 0:"$(wc -c < j.mr)" j.mr | cmp - j.mr
	# a reader of the split that holds the magic line stops there
	run -1 --separate-stderr mrsort --text t0
	[ "$stderr" = "mrsort: t0: $msg" ]
	mrsort --allow-magic --text t0 > got
	sort -s -t "$TAB" -k1,1 t0 | cmp - got
}

@test "mrrun --allow-magic gives its tasks the option" {
	printf 'a\t1\nb\t2\n' | mrmerge -o a.mr
	{ printf 'x\t1\n'; cat a.mr; } > j.txt
	run -1 --separate-stderr mrrun --quiet --retries 0 -m cat -r NONE j.txt
	[[ "$stderr" == *"framed stream header at byte 4 in text input"* ]]
	mrrun --quiet --allow-magic -m cat -r NONE j.txt > out
	{ cat j.txt; echo; } | cmp - out
	run -0 mrrun --dry-run --allow-magic -m cat -r count j.txt
	[[ "$output" == *"mrsplit --range=0:"*" --allow-magic "* ]]
	[[ "$output" == *"mrmap --allow-magic "* ]]
}

#!/usr/bin/env bats
# mrsplit: byte ranges and splits cut at record boundaries, checked by
# putting the pieces back together: cmp for text, every record once and in
# order (mrtest dump) for framed files.

load test_helper

# lines N SEED [MAXLEN]: N random printable lines, some empty, some ending
# in CR LF.
lines() {
	awk -v n="$1" -v seed="$2" -v max="${3:-60}" 'BEGIN {
		srand(seed)
		for (i = 0; i < n; i++) {
			len = int(rand() * rand() * max)
			s = ""
			for (j = 0; j < len; j++)
				s = s sprintf("%c", 32 + int(rand() * 95))
			if (rand() < 0.1)
				s = ""
			else if (rand() < 0.2)
				s = s "\r"
			print s
		}
	}'
}

# long N: a line of N bytes, longer than any buffer of mrsplit's.
long() {
	head -c "$1" /dev/zero | tr '\0' L
	echo
}

# read_pieces FILE START END...: reads FILE as the ranges between the
# offsets, in order, with mrsplit --range (OPT, if set, is an option given
# to each), into piece.00001, piece.00002, ... and all of them into got.
read_pieces() {
	local file=$1 start=$2 end i=0
	shift 2
	rm -f piece.* got
	for end in "$@"; do
		i=$((i + 1))
		mrsplit ${OPT:+"$OPT"} --range "$start:$end" "$file" \
			> "$(printf 'piece.%05d' "$i")" || return 1
		start=$end
	done
	cat piece.* > got
}

# ranges FILE N: reads FILE by the ranges that mrsplit --ranges -n N lists.
ranges() {
	local f s e ends=
	mrsplit --ranges -n "$2" "$1" > list
	while IFS=$TAB read -r f s e; do
		[ "$f" = "$1" ]
		ends="$ends $e"
	done < list
	# shellcheck disable=SC2086
	read_pieces "$1" 0 $ends
}

# cut_at FILE OFFSET...: reads FILE as the ranges between 0, the OFFSETs
# and its size.
cut_at() {
	local file=$1
	shift
	read_pieces "$file" 0 "$@" "$(wc -c < "$file")"
}

# whole_lines OCTAL: every piece that is not empty, but the last one, ends
# with the terminator (octal 012 or 000), so no range cut a line.
whole_lines() {
	local ends
	ends=$(tail -qc 1 piece.* | od -An -v -to1 | tr -s ' \n' '\n\n' |
		sed '/^$/d;$d' | sort -u)
	if [ -n "$ends" ] && [ "$ends" != "$1" ]; then
		echo "a piece does not end with a terminator" >&2
		return 1
	fi
}

# text_ok FILE: the pieces are FILE, cut between lines.
text_ok() {
	cmp "$1" got
	whole_lines "${2:-012}"
}

# framed_ok FILE: each piece is a valid stream, and together they hold the
# records of FILE, in order.
framed_ok() {
	local p
	for p in piece.*; do
		mrtest dump < "$p" > /dev/null
	done
	mrtest dump < "$1" > want.dump
	mrtest dump < got > got.dump
	cmp want.dump got.dump
}

# frame_at FILE K: the offset of the K-th block (from 0) of a one-stream file
# without metadata, following the frame lengths.
frame_at() {
	local off=17 k=0 len
	while [ "$k" -lt "$2" ]; do
		len=$(od -An -tu1 -j $((off + 13)) -N4 "$1" |
			awk '{ print $1 + $2 * 256 + $3 * 65536 + $4 * 16777216 }')
		off=$((off + 29 + len + 4))
		k=$((k + 1))
	done
	echo "$off"
}

@test "text ranges of random files give the file back, cut between lines" {
	for seed in 1 2 3; do
		lines 3000 "$seed" > in.txt
		for n in 1 2 3 7 31; do
			ranges in.txt "$n"
			text_ok in.txt
		done
		lines 300 "$seed" | head -c -1 > nonl.txt
		for n in 4 19; do
			ranges nonl.txt "$n"
			text_ok nonl.txt
		done
		# more ranges than lines
		lines 20 "$seed" > few.txt
		ranges few.txt 50
		text_ok few.txt
	done
}

@test "ranges past the number of lines, one line, empty lines, an empty file" {
	printf 'only one line\n' > one.txt
	ranges one.txt 9
	[ "$(wc -l < list)" -eq 9 ]
	text_ok one.txt
	[ "$(cat piece.* | wc -l)" -eq 1 ]
	printf '\n\n\n\n\n' > empty-lines.txt
	ranges empty-lines.txt 5
	text_ok empty-lines.txt
	for p in piece.*; do [ "$(cat "$p" | wc -c)" -eq 1 ]; done
	printf 'x' > x.txt
	ranges x.txt 4
	[ "$(wc -l < list)" -eq 1 ]
	text_ok x.txt
	: > empty.txt
	run -0 --separate-stderr mrsplit --ranges -n 3 empty.txt
	[ -z "$output" ]
	run -0 --separate-stderr mrsplit --range 0:0 empty.txt
	[ -z "$output" ]
}

@test "lines longer than any buffer are cut whole" {
	{
		lines 50 5
		long 2500000
		lines 20 6
		long 3000000
		long 10
	} > long.txt
	for n in 2 5 13 60; do
		ranges long.txt "$n"
		text_ok long.txt
	done
	# a range inside a long line holds nothing, one before it the line
	start=$(lines 50 5 | wc -c)
	run -0 mrsplit --range $((start + 10)):$((start + 2000000)) long.txt
	[ -z "$output" ]
	mrsplit --range $((start - 1)):$((start + 1)) long.txt > out
	[ "$(wc -c < out)" -eq 2500001 ]
}

@test "hand-picked text ranges on, before and after a terminator" {
	printf 'ab\n\ncd\r\nef' > f
	want() {
		mrsplit --range "$1" f > out
		printf "$2" | cmp - out
	}
	want 0:0 ''
	want 0:1 'ab\n'
	want 0:2 'ab\n'
	want 0:3 'ab\n'
	want 0:4 'ab\n\n'
	want 2:3 ''
	want 2:4 '\n'
	want 3:4 '\n'
	want 3:5 '\ncd\r\n'
	want 4:5 'cd\r\n'
	want 5:8 ''
	want 6:9 'ef'
	want 7:9 'ef'
	want 8:10 'ef'
	want 9:10 ''
	want 10:10 ''
	want 0:10 'ab\n\ncd\r\nef'
	want 1:10 '\ncd\r\nef'
	# (a range past the end is an error: see "a range past the end ...")
}

@test "-z cuts at NUL bytes, newlines are data" {
	for seed in 7 8; do
		lines 2000 "$seed" | tr '\n\r' '\0\n' > z.txt
		for n in 1 4 9 40; do
			OPT=-z ranges z.txt "$n"
			text_ok z.txt 000
		done
	done
	printf 'a\nb\0c\0' > f
	mrsplit -z --range 0:1 f > out
	printf 'a\nb\0' | cmp - out
	mrsplit --range 0:1 f > out
	printf 'a\n' | cmp - out
	mrsplit -z --range 1:5 f > out
	printf 'c\0' | cmp - out
}

@test "framed ranges give every record once, in order, as valid streams" {
	lines 4000 9 | sort > sorted.txt
	mrmerge sorted.txt -o merged.mr
	lines 3000 10 | mrsort -o sorted.mr
	mrtest gen 11 3000 40 > gen.mr
	cat gen.mr sorted.mr gen.mr > cat.mr
	for f in merged.mr sorted.mr gen.mr cat.mr; do
		for n in 1 2 5 17 64; do
			ranges "$f" "$n"
			framed_ok "$f"
		done
	done
}

@test "a framed range is the header, its blocks renumbered, and a trailer" {
	mrtest gen 12 500 40 > gen.mr
	size=$(wc -c < gen.mr)
	mrsplit --range 0:"$size" gen.mr | cmp - gen.mr
	# two streams become one: one header and one trailer fewer
	cat gen.mr gen.mr > two.mr
	mrsplit --range 0:$((2 * size)) two.mr > one.mr
	[ "$(wc -c < one.mr)" -eq $((2 * size - 38)) ]
	mrtest dump < two.mr | cmp - <(mrtest dump < one.mr)
	# a range with no frame start is an empty stream
	mrsplit --range 1:2 gen.mr > empty.mr
	[ "$(wc -c < empty.mr)" -eq 38 ]
	head -c 17 gen.mr | cmp - <(head -c 17 empty.mr)
	[ -z "$(mrtest dump < empty.mr)" ]
	# the second block, alone, from its first byte to the next
	b1=$(frame_at gen.mr 1)
	b2=$(frame_at gen.mr 2)
	mrsplit --range "$b1:$b2" gen.mr > mid.mr
	[ "$(wc -c < mid.mr)" -eq $((17 + b2 - b1 + 21)) ]
	# the block's count and length are kept, and its payload byte for
	# byte; it is now the first block of its stream
	cmp <(tail -c +$((b1 + 1)) gen.mr | head -c 17) \
		<(tail -c +18 mid.mr | head -c 17)
	[ "$(od -An -tu8 -j $((b1 + 17)) -N8 gen.mr | tr -d ' ')" -gt 0 ]
	[ "$(od -An -tu8 -j $((17 + 17)) -N8 mid.mr | tr -d ' ')" -eq 0 ]
	cmp <(tail -c +$((b1 + 30)) gen.mr | head -c $((b2 - b1 - 29))) \
		<(tail -c +$((17 + 30)) mid.mr | head -c $((b2 - b1 - 29)))
	# one byte later, the block belongs to the range before
	mrsplit --range "$((b1 + 1)):$b2" gen.mr > none.mr
	[ "$(wc -c < none.mr)" -eq 38 ]
	mrsplit --range "$((b1 - 1)):$((b1 + 1))" gen.mr | cmp - mid.mr
}

@test "framed blocks larger than the copy buffer" {
	{ lines 100 13; long 2500000; long 1500000; lines 100 14; } | sort |
		mrmerge -o big.mr
	for n in 1 3 8 40; do
		ranges big.mr "$n"
		framed_ok big.mr
	done
}

@test "a value that is a framed stream never passes for a frame boundary" {
	mrtest gen 15 6 20 > inner.mr
	mrtest embed 16 9 inner.mr > e.mr
	# every byte 0x89 may start a sync marker; those of the copies do
	syncs=$(od -An -v -tu1 -w1 e.mr | awk '$1 == 137 { print NR - 1 }')
	[ "$(echo "$syncs" | wc -l)" -ge 12 ]
	cut_at e.mr $syncs
	framed_ok e.mr
	# shellcheck disable=SC2046
	cut_at e.mr $(echo "$syncs" | awk '{ print $1 + 1 }')
	framed_ok e.mr
	# shellcheck disable=SC2046
	cut_at e.mr $(echo "$syncs" | awk '$1 > 0 { print $1 - 1 }')
	framed_ok e.mr
	mrtest embed 17 300 inner.mr > big.mr
	for n in 3 8 21 50; do
		ranges big.mr "$n"
		framed_ok big.mr
	done
}

@test "a value that is a truncated framed stream does not mislead either" {
	mrtest gen 18 40 20 > inner.mr
	head -c -30 inner.mr > cut.mr
	mrtest embed 19 200 cut.mr > e.mr
	for n in 2 7 19 60; do
		ranges e.mr "$n"
		framed_ok e.mr
	done
	syncs=$(od -An -v -tu1 -w1 e.mr | awk '$1 == 137 { print NR - 1 }')
	cut_at e.mr $syncs
	framed_ok e.mr
}

@test "a forged frame in a value fails a range rather than give a wrong record" {
	# block at 17, its payload at 46, the forged header at 49, the
	# trailer at 86, where the forged frame ends
	mrtest craft forged > f.mr
	[ "$(wc -c < f.mr)" -eq 107 ]
	[ "$(mrtest dump < f.mr | wc -l)" -eq 1 ]
	mrsplit --range 0:107 f.mr | cmp - f.mr
	run -1 --separate-stderr mrsplit --range 0:30 f.mr
	[ "$stderr" = "mrsplit: f.mr: byte 49 looks like a frame boundary but lies inside the frame at byte 17 (a record holds a copy of frames)" ]
	run -1 --separate-stderr mrsplit --range 30:107 f.mr
	[ "$stderr" = "mrsplit: f.mr: bad block checksum at byte 49" ]
	# from past the forged header on, the search finds the trailer
	mrsplit --range 50:107 f.mr > empty.mr
	[ "$(wc -c < empty.mr)" -eq 38 ]
}

@test "--ranges lists ranges of equal length, by stat alone" {
	head -c 1000 /dev/zero > big.log
	head -c 200 /dev/zero > small.log
	: > empty.log
	run -0 --separate-stderr mrsplit --ranges -n 4 big.log empty.log small.log
	[ "$output" = "big.log${TAB}0${TAB}250
big.log${TAB}250${TAB}500
big.log${TAB}500${TAB}750
big.log${TAB}750${TAB}1000
small.log${TAB}0${TAB}200" ]
	# not read: a file without read permission is listed (the range fails)
	chmod 000 big.log
	run -0 --separate-stderr mrsplit --ranges -n 1 big.log
	[ "$output" = "big.log${TAB}0${TAB}1000" ]
}

@test "--ranges covers every file, no range over T/N, N for one file" {
	for seed in 1 2 3; do
		sizes=$(awk -v seed="$seed" 'BEGIN { srand(seed)
			for (i = 0; i < 6; i++) print int(rand() * rand() * 5000) }')
		i=0
		for s in $sizes; do
			head -c "$s" /dev/zero > "f$i"
			i=$((i + 1))
		done
		for n in 1 2 7 50 9000; do
			mrsplit --ranges -n "$n" f0 f1 f2 f3 f4 f5 > list
			awk -F '\t' -v n="$n" -v sizes="$sizes" '
				BEGIN { k = split(sizes, sz, /[ \n]/)
					for (i = 1; i <= k; i++) total += sz[i]
					max = int((total + n - 1) / n) }
				{ f = substr($1, 2) + 1
				  if ($2 != end[f] + 0) exit 1
				  if ($3 <= $2 || $3 - $2 > max) exit 1
				  end[f] = $3; count++ }
				END { for (i = 1; i <= k; i++)
					if (end[i] + 0 != sz[i]) exit 1
				  if (count < (n < total ? n : total) ||
				      count > n + k - 1) exit 1 }' list
		done
		run -0 mrsplit --ranges -n 5 f0
		[ "${#lines[@]}" -eq "$(( $(wc -c < f0) < 5 ? $(wc -c < f0) : 5 ))" ]
	done
}

@test "--ranges refuses names it cannot print and files it cannot cut" {
	printf 'a\n' > "tab${TAB}name"
	run -1 --separate-stderr mrsplit --ranges -n 2 "tab${TAB}name"
	[ "$stderr" = "mrsplit: tab${TAB}name: the name holds a TAB or newline, which a range line cannot show" ]
	printf 'a\n' > 'new
line'
	run -1 --separate-stderr mrsplit --ranges -n 2 'new
line'
	assert_stderr_prefix "mrsplit: new"
	[ -z "$output" ]
	mkfifo fifo
	run -1 --separate-stderr mrsplit --ranges -n 2 fifo
	[ "$stderr" = "mrsplit: fifo: not a regular file" ]
	run -1 --separate-stderr bash -c 'printf "a\n" | mrsplit --ranges -n 2 -'
	[ "$stderr" = "mrsplit: stdin: not a regular file" ]
	mkdir dir
	run -1 --separate-stderr mrsplit --ranges -n 2 dir
	[ "$stderr" = "mrsplit: dir: Is a directory" ]
	run -1 --separate-stderr mrsplit --ranges -n 2 nosuch
	[ "$stderr" = "mrsplit: nosuch: No such file or directory" ]
	# nothing is printed before every file is checked
	run -1 --separate-stderr mrsplit --ranges -n 2 "new
line" nosuch
	[ -z "$output" ]
}

@test "--range refuses a pipe, a FIFO, a directory and a missing file" {
	printf 'a\nb\n' > f
	run -1 --separate-stderr bash -c 'cat f | mrsplit --range 0:1 -'
	[ "$stderr" = "mrsplit: stdin: not a regular file" ]
	mkfifo fifo
	run -1 --separate-stderr mrsplit --range 0:1 fifo
	[ "$stderr" = "mrsplit: fifo: not a regular file" ]
	mkdir dir
	run -1 --separate-stderr mrsplit --range 0:1 dir
	[ "$stderr" = "mrsplit: dir: Is a directory" ]
	run -1 --separate-stderr mrsplit --range 0:1 nosuch
	[ "$stderr" = "mrsplit: nosuch: No such file or directory" ]
	# standard input redirected from a file is read from its first byte
	run -0 --separate-stderr mrsplit --range 1:4 - < f
	[ "$output" = b ]
}

@test "an unreadable file is an error" {
	printf 'a\n' > f
	chmod 000 f
	as=()
	if [ "$(id -u)" -eq 0 ]; then
		as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	fi
	run -1 --separate-stderr "${as[@]}" "$(command -v mrsplit)" --range 0:1 f
	[ "$stderr" = "mrsplit: f: Permission denied" ]
	run -1 --separate-stderr "${as[@]}" "$(command -v mrsplit)" -n 1 -o s%d f
	[ "$stderr" = "mrsplit: f: Permission denied" ]
}

@test "a flipped byte in a block is an error at that block's offset" {
	mrtest gen 20 2000 40 > gen.mr
	b=$(frame_at gen.mr 5)
	flip gen.mr $((b + 30))
	size=$(wc -c < gen.mr)
	run -1 --separate-stderr mrsplit --range 0:"$size" gen.mr
	[ "$stderr" = "mrsplit: gen.mr: bad block checksum at byte $b" ]
	run -1 --separate-stderr mrsplit --range "$b:$((b + 1))" gen.mr
	[ "$stderr" = "mrsplit: gen.mr: bad block checksum at byte $b" ]
	# the ranges before and after it are sound
	mrsplit --range 0:"$b" gen.mr > /dev/null
	mrsplit --range $((b + 1)):"$size" gen.mr > /dev/null
}

@test "a flipped byte in a block larger than the copy buffer is an error" {
	long 3000000 | mrmerge -o big.mr
	flip big.mr 1500000
	run -1 --separate-stderr mrsplit --range 0:20 big.mr
	[ "$stderr" = "mrsplit: big.mr: bad block checksum at byte 17" ]
	long 3000000 | mrmerge -o big.mr
	flip big.mr 2999990
	run -1 --separate-stderr mrsplit --range 0:20 big.mr
	[ "$stderr" = "mrsplit: big.mr: bad block checksum at byte 17" ]
}

@test "a damaged block header fails the range that reaches it, and only that" {
	mrtest gen 21 3000 40 > gen.mr
	b=$(frame_at gen.mr 20)
	flip gen.mr $((b + 10))
	mrsplit --ranges -n 8 gen.mr > list
	failed=0
	while IFS=$TAB read -r f s e; do
		if ! mrsplit --range "$s:$e" gen.mr > /dev/null 2> err; then
			failed=$((failed + 1))
			[ "$(cat err)" = "mrsplit: gen.mr: bad block header checksum at byte $b" ]
		fi
	done < list
	[ "$failed" -eq 1 ]
}

@test "a truncated framed file fails the range that reaches its end" {
	mrtest gen 22 2000 40 > gen.mr
	size=$(wc -c < gen.mr)
	b=$(frame_at gen.mr 6)
	head -c $((b + 100)) gen.mr > cut.mr
	run -1 --separate-stderr mrsplit --range 0:$((b + 100)) cut.mr
	[[ "$stderr" == "mrsplit: cut.mr: truncated block at byte $b ("*" bytes)" ]]
	run -1 --separate-stderr mrsplit --range $((b - 5)):$((b + 100)) cut.mr
	[[ "$stderr" == "mrsplit: cut.mr: truncated block at byte $b ("*" bytes)" ]]
	# the end of the last block, without the trailer
	head -c $((size - 21)) gen.mr > notrailer.mr
	run -1 --separate-stderr mrsplit --range 100:$((size - 21)) notrailer.mr
	[ "$stderr" = "mrsplit: notrailer.mr: missing trailer at byte $((size - 21)) (truncated stream)" ]
	# among the ranges of a truncated file, the last one fails
	mrsplit --ranges -n 5 notrailer.mr > list
	tail -n 1 list | { IFS=$TAB read -r f s e
		run -1 mrsplit --range "$s:$e" notrailer.mr; }
	head -n 4 list | while IFS=$TAB read -r f s e; do
		mrsplit --range "$s:$e" notrailer.mr > /dev/null
	done
	# a header cut short
	head -c 10 gen.mr > head.mr
	run -1 --separate-stderr mrsplit --range 0:10 head.mr
	[ "$stderr" = "mrsplit: head.mr: truncated stream header at byte 0" ]
}

@test "a framed range is not written to a terminal" {
	command -v script > /dev/null
	mrtest gen 23 10 10 > gen.mr
	printf 'a\n' > t.txt
	run -1 script -qec "mrsplit --range 0:100 gen.mr" /dev/null
	[[ "$output" == *"mrsplit: stdout: framed records are not written to a terminal"* ]]
	run -0 script -qec "mrsplit --range 0:2 t.txt" /dev/null
	[[ "$output" == a* ]]
}

@test "-o writes N splits of about equal size with every line once" {
	lines 5000 24 > a.txt
	lines 3000 25 > b.txt
	mrsplit -n 7 -o s%d a.txt b.txt
	[ "$(ls s* | wc -l)" -eq 7 ]
	cat s0 s1 s2 s3 s4 s5 s6 | cmp - <(cat a.txt b.txt)
	total=$(cat a.txt b.txt | wc -c)
	for i in 0 1 2 3 4 5 6; do
		size=$(wc -c < "s$i")
		# at most a line (60 bytes and its newline) more or less
		[ $((size - total / 7)) -le 62 ] && [ $((total / 7 - size)) -le 62 ]
		[ "$(tail -c 1 "s$i" | od -An -to1 | tr -d ' ')" = 012 ]
	done
	no_temps .
}

@test "-o writes empty splits when there are fewer lines than splits" {
	printf 'a\nb\nc\n' > in.txt
	mkdir out
	mrsplit -n 10 -o out/s%02d in.txt
	[ "$(ls out | wc -l)" -eq 10 ]
	[ "$(find out -type f -size +0 | wc -l)" -eq 3 ]
	cat out/* | cmp - in.txt
}

@test "-o ends a file's last line only when more lines follow in its split" {
	printf 'a\nb' > nonl.txt
	printf 'c\n' > c.txt
	mrsplit -n 1 -o one%d nonl.txt c.txt
	printf 'a\nb\nc\n' | cmp - one0
	# bytes 0-1 and 2-4 of the five: the line b is in the second split
	mrsplit -n 2 -o two%d nonl.txt c.txt
	printf 'a\n' | cmp - two0
	printf 'b\nc\n' | cmp - two1
	mrsplit -n 3 -o three%d c.txt nonl.txt
	printf 'c\n' | cmp - three0
	printf 'a\n' | cmp - three1
	printf 'b' | cmp - three2
	printf 'x\0y' > z1
	printf 'w\0' > z2
	mrsplit -z -n 1 -o z%d z1 z2
	printf 'x\0y\0w\0' | cmp - z0
}

@test "-o with framed inputs writes N framed streams" {
	mrtest gen 26 2000 40 > a.mr
	mrtest gen 27 1000 40 > b.mr
	: > empty
	mrsplit -n 5 -o s%d a.mr empty b.mr
	for i in 0 1 2 3 4; do mrtest dump < "s$i" > /dev/null; done
	cat s0 s1 s2 s3 s4 | mrtest dump | cmp - <(cat a.mr b.mr | mrtest dump)
	mrsplit -n 300 -o m%03d a.mr
	[ "$(ls m* | wc -l)" -eq 300 ]
	cat m* | mrtest dump | cmp - <(mrtest dump < a.mr)
	# more splits than blocks: most are empty streams
	[ "$(find . -name 'm*' -size 38c | wc -l)" -gt 200 ]
}

@test "-o refuses text mixed with framed, and other metadata, leaving nothing" {
	printf 'a\n' > t.txt
	mrtest gen 28 10 10 > plain.mr
	mrtest gen 28 10 10 'values=partial:count
' > meta.mr
	run -1 --separate-stderr mrsplit -n 2 -o s%d t.txt plain.mr
	[ "$stderr" = "mrsplit: plain.mr: framed input after text input (the inputs must be all text or all framed)" ]
	run -1 --separate-stderr mrsplit -n 2 -o s%d plain.mr meta.mr
	[ "$stderr" = "mrsplit: meta.mr: stream metadata differs from the first input's (partial aggregation states cannot be mixed with other values)" ]
	[ ! -e s0 ] && [ ! -e s1 ]
	no_temps .
}

@test "-o with a missing or damaged second input leaves no split" {
	lines 1000 29 > a.txt
	run -1 --separate-stderr mrsplit -n 3 -o s%d a.txt nosuch
	[ "$stderr" = "mrsplit: nosuch: No such file or directory" ]
	[ ! -e s0 ]
	mrtest gen 30 2000 40 > a.mr
	cp a.mr bad.mr
	b=$(frame_at bad.mr 10)
	flip bad.mr $((b + 35))
	printf 'old\n' > s0
	run -1 --separate-stderr mrsplit -n 3 -o s%d a.mr bad.mr
	[ "$stderr" = "mrsplit: bad.mr: bad block checksum at byte $b" ]
	[ "$(cat s0)" = old ] && [ ! -e s1 ] && [ ! -e s2 ]
	no_temps .
}

@test "bad options are usage errors" {
	printf 'a\n' > f
	run -2 --separate-stderr mrsplit -o s%d f
	[ "${stderr%%$'\n'*}" = "mrsplit: -n N is required" ]
	[[ "$stderr" == *"usage: mrsplit"* ]]
	run -2 --separate-stderr mrsplit --ranges f
	assert_stderr_prefix "mrsplit: -n N is required"
	for n in 0 x 70000 -1 ''; do
		run -2 --separate-stderr mrsplit -n "$n" -o s%d f
		assert_stderr_prefix "mrsplit: bad split count: $n"
	done
	run -2 --separate-stderr mrsplit -n 2 f
	assert_stderr_prefix "mrsplit: -o TEMPLATE is required"
	run -2 --separate-stderr mrsplit -n 2 -o split f
	assert_stderr_prefix "mrsplit: bad template: split"
	run -2 --separate-stderr mrsplit -n 2 -o 's%s' f
	assert_stderr_prefix "mrsplit: bad template: s%s"
	for r in 5:3 x:3 3 :3 3: -1:3 1:-3 1:2:3 ' 1:2' 1:2x \
	    99999999999999999999:1 0x1:2 ''; do
		run -2 --separate-stderr mrsplit --range "$r" f
		assert_stderr_prefix "mrsplit: bad range: $r"
	done
	run -2 --separate-stderr mrsplit --range 0:1 --ranges -n 2 f
	assert_stderr_prefix "mrsplit: --range and --ranges exclude each other"
	run -2 --separate-stderr mrsplit --range 0:1 -n 2 f
	assert_stderr_prefix "mrsplit: --range takes no -n or -o"
	run -2 --separate-stderr mrsplit --range 0:1 -o s%d f
	assert_stderr_prefix "mrsplit: --range takes no -n or -o"
	run -2 --separate-stderr mrsplit --ranges -n 2 -o s%d f
	assert_stderr_prefix "mrsplit: --ranges takes no -o"
	run -2 --separate-stderr mrsplit --range 0:1
	assert_stderr_prefix "mrsplit: a FILE is required"
	run -2 --separate-stderr mrsplit -n 2 -o s%d
	assert_stderr_prefix "mrsplit: a FILE is required"
	run -2 --separate-stderr mrsplit --range 0:1 f f
	assert_stderr_prefix "mrsplit: --range takes one FILE"
	run -2 --separate-stderr mrsplit -n 2 -o s%d - -
	assert_stderr_prefix "mrsplit: standard input named twice"
	run -2 --separate-stderr mrsplit -n 2 -o s%d -t ab f
	assert_stderr_prefix "mrsplit: bad separator: ab"
	run -2 --separate-stderr mrsplit --bogus f
	[[ "$stderr" == *"usage: mrsplit"* ]]
	[ ! -e s0 ]
	# -t is accepted and changes nothing
	printf 'a:1\nb:2\n' > kv
	mrsplit -t : --range 0:8 kv | cmp - kv
}

@test "--help prints the usage that the man page's SYNOPSIS shows" {
	man=$BATS_TEST_DIRNAME/../man/mrsplit.1
	run -0 mrsplit --help
	[[ "$output" == "usage: mrsplit"* ]]
	output=$(printf '%s\n' "$output" | sed '/^$/,$d')	# the usage part
	synopsis=$(groff -mdoc -Tascii "$man" 2>/dev/null | col -b |
		sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d;/^$/d' |
		sed 's/^[[:blank:]]*//')
	[ "$synopsis" = "$(printf '%s\n' "$output" | sed 's/^usage: //; s/^ *//')" ]
	for opt in $(printf '%s\n' "$output" | grep -o -- '--[a-z-]*' | sort -u); do
		grep -q -- "^\.It Fl -${opt#--}" "$man"
	done
	for opt in $(printf '%s\n' "$output" | grep -oE -- '[ []-[a-zA-Z]' |
	    tr -d ' [' | sort -u); do
		grep -q "^\.It Fl ${opt#-} " "$man"
	done
	run -0 mrsplit --version
	[[ "$output" == "mrsplit (mr) "* ]]
	run -0 --separate-stderr groff -mdoc -ww -z "$man"
	[ -z "$stderr" ]
}

@test "output to a closed stdout is an error" {
	printf 'a\n' > f
	run -1 --separate-stderr bash -c 'mrsplit --range 0:1 f >&-'
	assert_stderr_prefix "mrsplit: stdout: "
	run -1 --separate-stderr bash -c 'mrsplit --ranges -n 1 f >&-'
	assert_stderr_prefix "mrsplit: stdout: "
}

@test "a block missing at a seam fails the range before it" {
	seq 1 200000 | mrmap -o f.mr cat
	mrtest block drop 1 < f.mr > d.mr
	size=$(wc -c < d.mr)
	b=$(frame_at d.mr 1)
	# the range that ends where the gap is sees the block after it
	run -1 --separate-stderr mrsplit --range 0:"$b" d.mr
	[[ "$stderr" == "mrsplit: d.mr: block at byte $b starts at record "*" (a block is missing or repeated)" ]]
	# alone, the range after the gap cannot tell
	mrsplit --range "$b:$size" d.mr > /dev/null
}

@test "-o refuses a field width over 99, and shows a long template cut" {
	printf 'a\n' > in
	bad_templates mrsplit s
	[ "$(ls | grep -v "^separate-stderr")" = in ]
	run -0 --separate-stderr mrsplit -n 2 -o 's%099d' in
	[ -z "$stderr" ]
	cat "$(printf 's%099d' 0)" "$(printf 's%099d' 1)" | cmp - in
}

@test "a range past the end of a file is an error, and writes nothing" {
	printf 'ab\ncd\n' > f
	run -0 --separate-stderr mrsplit --range 3:6 f
	[ "$output" = cd ]
	run -0 --separate-stderr mrsplit --range 6:6 f
	[ -z "$output" ]
	run -1 --separate-stderr mrsplit --range 3:7 f
	[ "$stderr" = "mrsplit: f: range 3:7 is past its end (6 bytes)" ]
	[ -z "$output" ]
	run -1 --separate-stderr mrsplit --range 7:9 f
	[ "$stderr" = "mrsplit: f: range 7:9 is past its end (6 bytes)" ]
	run -1 --separate-stderr mrsplit --range 0:1 - < /dev/null
	[ "$stderr" = "mrsplit: stdin: not a regular file" ]
	: > empty
	run -1 --separate-stderr mrsplit --range 0:1 - < empty
	[ "$stderr" = "mrsplit: stdin: range 0:1 is past its end (0 bytes)" ]
	# a framed range writes not even its stream header
	mrtest gen 5 100 10 > gen.mr
	size=$(wc -c < gen.mr)
	run -1 --separate-stderr mrsplit --range 0:$((size + 1)) gen.mr
	[ "$stderr" = "mrsplit: gen.mr: range 0:$((size + 1)) is past its end ($size bytes)" ]
	[ -z "$output" ]
}

# stamp FILE: the file's --expect stamp, SIZE:MTIME:DEV:INO.
stamp() {
	stat -c '%s:%.9Y:%d:%i' "$1"
}

@test "--expect passes the file it describes, by its stamp or its size" {
	seq 100 > f
	run -0 --separate-stderr mrsplit --range 0:292 --expect "$(stamp f)" f
	[ "$output" = "$(seq 100)" ]
	[ -z "$stderr" ]
	run -0 --separate-stderr mrsplit --range=10:20 --expect=292 f
	[ "$output" = "$(seq 6 10)" ]
	mrtest gen 5 100 10 > gen.mr
	size=$(wc -c < gen.mr)
	mrsplit --range 0:"$size" --expect="$(stamp gen.mr)" gen.mr | cmp - gen.mr
}

@test "--expect and mrrun write a time before 1970 as stat does" {
	seq 3 > f
	for t in -1.5 -0.25 -3; do
		touch -d "@$t" f
		run -0 mrsplit --range 0:6 --expect "$(stamp f)" f
		[ "$output" = "$(seq 3)" ]
		mrrun -m cat -r NONE --dry-run f | grep -q -- "--expect=$(stamp f) "
	done
	run -1 --separate-stderr mrsplit --range 0:6 --expect "6:-3.500000000:$(stat -c %d:%i f)" f
	[ "$stderr" = "mrsplit: f: changed while the job ran (modified at -3.000000000, was -3.500000000)" ]
	# the least time there is, which tmpfs keeps
	run -1 --separate-stderr mrsplit --range 0:6 --expect "6:-9223372036854775808.000000000:$(stat -c %d:%i f)" f
	[ "$stderr" = "mrsplit: f: changed while the job ran (modified at -3.000000000, was -9223372036854775808.000000000)" ]
	run -2 --separate-stderr mrsplit --range 0:6 --expect "6:-9223372036854775808.000000001:$(stat -c %d:%i f)" f
	run -2 --separate-stderr mrsplit --range 0:6 --expect "6:9223372036854775808.000000000:$(stat -c %d:%i f)" f
}

@test "--expect fails a file of another size, time or inode, and writes nothing" {
	seq 100 > f
	touch -d @1000000000.25 f
	want=$(stamp f)
	dev=$(stat -c %d f)
	ino=$(stat -c %i f)
	# a size of its own
	run -1 --separate-stderr mrsplit --range 0:10 --expect 300 f
	[ "$stderr" = "mrsplit: f: changed while the job ran (size 292, was 300)" ]
	[ -z "$output" ]
	# the same bytes, written again
	seq 100 > f
	now=$(stat -c %.9Y f)
	run -1 --separate-stderr mrsplit --range 0:10 --expect "$want" f
	[ "$stderr" = "mrsplit: f: changed while the job ran (modified at $now, was 1000000000.250000000)" ]
	[ -z "$output" ]
	# another file of the same size and time, in its place
	seq 100 > g
	touch -d @1000000000.25 f g
	[ "$(stat -c %i g)" != "$ino" ]
	mv g f
	run -1 --separate-stderr mrsplit --range 0:10 --expect "$want" f
	[ "$stderr" = "mrsplit: f: changed while the job ran (another file: device $dev inode $(stat -c %i f), was device $dev inode $ino)" ]
	[ -z "$output" ]
	# shorter: the stamp speaks first, not the range
	printf '1\n' > f
	run -1 --separate-stderr mrsplit --range 0:10 --expect 292 f
	[ "$stderr" = "mrsplit: f: changed while the job ran (size 2, was 292)" ]
	# a framed range writes not even its stream header
	mrtest gen 5 100 10 > gen.mr
	size=$(wc -c < gen.mr)
	run -1 --separate-stderr mrsplit --range 0:"$size" \
		--expect=$((size + 1)) gen.mr
	[ "$stderr" = "mrsplit: gen.mr: changed while the job ran (size $size, was $((size + 1)))" ]
	[ -z "$output" ]
}

@test "a bad --expect, or one without --range, is a usage error" {
	seq 100 > f
	for bad in '' : 292: :292 x 292x -292 292:1:2:3 '292:1.5:2:3' \
	    292:1.0000000000:2:3 292:1.00000000x:2:3 292:.000000000:2:3 \
	    292:1.000000000:2 292:1.000000000:2:3:4 292:1.000000000::3 \
	    292:1.000000000:2:x 99999999999999999999 \
	    292:1.000000000:2:99999999999999999999999; do
		run -2 --separate-stderr mrsplit --range 0:10 --expect="$bad" f
		[ "${stderr%%$'\n'*}" = "mrsplit: bad --expect: $bad (SIZE, or SIZE:MTIME:DEV:INO with MTIME as SECONDS.NANOSECONDS)" ] ||
			{ echo "--expect=$bad: $stderr"; return 1; }
		[ -z "$output" ]
	done
	run -2 --separate-stderr mrsplit --expect=292 -n 2 -o s%d f
	[ "${stderr%%$'\n'*}" = "mrsplit: --expect goes with --range" ]
	run -2 --separate-stderr mrsplit --expect=292 --ranges -n 2 f
	[ "${stderr%%$'\n'*}" = "mrsplit: --expect goes with --range" ]
	[ ! -e s0 ]
}

# changed_midway [OPTION]: mrsplit --range OPTION of a file bigger than a
# pipe holds, read by a reader that takes one line and then waits for go:
# mrsplit has opened the file and waits to write the rest while the test
# changes the file.  Sets status to mrsplit's exit status.
changed_midway() {
	seq 1 300000 > big
	touch -d @1000000000 big
	mkfifo go
	(
		set -o pipefail
		mrsplit --range 0:"$(wc -c < big)" "$@" big 2> err |
			{ read -r first; : > started; read -r x < go; cat; } > out
	) &
	job=$!
	JOB=$job wait_for test -e started
	# the same size, another byte near the end
	printf X | dd of=big bs=1 seek=1000000 conv=notrunc status=none
	echo > go
	status=0
	wait "$job" || status=$?
}

@test "a file changed while --range reads it fails, with or without --expect" {
	changed_midway
	assert_status 1
	[ "$(head -n 1 err)" = "mrsplit: big: changed while being read (modified at $(stat -c %.9Y big), was 1000000000.000000000)" ]
	rm go started
	changed_midway --expect="$(stat -c %s big):1000000000.000000000:$(stat -c %d:%i big)"
	assert_status 1
	[ "$(head -n 1 err)" = "mrsplit: big: changed while the job ran (modified at $(stat -c %.9Y big), was 1000000000.000000000)" ]
}

#!/usr/bin/env bats
# Binary-safe jobs: records whose keys and values hold any bytes (TAB, LF,
# CR, NUL, 0xFF, the framed magic) pass unchanged through the identity
# mapper (mrmap NONE, mrrun -m NONE), the identity reducer (mrreduce and
# mrrun -r identity) and commands given framed records (--framed-input),
# and the bad inputs and usage errors of each.  Oracles: mrtest dump of
# the input, sorted with sort(1), and the swap.py of mr-format(5).

load test_helper

# records: a.mr, random records of any bytes, and e.mr, records of which
# every third holds a whole framed stream (the magic) as its value.
records() {
	mrtest gen 5 4000 30 > a.mr
	mrtest gen 2 40 12 > small.mr
	mrtest embed 9 90 small.mr > e.mr
}

# dumped FILE...: the records of the framed FILEs, one hex line each, in
# sorted order: the multiset of records, whatever their order.
dumped() {
	cat "$@" | mrtest dump | sort
}

# sorted_keys FILE...: the keys of the framed FILEs in their order, one
# hex line each.
keys_of() {
	cat "$@" | mrtest dump | cut -d ' ' -f 1
}

@test "the test records hold TAB, LF, CR, NUL, 0xFF and the framed magic" {
	records
	hex=$(mrtest dump < a.mr | tr -d ' \n' | fold -w 2 | sort -u | tr '\n' ' ')
	for b in 00 09 0a 0d ff; do
		[[ " $hex" == *" $b "* ]]
	done
	mrtest dump < e.mr | grep -q '894d52460d0a1a0a48'
}

@test "mrmap NONE passes framed records of any bytes through unchanged, in order" {
	records
	run -0 --separate-stderr mrmap -o out.mr NONE a.mr e.mr
	[ -z "$stderr" ]
	cmp <(cat a.mr e.mr | mrtest dump) <(mrtest dump < out.mr)
}

@test "mrmap NONE makes of text lines the records mrmap cat makes" {
	printf 'a\tb\nkey only\ntrailing tab\t\r\n\n\tno key\na\tb\tc\nno newline' > in.txt
	mrmap cat in.txt > want.mr
	mrmap NONE in.txt > got.mr
	cmp <(mrtest dump < want.mr) <(mrtest dump < got.mr)
	run -0 mrmap --text NONE in.txt
	[ "$output" = "$(mrmap --text cat in.txt)" ]
	printf 'k\tey\n1,v\ra\377\0k2\0' > z.txt
	mrmap -z -t , cat z.txt > want.mr
	mrmap -z -t , NONE z.txt > got.mr
	cmp <(mrtest dump < want.mr) <(mrtest dump < got.mr)
	[ "$(mrtest dump < got.mr | head -n 1)" = "6b0965790a31 760d61ff" ]
}

@test "mrmap NONE keeps the metadata of framed input, the same in every input" {
	printf 'a\na\nb\n' > in.txt
	mrmap --combine count cat in.txt > p.mr
	mrmap NONE p.mr p.mr > out.mr
	[ "$(head -c 33 out.mr | tail -c 20)" = "values=partial:count" ]
	[ "$(mrsort out.mr | mrreduce count)" = "$(printf 'a\t4\nb\t2')" ]
	printf 'c\n' | mrmerge -o plain.mr
	run -1 --separate-stderr mrmap NONE p.mr plain.mr
	assert_stderr_prefix "mrmap: plain.mr: "
}

@test "mrmap NONE refuses a text line that starts with the framed magic" {
	records
	{ echo x; cat a.mr; } > bad.txt
	run -1 --separate-stderr mrmap -o out.mr NONE bad.txt
	[ "$stderr" = "mrmap: bad.txt: framed stream header at byte 2 in text input (a damaged framed file? --allow-magic reads it as text)" ]
	[ ! -e out.mr ]
	no_temps .
	run -0 mrmap --allow-magic -o out.mr NONE bad.txt
}

@test "mrmap NONE fails on corrupt or truncated framed input, naming it" {
	records
	cp a.mr c.mr
	flip c.mr 200
	run -1 --separate-stderr mrmap -o out.mr NONE c.mr
	assert_stderr_prefix "mrmap: c.mr: bad block"
	[ ! -e out.mr ]
	head -c 5000 a.mr > t.mr
	run -1 --separate-stderr mrmap -o out.mr NONE t.mr
	assert_stderr_prefix "mrmap: t.mr: truncated block at byte"
	[ ! -e out.mr ]
	no_temps .
}

@test "mrmap --combine with NONE combines the input's records, as with cat" {
	words 20000 3 > w.txt
	mrmap --combine count NONE w.txt | mrsort | mrreduce count > got
	sort w.txt | uniq -c | awk '{ print $2 "\t" $1 }' | cmp - got
}

@test "mrmap NONE counts the records and bytes it read" {
	records
	mrmap --counters c.tsv NONE a.mr > /dev/null
	grep -qx "mr${TAB}MAP_INPUT_RECORDS${TAB}4000" c.tsv
	grep -qx "mr${TAB}MAP_INPUT_BYTES${TAB}$(wc -c < a.mr)" c.tsv
	grep -qx "mr${TAB}MAP_OUTPUT_RECORDS${TAB}4000" c.tsv
}

@test "mrmap --framed-input gives the command the records unchanged" {
	records
	# the command runs once an input
	mrmap --framed-input 'cat >> seen' a.mr e.mr > /dev/null
	[ "$(head -c 9 seen | od -An -tx1 | tr -d ' ')" = 894d52460d0a1a0a48 ]
	cmp <(cat a.mr e.mr | mrtest dump) <(mrtest dump < seen)
	mrmap --framed-input cat a.mr > out.mr
	cmp <(mrtest dump < a.mr) <(mrtest dump < out.mr)
}

@test "mrmap --framed-input cuts text input into records first" {
	printf 'a\tb\nc\n' | mrmap --framed-input 'cat > seen' > /dev/null
	[ "$(mrtest dump < seen)" = "$(printf '61 62\n63 ')" ]
}

@test "a --framed-input command that writes a broken stream fails as framed output does" {
	records
	run -1 --separate-stderr mrmap -o out.mr --framed-input 'head -c 100' a.mr
	assert_stderr_prefix "mrmap: the command's output: truncated block at byte 17"
	[ ! -e out.mr ]
	no_temps .
}

@test "a --framed-input command that stops reading early is no error" {
	records
	run -0 mrmap --text --framed-input 'head -c 50 > /dev/null; echo done' a.mr e.mr
	[ "$output" = "$(printf 'done\ndone')" ]
}

@test "--framed-input with NONE, or with a built-in op, is a usage error" {
	run -2 --separate-stderr mrmap --framed-input NONE
	assert_stderr_prefix "mrmap: --framed-input needs a command: NONE reads records itself"
	run -2 --separate-stderr mrreduce --framed-input count
	assert_stderr_prefix "mrreduce: --framed-input needs a command: count reads records itself"
	run -2 --separate-stderr mrreduce --framed-input identity
	assert_stderr_prefix "mrreduce: --framed-input needs a command"
}

@test "mrreduce identity writes sorted records of any bytes unchanged, checked for order" {
	records
	mrsort a.mr e.mr -o s.mr
	mrreduce --framed identity s.mr > out.mr
	cmp <(mrtest dump < s.mr) <(mrtest dump < out.mr)
	cmp <(mrreduce --framed NONE s.mr | mrtest dump) <(mrtest dump < out.mr)
	run -1 --separate-stderr mrreduce --framed identity a.mr
	[[ "$stderr" == "mrreduce: a.mr: record "*" is out of order (sort it with mrsort)" ]]
}

@test "mrreduce --framed-input gives the command the sorted records unchanged" {
	records
	mrsort a.mr e.mr -o s.mr
	mrreduce --framed --framed-input cat s.mr > out.mr
	cmp <(mrtest dump < s.mr) <(mrtest dump < out.mr)
	run -1 --separate-stderr mrreduce --framed --framed-input cat a.mr
	[[ "$stderr" == "mrreduce: a.mr: record "*" is out of order (sort it with mrsort)" ]]
	run -1 --separate-stderr mrreduce --framed --framed-input 'head -c 100' s.mr
	assert_stderr_prefix "mrreduce: the command's output: truncated block"
	run -0 mrreduce --framed-input 'head -c 10 > /dev/null; echo ok' s.mr
	[ "$output" = ok ]
}

@test "a map-only job with -m NONE writes framed records of any bytes unchanged" {
	records
	job=(-m NONE -r NONE --framed --split-size 16K)
	[ "$(map_tasks "${job[@]}" a.mr e.mr)" -gt 3 ]
	run -0 --separate-stderr mrrun "${job[@]}" -o out a.mr e.mr
	[ -z "$stderr" ]
	[ -e out/_SUCCESS ]
	cmp <(cat a.mr e.mr | mrtest dump) <(cat out/part-* | mrtest dump)
}

@test "-m NONE -r identity -n 3 writes every record once, each part sorted" {
	records
	mrrun -m NONE -r identity -n 3 --framed --split-size 64K -o out a.mr e.mr
	cmp <(dumped a.mr e.mr) <(dumped out/part-*)
	for p in out/part-*; do
		keys_of "$p" | sort -c
	done
}

@test "-m NONE -r identity --total-order sorts records of any bytes, unchanged" {
	records
	run -0 --separate-stderr mrrun -m NONE -r identity -n 4 --total-order \
		--framed --split-size 64K -o out a.mr e.mr
	[ -z "$stderr" ]
	[ "$(cd out && echo part-*)" = "part-00000 part-00001 part-00002 part-00003" ]
	cmp <(dumped a.mr e.mr) <(dumped out/part-*)
	# the parts concatenated are in key order, as mrsort orders them
	cmp <(mrsort a.mr e.mr | mrtest dump | cut -d ' ' -f 1) <(keys_of out/part-*)
	# framed output on stdout is the same records
	mrrun -m NONE -r identity -n 4 --total-order --framed --split-size 64K \
		a.mr e.mr > all.mr
	cmp <(keys_of all.mr) <(keys_of out/part-*)
}

@test "-m NONE runs no mrmap and -r identity no mrmerge, and counts as -m cat and -r cat do" {
	input 3000 4 > in.txt
	mrrun -m NONE -r identity -n 2 --dry-run in.txt > plan
	! grep -q 'mrmap' plan
	! grep -q 'mrmerge' plan
	grep -q '| mrpartition --counters=' plan
	grep -q 'mrreduce .*identity .*/map/m-00000/part-00000' plan
	# but --values needs mrmerge's order, and a built-in combiner mrmap
	mrrun -m NONE -r identity --values --dry-run in.txt | grep -q mrmerge
	mrrun -m NONE -r count -c count --dry-run in.txt | grep -q 'mrmap.* NONE'
	mrrun -m cat -r cat -n 2 --stats -o want in.txt 2> want.stats
	mrrun -m NONE -r identity -n 2 --stats -o got in.txt 2> got.stats
	cmp want.stats got.stats
	cmp want/_counters got/_counters
	cmp want/part-00001 got/part-00001
	mrrun -m NONE -r identity --values -n 2 -o got2 in.txt
	mrrun -m cat -r cat --values -n 2 -o want2 in.txt
	cmp want2/part-00000 got2/part-00000
}

@test "mapper, combiner and reducer commands with --framed-input see records unchanged" {
	records
	job=(-m cat -c cat -r cat -n 2 --framed --framed-input --split-size 64K)
	mrrun "${job[@]}" --dry-run a.mr > plan
	grep -q 'mrmap --framed-input' plan
	grep -q 'mrreduce --framed --framed-input' plan
	run -0 --separate-stderr mrrun "${job[@]}" -o out a.mr e.mr
	[ -z "$stderr" ]
	cmp <(dumped a.mr e.mr) <(dumped out/part-*)
	run -0 mrrun -m cat --framed-input -r NONE --framed -o map a.mr e.mr
	cmp <(cat a.mr e.mr | mrtest dump) <(cat map/part-* | mrtest dump)
}

@test "-m NONE over text writes what -m cat writes" {
	input 3000 4 > in.txt
	mrrun -m cat -r cat -n 2 -o want in.txt
	mrrun -m NONE -r identity -n 2 -o got in.txt
	cmp want/part-00000 got/part-00000
	cmp want/part-00001 got/part-00001
	mrrun -m cat -r count -o want2 in.txt
	mrrun -m NONE -r count -o got2 in.txt
	cmp want2/part-00000 got2/part-00000
}

@test "--framed-input in a job that runs no command is a usage error" {
	touch empty
	run -2 --separate-stderr mrrun -m NONE -r identity --framed-input empty
	assert_stderr_prefix "mrrun: --framed-input: the job runs no command to give records to"
	run -2 --separate-stderr mrrun -m NONE -r count -c count --framed-input empty
	assert_stderr_prefix "mrrun: --framed-input: the job runs no command"
	run -0 mrrun -m NONE -r cat --framed-input --dry-run empty
}

@test "a --framed-input mapper that writes a broken stream fails the job with no output" {
	records
	run -1 --separate-stderr mrrun -m 'head -c 100' --framed-input -r identity \
		--retries 0 -o out a.mr
	[[ "$stderr" == *"the command's output: truncated block at byte 17"* ]]
	[ ! -e out ]
}

@test "the swap.py of mr-format(5) runs as a --framed-input mapper" {
	sed -n '/^\.\\" swap\.py/,/^\.Ed/p' "$BATS_TEST_DIRNAME/../man/mr-format.5" |
		sed '1,2d;$d' | sed 's/\\e/\\/g; s/^\\&//' > swap.py
	[ "$(head -n 1 swap.py)" = "#!/usr/bin/env python3" ]
	records
	run -0 --separate-stderr mrrun --framed-input -m 'python3 swap.py' \
		-r identity -n 2 --framed --split-size 64K -o out a.mr e.mr
	[ -z "$stderr" ]
	cmp <(cat a.mr e.mr | mrtest dump | sed 's/^\([^ ]*\) \(.*\)$/\2 \1/' | sort) \
		<(dumped out/part-*)
	# it checks what it reads
	mrtest block drop 1 < a.mr > d.mr
	run -1 --separate-stderr python3 swap.py < d.mr
	[ "$stderr" = "swap.py: a block is missing" ]
}

#!/usr/bin/env bats
# mrmap: the command gets the input as text, its output becomes records
# (keyed by their first fields with --key-fields), its failures are
# errors, and --combine aggregates by key.

load test_helper

@test "text input reaches the command byte for byte" {
	printf 'a\tb\nkey only\ntrailing tab\t\r\n\n\tno key\nno newline' > in.txt
	run -0 mrmap --text cat in.txt
	cmp <(printf '%s' "$output") in.txt
	mrmap 'cat > seen' in.txt > /dev/null
	cmp seen in.txt
}

@test "framed input reaches the command as key TAB value lines" {
	printf 'b\t2\na\t1\nc\n' > in.txt
	mrsort in.txt -o in.mr
	mrmap 'cat > seen' in.mr > /dev/null
	[ "$(cat seen)" = "$(printf 'a\t1\nb\t2\nc')" ]
}

@test "the command's lines become framed records" {
	printf 'x\t1\ny\t2\n' > in.txt
	mrmap cat in.txt > out.mr
	[ "$(head -c 8 out.mr | od -An -tx1 | tr -d ' ')" = 894d52460d0a1a0a ]
	run -0 mrmerge --text out.mr
	[ "$output" = "$(printf 'x\t1\ny\t2')" ]
}

@test "a command that writes framed records is read as framed" {
	printf 'k\tv\n' > in.txt
	mrsort in.txt -o in.mr
	run -0 mrmap --text 'cat > /dev/null; cat in.mr' in.txt
	[ "$output" = "$(printf 'k\tv')" ]
}

@test "every input file runs the command with its own environment" {
	printf '1\n2\n' > one.txt
	printf '3\n' > two.txt
	run -0 mrmap --text 'cat >/dev/null; printf "%s\t%s %s %s %s\n" "$map_input_file" "$map_input_start" "$map_input_length" "$mapreduce_map_input_file" "$mapreduce_task_ismap"' one.txt two.txt
	[ "$output" = "$(printf 'one.txt\t0 4 one.txt true\ntwo.txt\t0 2 two.txt true')" ]
}

@test "standard input keeps the input variables the caller set" {
	run -0 env map_input_file=split-7 mrmap --text 'cat >/dev/null; echo "$map_input_file"' < /dev/null
	[ "$output" = split-7 ]
}

@test "--combine writes partial states marked in the metadata" {
	printf 'a\na\nb\n' > in.txt
	mrmap --combine count cat in.txt > out.mr
	[ "$(head -c 33 out.mr | tail -c 20)" = "values=partial:count" ]
	run -0 mrmerge --text out.mr
	[ "$output" = "$(printf 'a\t2\nb\t1')" ]
}

@test "--combine keeps memory to -S by flushing, and loses nothing" {
	words 200000 7 > w.txt
	mrmap --combine count -S 64K cat w.txt > out.mr
	run -0 mrsort --text out.mr
	# flushed more than once: some word has more than one partial count
	[ "$(printf '%s\n' "$output" | cut -f1 | sort | uniq -d | wc -l)" -gt 0 ]
	printf '%s\n' "$output" | sort -k1,1 |
		awk -F'\t' '{ c[$1] += $2 } END { for (w in c) print c[w], w }' |
		sort -k2 > got
	sort w.txt | uniq -c | awk '{ print $1, $2 }' | sort -k2 > want
	cmp got want
}

@test "--combine sum names the key of a value that is not a number" {
	printf 'a\t1\nb\tx\n' > in.txt
	run -1 --separate-stderr mrmap --combine sum -o out.mr cat in.txt
	[ "$stderr" = "mrmap: the command's output: record 2: key \"b\": value \"x\" is not a number (--skip-bad skips such values)" ]
	[ ! -e out.mr ]
}

@test "--skip-bad counts and reports skipped values, exit 1" {
	printf 'a\t1\nb\tx\na\t2\nc\t\n' > in.txt
	run -1 --separate-stderr mrmap --combine sum --skip-bad --text cat in.txt
	[ "$output" = "$(printf 'a\t3')" ]
	[ "$stderr" = "mrmap: skipped 2 values that are not numbers" ]
}

@test "--combine refuses an op whose state grows with the data" {
	run -2 --separate-stderr mrmap --combine distinct cat /dev/null
	assert_stderr_prefix "mrmap: --combine distinct: its state grows"
	run -2 --separate-stderr mrmap --combine median cat /dev/null
	assert_stderr_prefix "mrmap: --combine median: not a built-in op"
}

@test "a command that fails makes mrmap fail and leaves no output" {
	printf 'a\nb\n' > in.txt
	run -1 --separate-stderr mrmap -o out.mr 'cat; exit 3' in.txt
	[ "$stderr" = 'mrmap: command "cat; exit 3" exited with status 3' ]
	[ ! -e out.mr ]
	no_temps .
}

@test "a command killed by a signal is reported with the signal" {
	run -1 --separate-stderr mrmap -o out.mr 'kill -9 $$' /dev/null
	[ "$stderr" = 'mrmap: command "kill -9 $$" was killed by signal 9 (Killed)' ]
	[ ! -e out.mr ]
}

@test "a failed command's partial framed output is truncated, not complete" {
	seq 100000 > in.txt
	run -1 --separate-stderr bash -c 'mrmap "cat; exit 1" in.txt > out.mr'
	run -1 --separate-stderr mrsort -o /dev/null out.mr
	[[ "$stderr" == "mrsort: out.mr: "*"(truncated stream)" ]]
}

@test "a command that stops reading early keeps all of its output" {
	seq 1000000 > in.txt
	run -0 --separate-stderr mrmap --text 'head -n 100' in.txt
	[ "$output" = "$(seq 100)" ]
	[ -z "$stderr" ]
	mrsort in.txt -o in.mr
	run -0 mrmap --text 'head -n 3' in.mr
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 3 ]
}

@test "a command that writes much to stderr before reading does not hang" {
	seq 200000 > in.txt
	run -0 --separate-stderr mrmap --text \
		'head -c 4000000 /dev/zero | tr "\0" "e" >&2; cat' in.txt
	[ "$output" = "$(seq 200000)" ]
	[ "${#stderr}" -eq 4000000 ]
}

@test "reporter counters are summed, status lines are taken" {
	printf 'a\nb\nc\n' > in.txt
	run -0 --separate-stderr mrmap --text 'while read l; do echo "reporter:counter:Words,Seen,2" >&2; echo "reporter:status:at $l" >&2; echo "$l"; done; echo "reporter:counter:Words,Seen,-1" >&2; echo "reporter:counter:bad" >&2; echo plain >&2' in.txt
	[ "$output" = "$(printf 'a\nb\nc')" ]
	[ "$stderr" = "$(printf 'reporter:counter:bad\nplain\nreporter:counter:Words,Seen,5')" ]
}

@test "--counters writes the built-in and the user counters to a file" {
	printf 'a a\nb\n' > in.txt
	run -0 --separate-stderr mrmap --combine count --counters c.tsv \
		'tr " " "\n"; echo "reporter:counter:G,N,7" >&2' in.txt
	[ -z "$stderr" ]
	[ "$(cat c.tsv)" = "$(printf 'mr\tMAP_INPUT_RECORDS\t2
mr\tMAP_INPUT_BYTES\t6
mr\tMAP_OUTPUT_RECORDS\t3
mr\tCOMBINE_INPUT_RECORDS\t3
mr\tCOMBINE_OUTPUT_RECORDS\t2
mr\tSKIPPED_VALUES\t0
G\tN\t7')" ]
}

@test "-z and -t apply to the command's input and output" {
	printf 'b:2\0a:1\0' > in.bin
	mrsort -z -t : in.bin -o in.mr
	mrmap -z -t : 'cat > seen; printf "x:9\0"' in.mr > out.mr
	[ "$(tr '\0' '\n' < seen)" = "$(printf 'a:1\nb:2')" ]
	[ "$(mrmerge --text out.mr)" = "$(printf 'x\t9')" ]
}

@test "corrupt framed input is an error with the offset" {
	seq 1000 > in.txt
	mrsort in.txt -o in.mr
	flip in.mr 40
	run -1 --separate-stderr mrmap -o out.mr cat in.mr
	assert_stderr_prefix "mrmap: in.mr: bad block"
	[ ! -e out.mr ]
}

@test "corrupt framed output of the command is an error" {
	seq 1000 > in.txt
	mrsort in.txt -o bad.mr
	flip bad.mr 40
	run -1 --separate-stderr mrmap -o out.mr 'cat bad.mr' /dev/null
	assert_stderr_prefix "mrmap: the command's output: bad block"
	[ ! -e out.mr ]
}

@test "bad usage exits 2" {
	run -2 --separate-stderr mrmap
	assert_stderr_prefix "mrmap: no command given"
	run -2 --separate-stderr mrmap -S 12Q cat
	assert_stderr_prefix "mrmap: bad memory size: 12Q"
	run -2 --separate-stderr mrmap --bogus cat
}

@test "a missing input file is an error" {
	run -1 --separate-stderr mrmap -o out.mr cat no-such-file
	assert_stderr_prefix "mrmap: no-such-file: "
	[ ! -e out.mr ]
}

@test "--combine takes the empty key as any other" {
	printf '\t1\nx\t2\n\t3\n' > in.txt
	run -0 mrmap --combine sum --text cat in.txt
	[ "$output" = "$(printf '\t4\nx\t2')" ]
}

@test "the output file is not open in the command" {
	seq 1000 > in.txt
	mrmap -o out.mr 'cat; ls -l /proc/$$/fd > fds.txt' in.txt
	grep -q pipe fds.txt
	! grep -q out.mr fds.txt
}

@test "SIGTERM to mrmap kills its command and removes the temp file" {
	seq 1000 > in.txt
	mrmap -o out.mr 'echo $$ > cmd.pid; cat; exec sleep 60' in.txt &
	pid=$!
	for n in $(seq 100); do [ -s cmd.pid ] && break; sleep 0.1; done
	[ -s cmd.pid ]
	kill -TERM "$pid"
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 143 ]
	# gone, or a zombie that init has not reaped yet
	state=$(ps -o stat= -p "$(cat cmd.pid)" || true)
	[[ -z "$state" || "$state" == Z* ]]
	[ ! -e out.mr ]
	no_temps .
}

@test "input counters count what reached the command" {
	seq 1000000 > in.txt
	run -0 mrmap --counters c.tsv true in.txt
	grep -qx "mr${TAB}MAP_INPUT_RECORDS${TAB}0" c.tsv
}

@test "a stderr line too long for the protocol passes through whole" {
	printf 'a\n' > in.txt
	run -0 --separate-stderr mrmap --text 'cat; head -c 70000 /dev/zero | tr "\0" y >&2; echo "reporter:counter:a,b,1" >&2; echo "reporter:counter:a,b,10" >&2; printf "no newline" >&2' in.txt
	# the 70000 y's and the first reporter line are one line
	[ "$(printf '%s\n' "$stderr" | sed -n 1p | wc -c)" -eq 70023 ]
	[ "$(printf '%s\n' "$stderr" | sed -n 2p)" = "no newline" ]
	[ "$(printf '%s\n' "$stderr" | sed -n 3p)" = "reporter:counter:a,b,10" ]
}

@test "reporter lines must be exact; an amount that overflows is an error" {
	printf 'a\n' > in.txt
	run -0 --separate-stderr mrmap --text 'cat; echo "reporter:counter:g,n, 7" >&2; echo "reporter:counter:g,n,+1" >&2; echo "reporter:counter:g,n,2" >&2' in.txt
	[ "$stderr" = "$(printf 'reporter:counter:g,n, 7\nreporter:counter:g,n,+1\nreporter:counter:g,n,2')" ]
	run -1 --separate-stderr mrmap --text 'cat; echo "reporter:counter:g,n,99999999999999999999" >&2' in.txt
	assert_stderr_prefix "mrmap: counter g,n: amount 99999999999999999999 overflows"
}

@test "a --counters file that cannot be made fails before any work" {
	seq 10 > in.txt
	run -1 --separate-stderr mrmap -o out.mr --counters no-dir/c.tsv 'touch ran; cat' in.txt
	assert_stderr_prefix "mrmap: no-dir/c.tsv: cannot create a temporary file"
	[ ! -e out.mr ]
	[ ! -e ran ]
}

@test "--combine tells apart long keys that share their first bytes" {
	for k in 0123456789abcdefX 0123456789abcdefY 0123456789abcdef 0123456789abcdefX; do
		printf '%s\t1\n' "$k"
	done > in.txt
	run -0 mrmap --combine count --text cat in.txt
	[ "$output" = "$(printf '0123456789abcdefX\t2\n0123456789abcdefY\t1\n0123456789abcdef\t1')" ]
}

# shown FILE: the records of FILE as text lines key|value, or the key
# alone when the value is empty, in the order they are, so that a key
# that holds a TAB shows.
shown() {
	mrmap -t '|' --text NONE "$1"
}

# split_oracle K SEP: the lines of standard input as records whose key is
# the first K fields split by SEP, as shown() shows them.
split_oracle() {
	awk -F "$2" -v k="$1" '{
		if (NF <= k) { print; next }
		key = $1
		for (i = 2; i <= k; i++)
			key = key FS $i
		val = substr($0, length(key) + 2)
		print (val == "" ? key : key "|" val)
	}'
}

# fields_input: lines of 0, 1, 2, 3 and many TAB-separated fields, some
# of them empty.
fields_input() {
	printf 'one\n'
	printf 'a\tb\n'
	printf 'a\tb\tc\n'
	printf 'x\ty\tz\tw\tv\n'
	printf '\n'
	printf '\t\n'
	printf '\t\t\n'
	printf 'a\t\tc\n'
	printf '\tb\tc\td\n'
	printf 'a\tb\t\n'
	printf 'a\tb\tc\t\n'
	seq 100 | paste -s -
}

@test "--key-fields 1 splits the lines as mrmap does without it" {
	fields_input > in.txt
	mrmap cat in.txt > want.mr
	mrmap --key-fields 1 cat in.txt > got.mr
	cmp want.mr got.mr
	mrmap --key-fields=1 NONE in.txt > got.mr
	cmp want.mr got.mr
}

@test "--key-fields K keys a line by its first K fields, the rest the value" {
	fields_input > in.txt
	for k in 2 3 4 50 100 101 1000000; do
		mrmap --key-fields "$k" 'cat' in.txt > out.mr
		shown out.mr > got
		split_oracle "$k" "$TAB" < in.txt > want
		diff want got || { echo "K=$k"; return 1; }
	done
	# the oracle is no copy of the input, nor of K = 1
	[ "$(split_oracle 2 "$TAB" < in.txt | sed -n 3p)" = "a${TAB}b|c" ]
	[ "$(split_oracle 2 "$TAB" < in.txt | sed -n 10p)" = "a${TAB}b" ]
}

@test "--key-fields counts fields as Hadoop does, empty ones too" {
	printf 'a\tb\tc\td\n\t\tc\na\t\na\tb\t\n' > in.txt
	run -0 shown <(mrmap --key-fields 2 cat in.txt)
	[ "$output" = "$(printf 'a\tb|c\td\n\t|c\na\t\na\tb')" ]
}

@test "--key-fields splits by the separator of -t" {
	printf 'a,b,c\nd,e\nf\ng,h,i,j\n,,x\n' > in.csv
	mrmap -t , --key-fields 2 cat in.csv > out.mr
	shown out.mr > got
	split_oracle 2 , < in.csv | diff - got
	# the TAB is no separator then
	printf 'a\tb,c,d\n' > tab.csv
	run -0 shown <(mrmap -t , --key-fields 2 cat tab.csv)
	[ "$output" = "a${TAB}b,c|d" ]
}

@test "--key-fields splits NUL-terminated lines with -z" {
	fields_input | tr '\n' '\0' > in.bin
	mrmap -z --key-fields 2 cat in.bin > out.mr
	shown out.mr > got
	tr '\0' '\n' < in.bin | split_oracle 2 "$TAB" | diff - got
}

@test "--key-fields with NONE splits the input's lines, not framed records" {
	fields_input > in.txt
	mrmap --key-fields 3 NONE in.txt > out.mr
	shown out.mr > got
	split_oracle 3 "$TAB" < in.txt | diff - got
	# framed records keep their keys, split at the first TAB
	mrmap NONE in.txt > framed.mr
	mrmap --key-fields 3 NONE framed.mr > again.mr
	cmp framed.mr again.mr
}

@test "--key-fields leaves the keys of a command's framed output alone" {
	printf 'k\tv\tw\n' > in.txt
	mrmap cat in.txt > in.mr
	run -0 shown <(mrmap --key-fields 2 'cat > /dev/null; cat in.mr' in.txt)
	[ "$output" = "k|v${TAB}w" ]
}

@test "--key-fields leaves the input of the command as it is" {
	printf 'a\tb\tc\n' > in.txt
	mrmap --key-fields 2 'cat > seen' in.txt > /dev/null
	cmp seen in.txt
	# --framed-input cuts text at the first separator for the command
	mrmap --key-fields 2 --framed-input 'cat > seen.mr' in.txt > /dev/null
	run -0 shown seen.mr
	[ "$output" = "a|b${TAB}c" ]
}

@test "--combine aggregates by the key of --key-fields" {
	printf 'u1\t10\t3\nu1\t10\t4\nu1\t11\t5\nu2\t10\t6\n' > in.txt
	run -0 mrmap --key-fields 2 --combine sum --text cat in.txt
	[ "$output" = "$(printf 'u1\t10\t7\nu1\t11\t5\nu2\t10\t6')" ]
}

@test "--key-fields 2 and mrpartition -k 1 give a secondary sort by user, then time" {
	# user<TAB>time<TAB>url, times of one width, each (user, time) once
	awk 'BEGIN {
		for (i = 0; i < 3000; i++)
			printf "u%d\t%d\t/p%d\n", (i * 37) % 53,
			    1600000000 + (i * 7919) % 100003, i % 11
	}' > events.tsv
	mrmap --key-fields 2 'cat' events.tsv | mrpartition -k 1 -n 4 -o part-%d
	for i in 0 1 2 3; do
		mrsort --text "part-$i" > "sorted-$i"
		# what sort(1) makes of the same users' lines
		cut -f1 "sorted-$i" | sort -u > "users-$i"
		awk -F '\t' 'NR == FNR { u[$1]; next } $1 in u' "users-$i" \
			events.tsv | sort -t "$TAB" -k1,1 -k2,2 > "want-$i"
		cmp "want-$i" "sorted-$i"
	done
	# each user in one partition, no event lost, some in each partition
	[ -z "$(cat users-? | sort | uniq -d)" ]
	cat sorted-? | sort | cmp - <(sort events.tsv)
	for i in 0 1 2 3; do [ -s "sorted-$i" ]; done
}

@test "a bad --key-fields is a usage error" {
	for k in 0 -1 abc 1000001 99999999999999999999 '' 2x ' 2' 1.5; do
		run -2 --separate-stderr mrmap --key-fields "$k" -o out.mr cat /dev/null
		[ "${stderr%%$'\n'*}" = "mrmap: bad number of key fields: $k (1 to 1000000)" ] ||
			{ echo "K '$k': $stderr"; return 1; }
		[[ "$stderr" == *$'\n'"usage: mrmap "* ]]
		[ ! -e out.mr ]
	done
	run -2 --separate-stderr mrmap --key-fields
	assert_stderr_prefix "mrmap: "
}

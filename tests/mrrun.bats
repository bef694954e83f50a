#!/usr/bin/env bats
# mrrun: whole jobs against oracles (tr | sort | uniq -c, sort, awk), the
# work directory and the output directory, retries, --resume, signals,
# locks, --dry-run, the task environment and usage errors.

load test_helper

MAN=$BATS_TEST_DIRNAME/../man
TOKENIZE="tr -cs 'A-Za-z0-9' '\\n'"

setup() {
	cd "$BATS_TEST_TMPDIR" || exit 1
	# the work directory of a job on stdout goes here, where it is seen
	export TMPDIR=$BATS_TEST_TMPDIR
}

# A test that failed may leave a job of its own running: kill what names
# the test's directory, a process group at a time where it leads one.
teardown() {
	local p g
	for p in $(pgrep -f "$BATS_TEST_TMPDIR/"); do
		g=$(ps -o pgid= -p "$p" | tr -d ' ')
		if [ "$g" = "$p" ]; then
			kill -KILL -- "-$g" 2> /dev/null || true
		else
			kill -KILL "$p" 2> /dev/null || true
		fi
	done
}

# pages: the text of mr's man pages, in pages.txt.
pages() {
	cat "$MAN"/*.[157] > pages.txt
}

# words_oracle: "WORD<TAB>COUNT" lines of pages.txt, from tr | sort | uniq.
words_oracle() {
	tr -cs 'A-Za-z0-9' '\n' < pages.txt | sort | uniq -c |
		awk '$2 != "" { printf "%s\t%s\n", $2, $1 }'
}

# no_empty_word: the lines of stdin but the count of the empty word.  A
# split that starts with a byte that is not a letter or digit starts with
# an empty line from tr, so that count depends on the splits; no other
# does.
no_empty_word() {
	grep -v "^$TAB" || true
}

# descendants PID: the processes under PID, as "PID COMMAND" lines.
descendants() {
	ps -eo pid=,ppid=,comm= | awk -v root="$1" '
		{ parent[$1] = $2; comm[$1] = $3 }
		END {
			for (changed = 1; changed; ) {
				changed = 0
				for (p in parent)
					if (!(p in under) && (parent[p] == root ||
					    parent[p] in under)) {
						under[p] = 1
						changed = 1
					}
			}
			for (p in under)
				print p, comm[p]
		}'
}

# gone FILE: none of the processes in FILE ("PID COMMAND" lines) exists,
# running or as a zombie.
gone() {
	local p comm
	while read -r p comm; do
		if ps -p "$p" > /dev/null; then
			return 1
		fi
	done < "$1"
}

# no_children PID: no process runs under PID.
no_children() {
	! pgrep -P "$1" > /dev/null
}

# ended PID: the process PID has exited (it may wait to be reaped).
ended() {
	! ps -o stat= -p "$1" | grep -qv '^Z'
}

# sleeping PID N: at least N sleep processes run under PID.
sleeping() {
	[ "$(descendants "$1" | grep -c ' sleep$')" -ge "$2" ]
}

# listing: the names in the current directory but bats's own files, on
# one line.
listing() {
	ls -A | grep -v '^separate-stderr-' | tr '\n' ' ' | sed 's/ $//'
}

# no_work_dirs: no work directory of a job on stdout is in $TMPDIR.
no_work_dirs() {
	local left
	left=$(find "$TMPDIR" -maxdepth 1 -name 'mrrun-*')
	if [ -n "$left" ]; then
		echo "work directories left: $left" >&2
		return 1
	fi
}

@test "a word count of the man pages matches tr | sort | uniq -c" {
	pages
	words_oracle > want
	run -0 --separate-stderr mrrun -m "$TOKENIZE" -r count pages.txt
	[ -z "$stderr" ]
	printf '%s\n' "$output" | no_empty_word > got
	cmp got want
	no_work_dirs
}

@test "the word count with --combiner count gives the same counts" {
	pages
	words_oracle > want
	mrrun -m "$TOKENIZE" -r count -c count -o out pages.txt
	no_empty_word < out/part-00000 > got
	cmp got want
	# the combiner ran: it read every map output record
	grep -q "^mr${TAB}COMBINE_INPUT_RECORDS${TAB}[1-9]" out/_counters
}

@test "the word count with 3 reducers gives the same counts" {
	pages
	words_oracle > want
	mrrun -m "$TOKENIZE" -r count -n 3 -o out pages.txt
	[ "$(cd out && echo part-*)" = "part-00000 part-00001 part-00002" ]
	cat out/part-* | sort | no_empty_word > got
	cmp got want
	# stdout holds the same parts, in order
	mrrun -m "$TOKENIZE" -r count -n 3 pages.txt > stdout
	cat out/part-* | cmp - stdout
}

@test "the word count over many small splits gives the same counts" {
	pages
	words_oracle > want
	[ "$(map_tasks -m "$TOKENIZE" -r count --split-size 4K pages.txt)" -gt 10 ]
	mrrun -m "$TOKENIZE" -r count -c count --split-size 4K pages.txt |
		no_empty_word > got
	cmp got want
}

@test "a map-only job writes one part per map task, the mapper's output of its split" {
	seq 3000 | awk '{ print "line " $0 }' > in.txt
	mrrun -m "awk '{ print NR \"\\t\" \$0 }'" -r NONE --split-size 4K \
		-o out in.txt
	# the byte ranges of the splits, from the plan
	mrrun --dry-run -m cat -r NONE --split-size 4K in.txt |
		sed -n 's/^# map task [0-9]* (in.txt bytes \([0-9]*\)-\([0-9]*\))$/\1 \2/p' > ranges
	n=$(wc -l < ranges)
	[ "$n" -gt 3 ]
	[ "$(ls out | grep -c '^part-')" -eq "$n" ]
	# the ranges cover the file
	[ "$(head -n 1 ranges | cut -d' ' -f1)" -eq 0 ]
	[ "$(tail -n 1 ranges | cut -d' ' -f2)" -eq "$(wc -c < in.txt)" ]
	i=0
	while read -r a b; do
		# a split holds the lines that begin in its range
		awk -v a="$a" -v b="$b" '
			at >= a && at < b { print ++n "\t" $0 }
			{ at += length($0) + 1 }' in.txt > want
		cmp "out/$(printf 'part-%05d' "$i")" want
		i=$((i + 1))
	done < ranges
	[ -e out/_SUCCESS ]
	grep -qx "mr${TAB}MAP_OUTPUT_RECORDS${TAB}3000" out/_counters
	grep -qx "mr${TAB}REDUCE_OUTPUT_RECORDS${TAB}0" out/_counters
}

@test "a Python Streaming reducer gives the counts of the built-in" {
	cat > reducer.py <<'EOF'
#!/usr/bin/env python3
import sys
current, total = None, 0
for line in sys.stdin:
    word, n = line.rstrip("\n").split("\t", 1)
    if word != current:
        if current is not None:
            print(f"{current}\t{total}")
        current, total = word, 0
    total += int(n)
if current is not None:
    print(f"{current}\t{total}")
EOF
	chmod +x reducer.py
	pages
	words_oracle > want
	mapper="$TOKENIZE | awk 'length { print \$0 \"\\t1\" }'"
	mrrun -m "$mapper" -r ./reducer.py -n 2 --split-size 16K pages.txt |
		sort > py
	mrrun -m "$mapper" -r count -n 2 --split-size 16K pages.txt |
		sort > builtin
	cmp py builtin
	cmp py want
}

@test "a command combiner runs on the map partitions and keeps the counts" {
	cat > sum.sh <<'EOF'
awk -F'\t' 'NR > 1 && $1 "" != k "" { print k "\t" s; s = 0 }
	{ k = $1; s += $2 } END { if (NR > 0) print k "\t" s }'
EOF
	pages
	words_oracle > want
	mapper="$TOKENIZE | awk 'length { print \$0 \"\\t1\" }'"
	mrrun -m "$mapper" -c "sh sum.sh" -r sum --split-size 16K -o out \
		pages.txt
	cmp out/part-00000 want
	in=$(awk -F'\t' '$2 == "COMBINE_INPUT_RECORDS" { print $3 }' out/_counters)
	out=$(awk -F'\t' '$2 == "COMBINE_OUTPUT_RECORDS" { print $3 }' out/_counters)
	[ "$in" -eq "$(awk -F'\t' '{ s += $2 } END { print s }' want)" ]
	[ "$out" -gt 0 ] && [ "$out" -lt "$in" ]
}

@test "--total-order with 4 reducers writes the records globally sorted" {
	awk -v n=20000 -f "$BATS_TEST_DIRNAME/../scripts/bench/gensort.awk" > g.txt
	run -0 --separate-stderr mrrun -m cat -r cat --total-order -n 4 \
		--split-size 256K -o out g.txt
	[ -z "$stderr" ]
	[ "$(cd out && echo part-*)" = "part-00000 part-00001 part-00002 part-00003" ]
	# every reducer got a share of the keys
	for p in out/part-*; do
		[ "$(wc -l < "$p")" -gt 1000 ]
	done
	cat out/part-* > got
	sort -c -t "$TAB" -k1,1 got
	sort -t "$TAB" -k1,1 -s g.txt > want
	cmp got want
}

@test "a --dry-run map task run by sh writes the partition mrrun wrote" {
	pages
	mrrun -m "$TOKENIZE" -r count -o out --keep-temp pages.txt
	part=.out.mrrun/map/m-00000/part-00000
	[ -s "$part" ]
	mv "$part" kept
	run -0 --separate-stderr mrrun --dry-run -m "$TOKENIZE" -r count \
		-o out pages.txt
	[ "${lines[0]}" = "# map task 0 (pages.txt bytes 0-$(wc -c < pages.txt))" ]
	[[ "${lines[1]}" == "(export "*" && "*")" ]]
	[ "${lines[2]}" = "# reduce task 0" ]
	[ "${#lines[@]}" -eq 4 ]
	sh -c "${lines[1]}"
	cmp "$part" kept
	# and the reduce task after it writes the output part
	mkdir .out.mrrun/out
	sh -c "${lines[3]}"
	cmp .out.mrrun/out/part-00000 out/part-00000
}

@test "the whole --dry-run script, run by sh, writes the parts mrrun writes" {
	awk -v n=5000 -f "$BATS_TEST_DIRNAME/../scripts/bench/gensort.awk" > g.txt
	set -- -m cat -r cat --total-order -n 3 --split-size 128K -o out g.txt
	mrrun "$@"
	mrrun --dry-run "$@" | grep -v '^#' > job.sh
	[ "$(grep -c . job.sh)" -gt 8 ]
	run -0 --separate-stderr sh -e job.sh
	for p in part-00000 part-00001 part-00002; do
		cmp ".out.mrrun/out/$p" "out/$p"
	done
}

@test "--dry-run creates nothing" {
	pages
	run -0 --separate-stderr mrrun --dry-run -m "$TOKENIZE" -r count \
		-n 2 --split-size 16K -o out pages.txt
	[ -z "$stderr" ]
	[ "$(printf '%s\n' "$output" | grep -c '^# map task')" -gt 1 ]
	[ "$(printf '%s\n' "$output" | grep -c '^# reduce task')" -eq 2 ]
	[ "$(listing)" = pages.txt ]
	run -0 --separate-stderr mrrun --dry-run -m cat -r count pages.txt
	[ "$(listing)" = pages.txt ]
}

@test "a mapper that fails once succeeds on the retry" {
	seq 100 > in.txt
	run -0 --separate-stderr mrrun --joblog jl -o out \
		-m '[ -e marker ] || { touch marker; echo oops >&2; exit 3; }; cat' \
		-r count in.txt
	[ "$stderr" = "mrrun: map task 0 (in.txt bytes 0-292) failed (mrmap exited with status 1); trying again" ]
	seq 100 | sort | awk '{ print $0 "\t1" }' > want
	cmp out/part-00000 want
	grep -qx "mr${TAB}FAILED_ATTEMPTS${TAB}1" out/_counters
	[ "$(head -n 1 jl)" = "Task${TAB}Host${TAB}Starttime${TAB}JobRuntime${TAB}Exitval${TAB}Send${TAB}Receive${TAB}Command" ]
	[ "$(cut -f1,5 jl | grep -c '^m-00000')" -eq 2 ]
	[ "$(grep '^m-00000' jl | head -n 1 | cut -f5)" -ne 0 ]
	[ "$(grep '^m-00000' jl | tail -n 1 | cut -f5)" -eq 0 ]
	[ "$(grep -c '^r-00000' jl)" -eq 1 ]
	[ "$(wc -l < jl)" -eq 4 ]
	[ ! -e .out.mrrun ]
}

@test "a mapper that always fails fails the job with its stderr and a command to rerun" {
	seq 100 > in.txt
	run -1 --separate-stderr mrrun -o out \
		-m 'echo "mapper says: no good" >&2; exit 3' -r count in.txt
	assert_stderr_prefix "mrrun: map task 0 (in.txt bytes 0-292) failed (mrmap exited with status 1); trying again"
	[[ "$stderr" == *"mrrun: map task 0 (in.txt bytes 0-292) failed 4 times: "* ]]
	[[ "$stderr" == *"mrrun: its stderr ended with:"*"mapper says: no good"* ]]
	[[ "$stderr" == *"mrrun: to run it again by hand:"*"mrsplit --range=0:292 "* ]]
	[[ "$stderr" == *"mrrun: the work directory $(pwd -P)/.out.mrrun is kept for --resume" ]]
	[ ! -e out ]
	[ -d .out.mrrun ]
}

@test "--resume after a kill runs only the map tasks that did not finish" {
	seq 20000 > in.txt
	awk '{ print $1 % 100 }' in.txt | sort | uniq -c |
		awk '{ printf "%s\t%s\n", $2, $1 }' > want
	mapper='[ "$map_input_start" = 0 ] || [ -e go ] || sleep 60; awk "{ print \$1 % 100 }"'
	n=$(map_tasks -m cat -r count --split-size 16K in.txt)
	[ "$n" -gt 3 ]
	mrrun -m "$mapper" -r count --split-size 16K -j 2 -o out \
		--joblog jl1 in.txt > out1 2> err1 3>&- &
	pid=$!
	wait_for grep -qs "^m-00000$TAB" jl1
	kill -TERM "$pid"
	status=0
	wait "$pid" || status=$?
	assert_status 143
	[ "$(grep -c '^m-' jl1)" -eq 1 ]
	# (that a stopped job makes no output directory is the test below's)
	rm -rf out
	touch go
	run -0 --separate-stderr mrrun -m "$mapper" -r count --split-size 16K \
		-j 2 -o out --joblog jl2 --resume in.txt
	[ "$stderr" = "mrrun: resuming: 1 of $n map tasks are done" ]
	[ "$(grep -c '^m-' jl2)" -eq $((n - 1)) ]
	[ "$(grep -c '^m-00000' jl2)" -eq 0 ]
	cmp out/part-00000 want
	# the counters of the reused task count too
	grep -qx "mr${TAB}MAP_INPUT_RECORDS${TAB}20000" out/_counters
	grep -qx "mr${TAB}REDUCE_INPUT_RECORDS${TAB}20000" out/_counters
	[ ! -e .out.mrrun ]
}

@test "a job stopped by SIGTERM commits nothing and leaves no mapper running" {
	seq 20000 > in.txt
	# the test's directory in the mapper's command line names its processes
	mapper=": '$BATS_TEST_TMPDIR/'; "'[ "$map_input_start" = 0 ] || sleep 60; cat'
	# the signal comes as map task 0 ends and the next one starts, and
	# races the end of the phases: try it a number of times
	made=0 left=0 bad=0 lost=0
	for round in $(seq 20); do
		rm -rf out .out.mrrun jl
		mrrun -m "$mapper" -r count --split-size 16K -j 2 -o out \
			--joblog jl in.txt > /dev/null 2> err 3>&- &
		pid=$!
		if ! wait_for grep -qs "^m-00000$TAB" jl; then
			echo "round $round: $(cat err)" >&2
			ps -o pid=,ppid=,stat=,args= -p "$(descendants "$pid" | cut -d' ' -f1 | paste -sd, -)" >&2
			false
		fi
		kill -TERM "$pid"
		status=0
		wait "$pid" || status=$?
		[ "$status" -eq 143 ] || bad=$((bad + 1))
		[ ! -e out ] || made=$((made + 1))
		[ -d .out.mrrun ] || lost=$((lost + 1))
		if pgrep -f "$BATS_TEST_TMPDIR/" > /dev/null; then
			left=$((left + 1))
			teardown
		fi
	done
	echo "of 20 rounds: $bad not 143, $made made out, $lost lost the work directory, $left left a mapper" >&2
	[ "$bad" -eq 0 ] && [ "$made" -eq 0 ] && [ "$lost" -eq 0 ] &&
		[ "$left" -eq 0 ]
}

@test "a job stopped by SIGTERM while its stderr is full commits nothing" {
	seq 20000 > in.txt
	mapper='[ "$map_input_start" = 0 ] || sleep 60; cat'
	# a pipe on stderr that is full (64K, as on Linux) and not read, as
	# under a pager: mrrun's message about the signal waits
	mkfifo errpipe
	exec {errfd}<> errpipe
	timeout 5 head -c 65536 /dev/zero >&"$errfd"
	mrrun -m "$mapper" -r count --split-size 16K -j 2 -o out \
		--joblog jl in.txt > /dev/null 2> errpipe 3>&- {errfd}>&- &
	pid=$!
	wait_for grep -qs "^m-00000$TAB" jl
	kill -TERM "$pid"
	wait_for no_children "$pid"
	# no reader: the message fails with EPIPE and mrrun goes on
	exec {errfd}>&-
	wait_for ended "$pid"
	status=0
	wait "$pid" || status=$?
	assert_status 143
	[ ! -e out ]
	[ -d .out.mrrun ]
}

@test "no descriptor of mrrun's leaks into the tasks" {
	[ -d /proc/self/fd ] || skip "no /proc/self/fd to look at"
	seq 10 > in.txt
	run -0 --separate-stderr mrrun --joblog jl -o out -r NONE \
		-m 'cat > /dev/null; for f in /proc/$$/fd/*; do echo "${f##*/} $(readlink "$f")"; done' \
		in.txt
	if grep -E " $(pwd -P)/(jl|in.txt|out)\$" out/part-00000; then
		false
	fi
}

@test "--resume finds the work directory of a job on standard output" {
	seq 2000 > in.txt
	n=$(map_tasks -m cat -r count --split-size 2K in.txt)
	# the reducer fails until ok exists; the map outputs are kept
	run -1 --separate-stderr mrrun -m cat -r '[ -e ok ] && cat' \
		--retries 0 --split-size 2K in.txt
	[ "$(find . -maxdepth 1 -name 'mrrun-*' | wc -l)" -eq 1 ]
	touch ok
	run -0 --separate-stderr mrrun -m cat -r '[ -e ok ] && cat' \
		--retries 0 --split-size 2K --resume in.txt
	[ "$stderr" = "mrrun: resuming: $n of $n map tasks are done" ]
	[ "$output" = "$(sort in.txt)" ]
	no_work_dirs
}

@test "--resume redoes a map task whose output changed" {
	seq 20000 > in.txt
	n=$(map_tasks -m cat -r count --split-size 16K in.txt)
	# a job that fails in its reduce keeps every map output
	run -1 --separate-stderr mrrun -m cat -r 'exit 1' --retries 0 \
		--split-size 16K -o out --joblog jl1 in.txt
	[ "$(grep -c '^m-' jl1)" -eq "$n" ]
	printf x >> .out.mrrun/map/m-00001/part-00000
	run -1 --separate-stderr mrrun -m cat -r 'exit 1' --retries 0 \
		--split-size 16K -o out --joblog jl2 --resume in.txt
	[ "$(grep '^m-' jl2 | cut -f1)" = m-00001 ]
}

@test "SIGINT kills every task and keeps only the work directory" {
	# splits larger than a pipe holds, so mrsplit waits for the mapper
	seq 300000 > in.txt
	# SIGINT at its default: a job in & ignores it, and mrrun with it
	(trap - INT; exec mrrun -m 'sleep 60; cat' -r count --split-size 1M \
		-j 2 -o out in.txt) > mr.out 2> mr.err 3>&- &
	pid=$!
	wait_for sleeping "$pid" 2
	descendants "$pid" > procs
	grep -q ' mrmap$' procs
	grep -q ' mrsplit$' procs
	kill -INT "$pid"
	status=0
	wait "$pid" || status=$?
	assert_status 130
	# none of the job's processes is left, not even as a zombie (init
	# reaps the orphans that died, in its own time)
	if ! wait_for gone procs; then
		ps -o pid=,ppid=,stat=,args= -p "$(cut -d' ' -f1 procs | paste -sd, -)" >&2
		false
	fi
	run pgrep -f "$BATS_TEST_TMPDIR/"
	assert_status 1
	[ "$(cat mr.err)" = "$(printf '\nmrrun: interrupted; the work directory %s/.out.mrrun is kept for --resume' "$(pwd -P)")" ]
	[ ! -e out ]
	[ -d .out.mrrun ]
	[ "$(listing)" = ".out.mrrun in.txt mr.err mr.out procs" ]
}

@test "-j 1 and -j 4 write the same bytes" {
	pages
	mrrun -m "$TOKENIZE" -r count -c count -n 3 --split-size 4K -j 1 \
		-o one pages.txt
	mrrun -m "$TOKENIZE" -r count -c count -n 3 --split-size 4K -j 4 \
		-o four pages.txt
	for f in part-00000 part-00001 part-00002 _counters; do
		cmp "one/$f" "four/$f"
	done
	mrrun -m "$TOKENIZE" -r count -n 3 --split-size 4K -j 1 pages.txt > s1
	mrrun -m "$TOKENIZE" -r count -n 3 --split-size 4K -j 4 pages.txt > s4
	cmp s1 s4
	cat one/part-* | cmp - s1
}

@test "--tmpdir holds the work directory of a job on stdout, --keep-temp keeps it" {
	seq 10 > in.txt
	mkdir tmp
	run -0 --separate-stderr mrrun -m cat -r count --tmpdir tmp --keep-temp in.txt
	[ "${#lines[@]}" -eq 10 ]
	[[ "$stderr" =~ ^"mrrun: the work directory tmp/mrrun-"[0-9]+-[0-9a-f]{16}" is kept"$ ]]
	work=${stderr#mrrun: the work directory }
	work=${work% is kept}
	[ -f "$work/manifest" ]
	no_work_dirs
	# the same job without --keep-temp works in the same directory, and
	# removes it
	run -0 --separate-stderr mrrun -m cat -r count --tmpdir tmp in.txt
	[ -z "$stderr" ]
	[ -z "$(ls -A tmp)" ]
}

@test "a missing input is an error before any work starts" {
	seq 10 > in.txt
	run -1 --separate-stderr mrrun -m 'touch ran; cat' -r count -o out \
		in.txt nosuch
	[ "$stderr" = "mrrun: nosuch: No such file or directory" ]
	[ ! -e ran ]
	[ ! -e out ]
	[ ! -e .out.mrrun ]
	run -1 --separate-stderr mrrun -m 'touch ran; cat' -r count in.txt nosuch
	[ "$stderr" = "mrrun: nosuch: No such file or directory" ]
	[ ! -e ran ]
	no_work_dirs
}

@test "a FIFO as input is an error before any work starts" {
	mkfifo fifo
	run -1 --separate-stderr timeout -k 1 3 mrrun -m 'touch ran; cat' \
		-r count -o out fifo
	[ "$stderr" = "mrrun: fifo: not a regular file (give a pipe's data as -)" ]
	[ ! -e ran ]
	[ ! -e out ]
	[ ! -e .out.mrrun ]
}

@test "an existing output directory is kept unless --force" {
	seq 10 > in.txt
	mkdir out
	echo old > out/file
	run -1 --separate-stderr mrrun -m cat -r count -o out in.txt
	[ "$stderr" = "mrrun: out: the output directory exists (--force replaces it)" ]
	[ "$(ls -A out)" = file ]
	[ "$(cat out/file)" = old ]
	[ ! -e .out.mrrun ]
	# a job that fails replaces nothing
	run -1 --separate-stderr mrrun -m 'exit 1' -r count --retries 0 \
		-o out --force in.txt
	[ "$(ls -A out)" = file ]
	rm -r .out.mrrun
	run -0 --separate-stderr mrrun -m cat -r count -o out --force in.txt
	[ -z "$stderr" ]
	[ "$(ls -A out | tr '\n' ' ')" = "_SUCCESS _counters part-00000 " ]
	seq 10 | sort | awk '{ print $0 "\t1" }' | cmp - out/part-00000
	[ ! -e .out.mrrun ]
}

@test "a second mrrun on the same output directory fails at once" {
	seq 1000 > in.txt
	mkfifo fifo
	mrrun -m 'touch started; read x < fifo; cat' -r count -o out in.txt \
		> mr.out 2> mr.err 3>&- &
	pid=$!
	wait_for test -e started
	run -1 --separate-stderr timeout 5 mrrun -m cat -r NONE -o out in.txt
	assert_stderr_prefix "mrrun: out: another mrrun (pid $pid) is running this job"
	echo go > fifo
	status=0
	wait "$pid" || status=$?
	assert_status 0
	[ ! -s mr.err ]
	seq 1000 | sort | awk '{ print $0 "\t1" }' | cmp - out/part-00000
	[ ! -e .out.mrrun ]
}

@test "tasks get the Hadoop Streaming environment" {
	seq 1000 > a.txt
	run -0 --separate-stderr mrrun -r NONE --split-size 2K -m 'cat > /dev/null
		echo "$map_input_file $map_input_start $map_input_length $mapreduce_map_input_file $mapreduce_map_input_start $mapreduce_map_input_length"
		echo "$mapreduce_task_ismap $mapreduce_task_id $mapreduce_task_attempt_id $mapreduce_task_partition $mapreduce_job_id"
		echo "$mapred_task_is_map $mapred_tip_id $mapred_task_id $mapred_task_partition $mapred_job_id"' a.txt
	[ "${#lines[@]}" -eq 6 ]
	file=$(pwd -P)/a.txt
	read -r f0 s0 l0 ff0 fs0 fl0 <<< "${lines[0]}"
	read -r f1 s1 l1 ff1 fs1 fl1 <<< "${lines[3]}"
	[ "$f0" = "$file" ] && [ "$f1" = "$file" ]
	[ "$s0" -eq 0 ] && [ "$s1" -eq "$l0" ]
	[ "$((l0 + l1))" -eq "$(wc -c < a.txt)" ]
	[ "$ff0 $fs0 $fl0" = "$f0 $s0 $l0" ]
	[ "$ff1 $fs1 $fl1" = "$f1 $s1 $l1" ]
	read -r ismap task attempt part job <<< "${lines[1]}"
	[[ "$job" =~ ^[0-9a-f]{12}_0001$ ]]
	[ "$ismap $task $attempt $part" = "true task_${job}_m_000000 attempt_${job}_m_000000_0 0" ]
	[ "${lines[2]}" = "true task_${job}_m_000000 attempt_${job}_m_000000_0 0 $job" ]
	[ "${lines[4]}" = "true task_${job}_m_000001 attempt_${job}_m_000001_0 1 $job" ]
	[ "${lines[5]}" = "true task_${job}_m_000001 attempt_${job}_m_000001_0 1 $job" ]
}

@test "reduce tasks get the Hadoop Streaming environment" {
	seq 10 > a.txt
	run -0 --separate-stderr mrrun -m cat -n 2 -r 'cat > /dev/null
		echo "$mapreduce_task_ismap $mapreduce_task_id $mapreduce_task_attempt_id $mapreduce_task_partition $mapred_task_is_map"' a.txt
	[ "${#lines[@]}" -eq 2 ]
	job=$(printf '%s\n' "${lines[0]}" | sed 's/^false task_\(.*\)_r_000000 .*/\1/')
	[[ "$job" =~ ^[0-9a-f]{12}_0001$ ]]
	[ "${lines[0]}" = "false task_${job}_r_000000 attempt_${job}_r_000000_0 0 false" ]
	[ "${lines[1]}" = "false task_${job}_r_000001 attempt_${job}_r_000001_0 1 false" ]
}

@test "a retried task gets the next attempt id" {
	seq 10 > a.txt
	run -0 --separate-stderr mrrun -r NONE -m 'cat > /dev/null
		echo "$mapreduce_task_attempt_id"
		[ -e marker ] || { touch marker; exit 1; }' a.txt
	[[ "$output" =~ ^attempt_[0-9a-f]{12}_0001_m_000000_1$ ]]
}

@test "a directory input is read in name order, without _ and . names" {
	mkdir -p in/sub in/_logs in/.hidden
	echo a > in/a.txt
	echo b > in/sub/b.txt
	echo c > in/z.txt
	echo skipped > in/_SUCCESS
	echo skipped > in/.part.tmp
	echo skipped > in/_logs/x.txt
	echo skipped > in/.hidden/x.txt
	run -0 --separate-stderr mrrun -r NONE \
		-m 'sed "s|^|${map_input_file#$PWD/}: |"' in
	[ "$output" = "$(printf 'in/a.txt: a\nin/sub/b.txt: b\nin/z.txt: c')" ]
}

@test "a .gz input is read through gzip -dc, in one map task" {
	seq 50000 > in.txt
	gzip -c in.txt > in.txt.gz
	run -0 --separate-stderr mrrun -m cat -r NONE --split-size 4K \
		--joblog jl in.txt.gz
	[ "$output" = "$(cat in.txt)" ]
	[ "$(grep -c '^m-' jl)" -eq 1 ]
}

@test "inputs compressed with gzip, bzip2, xz or zstd are known by their first bytes and read whole, each in one map task" {
	seq 50000 > in.txt
	gzip -c in.txt > g
	bzip2 -c in.txt > b
	xz -c in.txt > x
	zstd -q -c in.txt > z
	: | bzip2 -c > empty-bz
	# text that starts as bzip2 does, and a .gz name of plain text
	printf 'BZh9 is no bzip2\n' > fake
	printf 'plain\n' > plain.gz
	run -0 --separate-stderr mrrun -m cat -r NONE --split-size 4K \
		--joblog jl g b x z empty-bz fake plain.gz
	[ -z "$stderr" ]
	[ "$output" = "$(cat in.txt in.txt in.txt in.txt fake plain.gz)" ]
	[ "$(grep -c '^m-' jl)" -eq 7 ]
	for prog in gzip bzip2 xz zstd; do
		[ "$(grep -c "| $prog -dc |" jl)" -ge 1 ] || { echo "$prog"; return 1; }
	done
	# the program of a compressed input missing here: an error before any work
	run -1 --separate-stderr env PATH=/nonexistent "$MR_BUILD/bin/mrrun" \
		-m cat -r NONE -o out in.txt x
	[ "$stderr" = "mrrun: x: compressed with xz, which is not installed here (the package xz-utils)" ]
	[ ! -e out ]
}

@test "- reads standard input, beside files" {
	seq 3 > a.txt
	run -0 --separate-stderr sh -c 'seq 4 6 | mrrun -m cat -r NONE a.txt -'
	[ "$output" = "$(seq 6)" ]
	run -0 --separate-stderr sh -c 'seq 10 | mrrun -m cat -r count --split-size 8b -'
	[ "$output" = "$(seq 10 | sort | awk '{ print $0 "\t1" }')" ]
	no_work_dirs
}

@test "reporter counters of the mapper are summed into _counters" {
	seq 100 > in.txt
	run -0 --separate-stderr mrrun -o out --split-size 100b -r count \
		-m 'awk "{ print \"reporter:counter:my,lines,1\" > \"/dev/stderr\"; print }"' \
		in.txt
	[ -z "$stderr" ]
	[ "$(map_tasks -m cat -r count --split-size 100b in.txt)" -gt 1 ]
	[ "$(cat out/_counters)" = "$(printf 'mr\tMAP_INPUT_RECORDS\t100
mr\tMAP_INPUT_BYTES\t292
mr\tMAP_OUTPUT_RECORDS\t100
mr\tCOMBINE_INPUT_RECORDS\t0
mr\tCOMBINE_OUTPUT_RECORDS\t0
mr\tREDUCE_INPUT_GROUPS\t100
mr\tREDUCE_INPUT_RECORDS\t100
mr\tREDUCE_OUTPUT_RECORDS\t100
mr\tSPILLED_BYTES\t%s
mr\tFAILED_ATTEMPTS\t0
my\tlines\t100' "$(sed -n 's/^mr\tSPILLED_BYTES\t//p' out/_counters)")" ]
}

@test "reporter counters of a reducer command are summed once, over the parts" {
	seq 100 > in.txt
	run -0 --separate-stderr mrrun -o out -n 3 -m cat \
		-r 'awk "{ print \"reporter:counter:red,lines,1\" > \"/dev/stderr\"; print }"' \
		in.txt
	[ -z "$stderr" ]
	grep -qx "mr${TAB}REDUCE_OUTPUT_RECORDS${TAB}100" out/_counters
	[ "$(grep -c "^red${TAB}" out/_counters)" -eq 1 ]
	grep -qx "red${TAB}lines${TAB}100" out/_counters
}

@test "--stats prints the counters on stderr" {
	seq 100 > in.txt
	run -0 --separate-stderr mrrun -o out --stats -r count -c count \
		-m 'awk "{ print \"reporter:counter:my,lines,1\" > \"/dev/stderr\"; print }"' \
		in.txt
	[ "$stderr" = "$(cat out/_counters)" ]
	[[ "$stderr" == *"${TAB}COMBINE_INPUT_RECORDS${TAB}100"* ]]
	[[ "$stderr" == *"my${TAB}lines${TAB}100" ]]
	run -0 --separate-stderr mrrun --stats -r count -m cat in.txt
	[[ "$stderr" == "mr${TAB}MAP_INPUT_RECORDS${TAB}100"* ]]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 100 ]
}

@test "an empty input gives an empty output and a _SUCCESS" {
	: > empty.txt
	run -0 --separate-stderr mrrun -m cat -r count -o out empty.txt
	[ -z "$stderr" ]
	[ "$(ls -A out | tr '\n' ' ')" = "_SUCCESS _counters part-00000 " ]
	[ ! -s out/part-00000 ]
	[ "$(cut -f3 out/_counters | sort -u)" = 0 ]
	run -0 --separate-stderr mrrun -m cat -r count -n 2 empty.txt
	[ -z "$output" ]
	[ -z "$stderr" ]
	no_work_dirs
}

@test "mrrun | head -1 ends quietly and leaves no work directory" {
	seq 300000 > in.txt
	# head leaves while tasks still run and start: try it a few times
	for round in 1 2 3 4 5; do
		run -0 --separate-stderr bash -c \
			'mrrun -m cat -r NONE --split-size 64K in.txt | head -n 1'
		[ "$output" = 1 ]
		[ -z "$stderr" ]
		no_work_dirs
	done
}

@test "no --mapper is a usage error" {
	run -2 --separate-stderr mrrun -r count /dev/null
	assert_stderr_prefix "mrrun: no --mapper given
usage: mrrun "
	[ -z "$output" ]
}

@test "no --reducer is a usage error" {
	run -2 --separate-stderr mrrun -m cat /dev/null
	assert_stderr_prefix "mrrun: no --reducer given (NONE for a map-only job)
usage: mrrun "
}

@test "a bad number of reducers is a usage error" {
	run -2 --separate-stderr mrrun -m cat -r count -n 0 /dev/null
	assert_stderr_prefix "mrrun: bad number of reducers: 0
usage: "
	run -2 --separate-stderr mrrun -m cat -r count -n 3x /dev/null
	assert_stderr_prefix "mrrun: bad number of reducers: 3x
usage: "
}

@test "a bad number of jobs is a usage error" {
	run -2 --separate-stderr mrrun -m cat -r count -j 0 /dev/null
	assert_stderr_prefix "mrrun: bad number of jobs: 0
usage: "
	run -2 --separate-stderr mrrun -m cat -r count --jobs=-2 /dev/null
	assert_stderr_prefix "mrrun: bad number of jobs: -2
usage: "
}

@test "a built-in combiner that is not the reducer's op is a usage error" {
	run -2 --separate-stderr mrrun -m cat -r count -c sum /dev/null
	assert_stderr_prefix "mrrun: --combiner sum needs --reducer sum"
	run -2 --separate-stderr mrrun -m cat -r ./reduce.sh -c count /dev/null
	assert_stderr_prefix "mrrun: --combiner count needs --reducer count"
}

@test "a map-only job with a combiner is a usage error" {
	run -2 --separate-stderr mrrun -m cat -r NONE -c count /dev/null
	assert_stderr_prefix "mrrun: a map-only job (--reducer NONE) takes no --combiner"
	run -2 --separate-stderr mrrun -m cat -r NONE -n 2 /dev/null
	assert_stderr_prefix "mrrun: a map-only job (--reducer NONE) takes no --combiner, --reducers"
}

@test "--progress with --quiet is a usage error" {
	run -2 --separate-stderr mrrun -m cat -r count --progress --quiet /dev/null
	assert_stderr_prefix "mrrun: --progress and --quiet exclude each other
usage: "
}

@test "a bad --split-size or --retries is a usage error" {
	run -2 --separate-stderr mrrun -m cat -r count --split-size 4Q /dev/null
	assert_stderr_prefix "mrrun: bad split size: 4Q"
	run -2 --separate-stderr mrrun -m cat -r count --retries -1 /dev/null
	assert_stderr_prefix "mrrun: bad number of retries: -1"
}

@test "--dry-run of standard input is a usage error" {
	run -2 --separate-stderr mrrun --dry-run -m cat -r count -
	assert_stderr_prefix "mrrun: --dry-run cannot read standard input"
}

@test "an unknown option is a usage error" {
	run -2 --separate-stderr mrrun -m cat -r count --no-such-option /dev/null
	assert_stderr_prefix "mrrun: "
	[[ "$stderr" == *"usage: mrrun -m CMD|NONE -r OP|CMD|identity|NONE"* ]]
}

@test "--help prints the usage on stdout" {
	run -0 --separate-stderr mrrun --help
	[[ "$output" == "usage: mrrun -m CMD|NONE -r OP|CMD|identity|NONE "* ]]
	[ -z "$stderr" ]
}

@test "a --file script runs as ./NAME in a local job started elsewhere" {
	mkdir scripts job
	printf '#!/bin/sh\ntr a-z A-Z\n' > scripts/up.sh
	chmod +x scripts/up.sh
	printf 'foo\nbar\nfoo\n' > job/in.txt
	cd job
	run -0 --separate-stderr mrrun -m ./up.sh --file ../scripts/up.sh \
		-r count in.txt
	[ "$output" = "$(printf 'BAR\t1\nFOO\t2')" ]
	[ -z "$stderr" ]
	# without --file, ./up.sh is not in the current directory
	run -1 --separate-stderr mrrun -m ./up.sh -r count --retries 0 in.txt
	assert_stderr_prefix "mrrun: map task 0 (in.txt bytes 0-12) failed"
}

@test "a local job leaves no copy of a --file file behind" {
	printf '#!/bin/sh\nexec cat\n' > m.sh
	chmod +x m.sh
	printf 'a\nb\n' > in.txt
	mkdir run
	cd run
	run -0 --separate-stderr mrrun -m ./m.sh --file ../m.sh -r count \
		-o out --tmpdir . ../in.txt
	[ -z "$stderr" ]
	[ "$(cat out/part-00000)" = "$(printf 'a\t1\nb\t1')" ]
	[ "$(ls -A)" = out ]
	[ "$(ls -A out)" = "$(printf '_SUCCESS\n_counters\npart-00000')" ]
	[ -z "$(find "$BATS_TEST_TMPDIR" -name m.sh ! -path "$BATS_TEST_TMPDIR/m.sh")" ]
}

# progress_shows PID ERE: waits until the file err holds a line that
# matches ERE, while the job PID runs (30 s at most).
progress_shows() {
	local i
	for i in $(seq 600); do
		if grep -qE "$2" err; then
			return 0
		fi
		if ! kill -0 "$1" 2> /dev/null; then
			echo "the job ended first; its stderr:" >&2
			cat err >&2
			return 1
		fi
		sleep 0.05
	done
	echo "no line of err matches $2:" >&2
	cat err >&2
	return 1
}

@test "--progress shows the bytes of a map task's split as it reads them" {
	seq 1 200000 > in.txt
	mkfifo go
	# the mapper waits for go: the split is read as far as the pipes hold
	mrrun --progress -m "read x < '$BATS_TEST_TMPDIR/go'; exec cat" \
		-r NONE in.txt > out 2> err &
	job=$!
	progress_shows "$job" '^mrrun: map 0/1 tasks, ([1-9]|0\.[1-9])[0-9.]* of 1\.3 MB'
	echo > go
	wait "$job"
	cmp out in.txt
}

@test "--progress shows the bytes that the reduce phase reads" {
	seq 1 60000 > in.txt
	mkfifo go
	mrrun --progress -m cat -n 1 \
		-r "read x < '$BATS_TEST_TMPDIR/go'; exec cat" in.txt > out 2> err &
	job=$!
	progress_shows "$job" '^mrrun: reduce 0/1 tasks, 0\.0 of 0\.[1-9][0-9]* MB'
	echo > go
	wait "$job"
	LC_ALL=C sort in.txt | cmp out -
}

@test "a misspelt op as the reducer is a usage error before any work" {
	printf 'a\n' > in.txt
	run -2 --separate-stderr mrrun -m cat -r stdev -o out in.txt
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "mrrun: --reducer stdev: neither a built-in op nor a command on PATH" ]
	[[ "${stderr_lines[1]}" == "mrrun: the ops are count, sum, "* ]]
	[[ "${stderr_lines[2]}" == "usage: mrrun "* ]]
	[ ! -e out ]
	[ ! -e .out.mrrun ]
	run -2 --separate-stderr mrrun -m cat -r Count in.txt
	assert_stderr_prefix "mrrun: --reducer Count: neither a built-in op"
}

@test "a misspelt op as the combiner is a usage error before any work" {
	printf 'a\n' > in.txt
	run -2 --separate-stderr mrrun -m cat -r count -c stdev -o out in.txt
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "mrrun: --combiner stdev: neither a built-in op nor a command on PATH" ]
	[[ "${stderr_lines[1]}" == "mrrun: the ops are count, sum, "* ]]
	[ ! -e out ]
	[ ! -e .out.mrrun ]
}

@test "a reducer that is a command still runs, and NONE is map-only" {
	printf 'b\na\nb\n' > in.txt
	mkdir bin
	printf '#!/bin/sh\nsed "s/^/x/"\n' > bin/stdev
	chmod +x bin/stdev
	run -0 --separate-stderr env PATH="$PWD/bin:$PATH" \
		mrrun -m cat -r stdev --tmpdir . in.txt
	[ "$output" = "$(printf 'xa\nxb\nxb')" ]
	[ -z "$stderr" ]
	run -0 --separate-stderr mrrun -m cat -r 'tr ab AB' -c cat --tmpdir . in.txt
	[ "$output" = "$(printf 'A\nB\nB')" ]
	run -0 --separate-stderr mrrun -m cat -r NONE --tmpdir . in.txt
	[ "$output" = "$(printf 'b\na\nb')" ]
	run -0 --separate-stderr mrrun -m cat -r count -c count --tmpdir . in.txt
	[ "$output" = "$(printf 'a\t1\nb\t2')" ]
}

@test "more reducers than mrpartition allows is a usage error" {
	printf 'a\n' > in.txt
	run -2 --separate-stderr mrrun -m cat -r count -n 65537 -o out in.txt
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "mrrun: too many reducers: 65537 (at most 65536, one partition file each)" ]
	[[ "${stderr_lines[1]}" == "usage: mrrun "* ]]
	run -2 --separate-stderr mrrun -m cat -r count -n 70000 in.txt
	assert_stderr_prefix "mrrun: too many reducers: 70000"
	[ ! -e out ]
	run -0 --separate-stderr mrrun --dry-run -m cat -r count -n 65536 in.txt
	[[ "$output" == *"# reduce task 65535"* ]]
}

@test "a failed task of a job with very many reducers fails at once, briefly" {
	printf 'a\n' > in.txt
	# its shell line sorts 65536 partitions: megabytes, not shown
	run -1 --separate-stderr timeout 60 mrrun -m false -r count -n 65536 \
		--retries 0 --tmpdir . in.txt
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "mrrun: map task 0 (in.txt bytes 0-2) failed: mrmap exited with status 1" ] ||
		[[ "${stderr_lines[0]}" == "mrrun: map task 0 (in.txt bytes 0-2) failed: mrpartition exited"* ]]
	[[ "$stderr" == *"
mrrun: its shell line, "*" bytes, is too long to show; --dry-run prints it
mrrun: the work directory ./mrrun-"*" is kept for --resume" ]]
	[ "${#stderr}" -lt 4000 ]
}

@test "no path that mrrun shows has //, however --tmpdir and inputs end" {
	mkdir -p d/sub td
	printf 'a b\n' > d/x.txt
	printf 'c\n' > d/sub/y.txt
	run -0 --separate-stderr mrrun --dry-run -m cat -r count \
		--tmpdir "$PWD/td/" d/
	[ -z "$stderr" ]
	[ "${lines[0]}" = "# map task 0 (d/sub/y.txt bytes 0-2)" ]
	[[ "$output" == *" mkdir -p $PWD/td/mrrun-"* ]]
	[[ "$output" == *"map_input_file=$PWD/d/x.txt "* ]]
	[[ "$output" != *//* ]]
	run -1 --separate-stderr mrrun -m false -r count --retries 0 \
		--tmpdir td/ d/
	[[ "$stderr" == *"mrrun: the work directory td/mrrun-"*" is kept for --resume" ]]
	[[ "$stderr" != *//* ]]
	mkfifo d/sub/fifo
	run -1 --separate-stderr mrrun -m cat -r count --tmpdir td d/
	[ "$stderr" = "mrrun: d/sub/fifo: not a regular file (give a pipe's data as -)" ]
}

# hostile_inputs DIR: small inputs in DIR whose names hold a newline
# followed by a command, quotes, $(...), backticks, spaces, a tab, a
# backslash, a leading - and a byte that is not ASCII; running any of
# them as shell text creates a file named pwned*.
hostile_inputs() {
	local i=0 name
	mkdir "$1"
	for name in $'in\ntouch pwned #' $'x\n\ntouch pwned1;#' \
	    "\$(touch pwned2)" "\`touch pwned3\`" "a 'b' \"c\"; touch pwned4" \
	    "-n" "--x=y" $'tab\there' 'back\slash' $'\xff\x01' \
	    $'#\ntouch pwned5'; do
		i=$((i + 1))
		seq "$i" $((i * 40)) | sed "s/^/w$i /" > "$1/$name"
	done
}

@test "a --dry-run plan of inputs with hostile names runs nothing of them in sh, and writes the job's output" {
	hostile_inputs in
	set -- -m "tr ' ' '\\n'" -r count -n 2 -o out in
	mrrun "$@"
	run -0 --separate-stderr mrrun --dry-run "$@"
	[ -z "$stderr" ]
	# a comment per task, each one line
	[ "$(printf '%s\n' "$output" | grep -c '^# map task ')" -eq 11 ]
	[ "$(printf '%s\n' "$output" | grep -c '^# reduce task ')" -eq 2 ]
	[[ "$output" == *'# map task '[0-9]*' (in/in\ntouch pwned # bytes 0-'* ]]
	[[ "$output" == *'# map task '[0-9]*' (in/\xff\x01 bytes 0-'* ]]
	[[ "$output" == *'# map task '[0-9]*' (in/tab\there bytes 0-'* ]]
	[[ "$output" == *'# map task '[0-9]*' (in/back\\slash bytes 0-'* ]]
	# the whole plan, comments and all, as a user pastes it
	printf '%s\n' "$output" > plan
	run -0 --separate-stderr sh plan
	[ -z "$stderr" ]
	[ -z "$(ls | grep pwned)" ]
	cmp .out.mrrun/out/part-00000 out/part-00000
	cmp .out.mrrun/out/part-00001 out/part-00001
}

@test "mrrun --dry-run | sh of an input named with a newline and a command does not run that command" {
	printf 'a b\na\n' > $'in\ntouch pwned #'
	mrrun -m "tr ' ' '\\n'" -r count -o out -- in*
	mrrun --dry-run -m "tr ' ' '\\n'" -r count -o out -- in* | sh
	[ ! -e pwned ]
	printf 'a\t2\nb\t1\n' | cmp - .out.mrrun/out/part-00000
	cmp .out.mrrun/out/part-00000 out/part-00000
}

@test "a task's failure names its input on one line, with the newline in its name escaped" {
	printf 'a\n' > $'in\ntouch pwned #'
	run -1 --separate-stderr mrrun --retries 0 -m false -r count -o out -- in*
	[[ "$stderr" == "mrrun: map task 0 (in\\ntouch pwned # bytes 0-2) failed: mrmap exited with status 1"$'\n'* ]]
	[ ! -e out ]
}

# The issue 14 integrity holes in mrrun's output, signals, --file and -o.

@test "a failed --framed job on stdout leaves a stream that no reader takes" {
	seq 1000 > in
	# partition 1 fails once part 0 is on stdout: a prefix of parts
	cat > red.sh <<-'SH'
	#!/bin/sh
	[ "$mapreduce_task_partition" = 1 ] || exec cat
	i=0
	while [ "$(wc -c < out.mr)" -lt 100 ] && [ "$i" -lt 600 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	exit 3
	SH
	chmod +x red.sh
	status=0
	mrrun --quiet --retries 0 --framed -j 2 -n 2 -m cat -r ./red.sh \
		in > out.mr 2> err || status=$?
	[ "$status" -eq 1 ]
	[ "$(wc -c < out.mr)" -ge 100 ]
	run -1 --separate-stderr mrmerge --text out.mr
	[[ "$stderr" == "mrmerge: out.mr: missing trailer at byte "*" (truncated stream)" ]]
	run -1 --separate-stderr mrsplit -n 2 -o s%d out.mr
	[[ "$stderr" == *"missing trailer"* ]]
}

@test "a --framed job on stdout writes its parts as one stream" {
	seq 5000 > in
	run -0 --separate-stderr sh -c 'mrrun --quiet --framed -n 3 \
		--split-size 4k -m cat -r cat in > out.mr'
	[ -z "$stderr" ]
	mrrun --quiet --framed -n 3 --split-size 4k -m cat -r cat -o o in
	# the same records in the same order as the parts of -o
	for p in o/part-*; do mrmap --text cat "$p"; done > want
	mrmap --text cat out.mr | cmp - want
	mrmap --text cat out.mr | sort -n | cmp - in
	# one header and one trailer: the parts' own are left out
	frame /dev/null empty.mr
	parts=$(cat o/part-* | wc -c)
	[ "$(wc -c < out.mr)" -eq $((parts - 2 * $(wc -c < empty.mr))) ]
	# its blocks numbered for the one stream, as a reader in ranges checks
	run -0 --separate-stderr mrsplit -n 4 -o s%d out.mr
	[ -z "$stderr" ]
	cat s0 s1 s2 s3 | mrmap --text cat | cmp - want
}

@test "an empty --framed job on stdout writes one empty stream" {
	: > empty
	frame /dev/null want.mr
	run -0 --separate-stderr sh -c 'mrrun --quiet --framed -n 3 -m cat \
		-r cat empty > out.mr'
	[ -z "$stderr" ]
	cmp out.mr want.mr
	run -0 --separate-stderr sh -c 'mrrun --quiet --framed -m cat \
		-r NONE empty > none.mr'
	cmp none.mr want.mr
	run -0 --separate-stderr mrmerge --text none.mr
	[ "$output" = "" ]
}

# ignored_signal SIG: mrrun started with SIG ignored, as by nohup or a
# shell's background job, gets SIG while its mapper runs, and ignores it;
# its tasks get SIG at its default.
ignored_signal() {
	seq 100 > in
	mkfifo go
	# the mapper waits for the test, holding go open so no write blocks
	cat > map.sh <<-SH
	#!/bin/sh
	exec 3<> "$PWD/go"
	grep '^SigIgn:' /proc/self/status > "$PWD/sigign"
	touch "$PWD/started"
	read x <&3
	exec cat
	SH
	chmod +x map.sh
	(trap '' "$1"; exec mrrun --quiet -m ./map.sh -r count -o out in) \
		> mr.out 2> mr.err &
	JOB=$!
	wait_for test -e started
	kill -s "$1" "$JOB"
	exec 4<> go
	echo go >&4
	exec 4>&-
	status=0
	wait "$JOB" || status=$?
	JOB=
	cat mr.err >&2
	[ "$status" -eq 0 ]
	[ ! -s mr.err ]
	[ -e out/_SUCCESS ]
	[ "$(wc -l < out/part-00000)" -eq 100 ]
	# the mapper's SigIgn mask holds neither SIGINT (2) nor SIGHUP (1)
	[ $((0x$(cut -f 2 sigign) & 3)) -eq 0 ]
}

@test "mrrun ignores SIGHUP that was ignored when it started (nohup)" {
	ignored_signal HUP
}

@test "mrrun ignores SIGINT that was ignored when it started (a job in &)" {
	ignored_signal INT
}

@test "two --file arguments with one base name are a usage error" {
	seq 10 > in
	mkdir a b
	printf '#!/bin/sh\nexec cat\n' > a/m.sh
	printf '#!/bin/sh\nexec tac\n' > b/m.sh
	chmod +x a/m.sh b/m.sh
	run -2 --separate-stderr mrrun -m ./m.sh -r count --file a/m.sh \
		--file b/m.sh -o out in
	[ "${stderr_lines[0]}" = "mrrun: --file b/m.sh: the tasks would find it and --file a/m.sh under one name, m.sh" ]
	[ "${stderr_lines[1]}" = "usage: mrrun -m CMD|NONE -r OP|CMD|identity|NONE [-c OP|CMD] [-j N]" ]
	[ ! -e out ]
	[ ! -e .out.mrrun ]
}

@test "the tasks of a job with --file get a relative TMPDIR made absolute" {
	seq 10 > in
	mkdir reltmp
	cat > map.sh <<-SH
	#!/bin/sh
	printf '%s\n' "\$TMPDIR" > "$PWD/seen"
	t=\$(mktemp) || exit 1
	cat > "\$t" && cat "\$t" && rm "\$t"
	SH
	chmod +x map.sh
	TMPDIR=reltmp run -0 --separate-stderr mrrun --quiet -m ./map.sh \
		--file map.sh -r count -o out in
	[ -z "$stderr" ]
	[ "$(cat seen)" = "$PWD/reltmp" ]
	seq 10 | sort | awk '{ print $0 "\t1" }' | cmp - out/part-00000
}

@test "--resume runs the map tasks again after a --file script changed" {
	seq 10 > in
	printf '#!/bin/sh\nexec cat\n' > map.sh
	chmod +x map.sh
	touch fail
	cat > red.sh <<-SH
	#!/bin/sh
	[ ! -e "$PWD/fail" ] || exit 3
	exec cat
	SH
	chmod +x red.sh
	run -1 --separate-stderr mrrun --quiet --retries 0 -m ./map.sh \
		--file map.sh -r ./red.sh --file red.sh -o out in
	[ -d .out.mrrun ]
	rm fail
	printf '#!/bin/sh\nsed s/^/x/\n' > map.sh
	run -0 --separate-stderr mrrun --quiet --resume -m ./map.sh \
		--file map.sh -r ./red.sh --file red.sh -o out in
	[ "$stderr" = "mrrun: nothing to resume in $PWD/.out.mrrun: starting the job over" ]
	seq 10 | sed s/^/x/ | sort | cmp - out/part-00000
}

@test "-o --force never replaces a file that is not a directory" {
	seq 10 > data
	echo mine > notes.txt
	run -1 --separate-stderr mrrun --quiet -o notes.txt --force -m cat \
		-r count data
	[ "$stderr" = "mrrun: notes.txt: exists and is not a directory (--force replaces only an output directory)" ]
	[ "$(cat notes.txt)" = mine ]
	[ ! -e .notes.txt.mrrun ]
	run -1 --separate-stderr mrrun --quiet -o notes.txt -m cat -r count \
		data
	[ "$stderr" = "mrrun: notes.txt: exists and is not a directory (--force replaces only an output directory)" ]
	ln -s data link
	run -1 --separate-stderr mrrun --quiet -o link --force -m cat \
		-r count notes.txt
	[ "$stderr" = "mrrun: link: exists and is not a directory (--force replaces only an output directory)" ]
	[ -L link ]
}

@test "-o naming an input, or a directory that holds one, is a usage error" {
	seq 10 > in
	mkdir -p d/e
	seq 5 > d/e/f
	run -2 --separate-stderr mrrun --quiet -o in --force -m cat -r count in
	[ "${stderr_lines[0]}" = "mrrun: -o in: the output would replace the input in" ]
	[ "$(cat in)" = "$(seq 10)" ]
	run -2 --separate-stderr mrrun --quiet -o d --force -m cat -r count \
		in d/e/f
	[ "${stderr_lines[0]}" = "mrrun: -o d: the output would replace the input d/e/f" ]
	run -2 --separate-stderr mrrun --quiet -o "$PWD/d/" --force -m cat \
		-r count d/e
	[ "${stderr_lines[0]}" = "mrrun: -o $PWD/d/: the output would replace the input d/e" ]
	[ "$(cat d/e/f)" = "$(seq 5)" ]
	[ ! -e .d.mrrun ]
	# a directory of no input is replaced
	run -0 --separate-stderr mrrun --quiet -o d --force -m cat -r count in
	[ -e d/_SUCCESS ]
}

@test "-o in an input directory is a usage error: the job would read the old output, then remove it" {
	mkdir data
	seq 10 > data/in
	run -0 mrrun --quiet -o data/out -m cat -r count data
	cp data/out/part-00000 want
	for force in "" --force; do
		run -2 --separate-stderr mrrun --quiet -o data/out $force -m cat -r count data
		[ "${stderr_lines[0]}" = "mrrun: -o data/out: the input directory data holds the output, which the job would read and replace" ]
	done
	cmp want data/out/part-00000
	[ "$(cat data/in)" = "$(seq 10)" ]
}

@test "-o that is empty, or ends in . or .., is a usage error before any work" {
	seq 10 > in
	mkdir o2
	run -2 --separate-stderr mrrun -o '' -m cat -r count in
	[ "${stderr_lines[0]}" = "mrrun: -o '': an empty name" ]
	for o in . .. o2/. o2/.. ./ o2/./; do
		run -2 --separate-stderr mrrun -o "$o" --force -m cat -r count in
		[ "${stderr_lines[0]}" = "mrrun: -o $o: name the output directory itself, not . or .." ]
	done
	[ -z "$(ls -A o2)" ]
	[ "$(ls -A | grep -v '^separate-stderr')" = "$(printf 'in\no2')" ]
	[ -z "$(ls -A .. | grep '\.mrrun$')" ]
}

# FIRST_WAITS: a mapper whose first map task (map task 0, when there is no
# file ok here) reads all its split, says so in ./started and waits
# for a line on ./go before it writes the split out; the other tasks are
# cat.  With -j 1 the tasks after the first start when it has ended.
FIRST_WAITS='if [ "$mapreduce_task_partition" = 0 ] && [ ! -e ok ]; then cat > first; : > started; read -r x < go; exec cat first; fi; exec cat'

# first_waits CHANGE ARGS...: runs mrrun ARGS in the background with
# FIRST_WAITS (or $MAPPER) as its mapper, runs the shell text CHANGE while its first
# task waits, and sets status to mrrun's exit status, its stderr in mr.err.
first_waits() {
	local change=$1 job
	shift
	mkfifo go
	mrrun -m "${MAPPER:-$FIRST_WAITS}" "$@" > mr.out 2> mr.err &
	job=$!
	JOB=$job wait_for test -e started
	eval "$change"
	echo > go
	status=0
	wait "$job" || status=$?
}

@test "an input replaced while the job runs fails the job, naming the file" {
	seq 1 40000 > in.txt
	seq 1 50000 > other.txt
	[ "$(map_tasks -m cat -r NONE --split-size 64K in.txt)" -eq 4 ]
	first_waits 'cp other.txt in.txt' -j 1 --split-size 64K -r NONE \
		-o out in.txt
	assert_status 1
	[[ "$(cat mr.err)" == *"mrrun: map task 1 (in.txt bytes "*") failed 4 times: mrsplit exited with status 1
mrrun: its stderr ended with:
    mrsplit: $(pwd -P)/in.txt: changed while the job ran (size 288894, was 228894)
mrrun: to run it again by hand:"* ]]
	[ ! -e out ]
}

@test "an input truncated while the job runs fails the job, naming the file" {
	seq 1 40000 > in.txt
	first_waits 'truncate -s 100000 in.txt' -j 1 --retries 0 \
		--split-size 64K -r count -o out in.txt
	assert_status 1
	[[ "$(cat mr.err)" == "mrrun: map task 1 (in.txt bytes "*") failed: mrsplit exited with status 1
mrrun: its stderr ended with:
    mrsplit: $(pwd -P)/in.txt: changed while the job ran (size 100000, was 228894)
mrrun: to run it again by hand:"* ]]
	[ ! -e out ]
}

@test "an input moved over by a file of the same size and time fails the job" {
	seq 1 40000 > in.txt
	touch -d @1000000000 in.txt
	# the same size, other bytes
	seq 1 40000 | tr 0-9 a-j > other.txt
	touch -d @1000000000 other.txt
	first_waits 'mv other.txt in.txt' -j 1 --retries 0 --split-size 64K \
		-r NONE -o out in.txt
	assert_status 1
	[[ "$(cat mr.err)" == *"mrsplit: $(pwd -P)/in.txt: changed while the job ran (another file: device "* ]]
	[ ! -e out ]
}

@test "a .gz input changed while the job runs fails the job" {
	seq 1 40000 > a.txt
	seq 1 1000 | gzip -c > b.txt.gz
	seq 1 2000 | gzip -c > other.gz
	first_waits 'cp other.gz b.txt.gz' -j 1 --retries 0 --split-size 64K \
		-r NONE -o out a.txt b.txt.gz
	assert_status 1
	[[ "$(cat mr.err)" == "mrrun: map task 4 (b.txt.gz) failed: mrsplit exited with status 1
mrrun: its stderr ended with:
    mrsplit: $(pwd -P)/b.txt.gz: changed while the job ran (size $(wc -c < other.gz), was "* ]]
	[ ! -e out ]
}

@test "--dry-run shows the stamp that each task checks" {
	seq 100 > in.txt
	seq 50 | gzip -c > in.gz
	stamp=$(stat -c '%s:%.9Y:%d:%i' in.txt)
	gzstamp=$(stat -c '%s:%.9Y:%d:%i' in.gz)
	run -0 --separate-stderr mrrun --dry-run -m cat -r NONE -o out \
		--split-size 200b in.txt in.gz
	[[ "${lines[1]}" == *" && mrsplit --range=0:146 --expect=$stamp $(pwd -P)/in.txt | mrmap "* ]]
	[[ "${lines[3]}" == *" && mrsplit --range=146:292 --expect=$stamp $(pwd -P)/in.txt | mrmap "* ]]
	[[ "${lines[5]}" == *" && mrsplit --range=0:$(wc -c < in.gz) --expect=$gzstamp --allow-magic $(pwd -P)/in.gz | gzip -dc | mrmap "* ]]
	[ "${#lines[@]}" -eq 6 ]
	# the plan, run by sh, still reads the files as they are
	mkdir -p .out.mrrun/out
	printf '%s\n' "$output" | grep -v '^#' | sh
	cat .out.mrrun/out/part-* | cmp - <(seq 100; seq 50)
	# and refuses them changed (sh alone would give the status of mrmap)
	touch -d @1000000000 in.gz
	run -1 --separate-stderr bash -o pipefail -c "${lines[5]}"
	assert_stderr_prefix "mrsplit: $(pwd -P)/in.gz: changed while the job ran (modified at 1000000000.000000000, was "
}

@test "--resume never reuses a map output of an input that changed and changed back" {
	seq 1 4000 > in.txt
	touch -d @1000000000 in.txt
	cp -p in.txt saved
	# the same size, other bytes
	seq 1 4000 | tr 0-9 a-j > other.txt
	n=$(map_tasks -m cat -r count --split-size 4K in.txt)
	[ "$n" -gt 2 ]
	# the reducer fails until ok exists: the map outputs are kept
	first_waits 'cp other.txt in.txt' -j 1 --retries 0 --split-size 4K \
		-r '[ -e ok ] && cat' -o out in.txt
	assert_status 1
	# the file is back as it was planned, its time included
	cp saved in.txt
	touch -r saved in.txt
	[ "$(stat -c %s:%.9Y in.txt)" = "$(stat -c %s:%.9Y saved)" ]
	touch ok
	run -0 --separate-stderr mrrun -m "$FIRST_WAITS" -j 1 --retries 0 \
		--split-size 4K -r '[ -e ok ] && cat' -o out --resume in.txt
	[ "$stderr" = "mrrun: resuming: 1 of $n map tasks are done" ]
	sort in.txt | cmp - out/part-00000
}

@test "--resume of a job whose input has changed starts it over" {
	seq 1 4000 > in.txt
	run -1 --separate-stderr mrrun -m cat -r '[ -e ok ] && cat' \
		--retries 0 --split-size 4K -o out in.txt
	echo 4001 >> in.txt
	touch ok
	run -0 --separate-stderr mrrun -m cat -r '[ -e ok ] && cat' \
		--retries 0 --split-size 4K -o out --resume in.txt
	[ "$stderr" = "mrrun: nothing to resume in $(pwd -P)/.out.mrrun: starting the job over" ]
	seq 1 4001 | sort | cmp - out/part-00000
}

# on_a_host CHANGE INPUT...: runs a map-only job of the inputs on one host
# of one slot, on this machine (a launcher that runs the command itself),
# with a first map task that waits as FIRST_WAITS's does, while the shell
# text CHANGE runs.  Sets status to mrrun's, its stderr in mr.err.
on_a_host() {
	local change=$1 t=$BATS_TEST_TMPDIR
	shift
	printf '#!/bin/sh\nshift\nexec sh -c "$1"\n' > here.sh
	chmod +x here.sh
	printf 'a 1\n' > hosts
	mkdir -p remote
	MAPPER="if [ \"\$mapreduce_task_partition\" = 0 ]; then cat > '$t/first'; : > '$t/started'; read -r x < '$t/go'; exec cat '$t/first'; fi; exec cat" \
		first_waits "$change" --rsh "$PWD/here.sh" --hosts hosts \
		--remote-path "$MR_BUILD/bin" --remote-dir "$PWD/remote" \
		--retries 0 --split-size 64K -r NONE -o out "$@"
}

@test "a local input that changed fails the job on hosts as it is sent" {
	seq 1 1000 > a.txt
	seq 1 2000 > b.txt
	# a whole file, sent as it is
	on_a_host 'echo 2001 >> b.txt' a.txt b.txt
	assert_status 1
	[[ "$(cat mr.err)" == "mrrun: map task 1 (b.txt bytes 0-8893) failed: b.txt: changed while the job ran (size 8898, was 8893)
mrrun: to run it again by hand:"* ]]
	[ ! -e out ]
	# a range of a file, cut by mrsplit here
	rm -f go started
	seq 1 40000 > c.txt
	on_a_host 'echo 40001 >> c.txt' a.txt c.txt
	assert_status 1
	[[ "$(cat mr.err)" == "mrsplit: $(pwd -P)/c.txt: changed while the job ran (size 228900, was 228894)
mrrun: map task 1 (c.txt bytes 0-57224) failed: mrsplit --range=0:57224 failed
mrrun: to run it again by hand:"* ]]
	[ ! -e out ]
}

# started N: N mappers have said that they wait, each with a file
# START.started.
started() {
	[ "$(find . -maxdepth 1 -name '*.started' | wc -l)" -eq "$1" ]
}

# no_task_left: no process names the test's directory.
no_task_left() {
	! pgrep -f "$BATS_TEST_TMPDIR/" > /dev/null
}

@test "after kill -9 of mrrun its tasks end on their own, a mapper that ignores SIGTERM too" {
	seq 20000 > in.txt
	mkfifo fifo
	# the test's directory in the mapper names every process of the job
	mapper="trap '' TERM; touch \"$BATS_TEST_TMPDIR/\$map_input_start.started\"; read x < '$BATS_TEST_TMPDIR/fifo'; cat"
	mrrun -m "$mapper" -r count --split-size 16K -j 2 -o out in.txt \
		> mr.out 2> mr.err 3>&- &
	pid=$!
	wait_for started 2
	descendants "$pid" > procs
	[ "$(grep -c ' mrmap$' procs)" -eq 2 ]
	kill -KILL "$pid"
	status=0
	wait "$pid" || status=$?
	assert_status 137
	if ! wait_for no_task_left; then
		pgrep -af "$BATS_TEST_TMPDIR/" >&2
		false
	fi
	[ ! -s mr.out ]
	[ ! -s mr.err ]
	[ ! -e out ]
	[ -d .out.mrrun ]
}

# resume_job JOBLOG: the job of killed_job, started again with --resume,
# its joblog in JOBLOG.
resume_job() {
	mrrun -m "$mapper" -r count --split-size 16K -j 2 -o out \
		--joblog "$1" --resume in.txt
}

# killed_job: starts the job of the tests below, in the background ($pid),
# and waits until map task 0 has committed and two others wait for the
# fifo.  Until go exists, the mapper of every map task but 0 waits for
# the fifo; once it does, each mapper lists the processes that run, in
# START.ps, before it maps.
killed_job() {
	seq 20000 > in.txt
	awk '{ print $1 % 100 }' in.txt | sort | uniq -c |
		awk '{ printf "%s\t%s\n", $2, $1 }' > want
	n=$(map_tasks -m cat -r count --split-size 16K in.txt)
	mkfifo fifo
	mapper="if [ -e '$BATS_TEST_TMPDIR/go' ]; then ps -eo pid=,stat= > \"$BATS_TEST_TMPDIR/\$map_input_start.ps\"; elif [ \"\$map_input_start\" != 0 ]; then touch \"$BATS_TEST_TMPDIR/\$map_input_start.started\"; read x < '$BATS_TEST_TMPDIR/fifo'; fi; awk '{ print \$1 % 100 }'"
	mrrun -m "$mapper" -r count --split-size 16K -j 2 -o out \
		--joblog jl1 in.txt > mr.out 2> mr.err 3>&- &
	pid=$!
	wait_for grep -qs "^m-00000$TAB" jl1
	wait_for started 2
	descendants "$pid" > procs
	[ "$(grep -c ' mrmap$' procs)" -eq 2 ]
}

# none_alive_then: no process of procs was alive, but as a zombie, when
# a mapper of the job that resumed listed the processes; each one of its
# n - 1 map tasks did.
none_alive_then() {
	[ "$(find . -maxdepth 1 -name '*.ps' | wc -l)" -eq $((n - 1)) ]
	cut -d' ' -f1 procs | sort > old
	cat ./*.ps | awk '$2 !~ /^Z/ { print $1 }' | sort -u > alive
	if [ -n "$(comm -12 old alive)" ]; then
		echo "alive: $(comm -12 old alive | paste -sd' ' -)" >&2
		return 1
	fi
}

@test "--resume right after kill -9 of mrrun starts once no task of the killed run is alive" {
	killed_job
	kill -KILL "$pid"
	wait "$pid" || true
	touch go
	run -0 --separate-stderr resume_job jl2
	# whether it had to wait is a race with the killed run's tasks
	err=$(printf '%s\n' "$stderr" | sed 's/(pid [0-9]*/(pid N/')
	resumed="mrrun: resuming: 1 of $n map tasks are done"
	[ "$err" = "$resumed" ] || [ "$err" = "mrrun: out: waiting for the tasks of an earlier run to end (pid N is one)
$resumed" ]
	[ -z "$output" ]
	cmp out/part-00000 want
	[ "$(grep -c '^m-' jl2)" -eq $((n - 1)) ]
	none_alive_then
	[ ! -e .out.mrrun ]
}

# lifeline PID: the descriptor of mrrun PID that writes to its tasks'
# lifeline, the one pipe of which it holds both ends.
lifeline() {
	local fd link
	for fd in /proc/"$1"/fd/*; do
		link=$(readlink "$fd") || continue
		[[ $link == pipe:* ]] || continue
		[ "$(ls -l /proc/"$1"/fd | grep -cF "$link")" -eq 2 ] || continue
		if grep -q '^flags:.*1$' "/proc/$1/fdinfo/${fd##*/}"; then
			echo "${fd##*/}"
		fi
	done
}

@test "--resume waits, saying so, while a task of a killed run lives, and a signal ends the wait" {
	[ -d /proc/self/fdinfo ] || skip "no /proc/self/fdinfo to look at"
	killed_job
	# a task that is slow to see mrrun gone: the test holds the lifeline
	w=$(lifeline "$pid")
	[ -n "$w" ]
	exec {hold}> "/proc/$pid/fd/$w"
	kill -KILL "$pid"
	wait "$pid" || true
	touch go
	mrrun -m "$mapper" -r count --split-size 16K -j 2 -o out \
		--joblog jl2 --resume in.txt > mr2.out 2> mr2.err 3>&- {hold}>&- &
	JOB=$!
	wait_for grep -qs "waiting for the tasks of an earlier run to end" mr2.err
	kill -TERM "$JOB"
	status=0
	wait "$JOB" || status=$?
	assert_status 143
	[ "$(sed 's/(pid [0-9]*/(pid N/' mr2.err)" = "mrrun: out: waiting for the tasks of an earlier run to end (pid N is one)" ]
	[ ! -s mr2.out ]
	[ ! -e jl2 ]
	mrrun -m "$mapper" -r count --split-size 16K -j 2 -o out \
		--joblog jl2 --resume in.txt > mr2.out 2> mr2.err 3>&- {hold}>&- &
	JOB=$!
	wait_for grep -qs "waiting for the tasks of an earlier run to end" mr2.err
	# it starts no task while it waits
	[ -z "$(descendants "$JOB")" ]
	[ "$(ls .out.mrrun/map)" = "$(printf 'm-%05d\n' 0 1 2)" ]
	exec {hold}>&-
	status=0
	wait "$JOB" || status=$?
	assert_status 0
	[ "$(sed 's/(pid [0-9]*/(pid N/' mr2.err)" = "mrrun: out: waiting for the tasks of an earlier run to end (pid N is one)
mrrun: resuming: 1 of $n map tasks are done" ]
	[ ! -s mr2.out ]
	cmp out/part-00000 want
	[ "$(grep -c '^m-' jl2)" -eq $((n - 1)) ]
	none_alive_then
	[ ! -e .out.mrrun ]
}

@test "an mr tool whose MR_LIFELINE names no pipe fails" {
	seq 3 > in.txt
	run -1 --separate-stderr env MR_LIFELINE=0 mrsort in.txt
	[ "$stderr" = "mrsort: MR_LIFELINE=0: not the descriptor of a pipe" ]
	[ -z "$output" ]
	run -1 --separate-stderr env MR_LIFELINE=7 mrsort in.txt 7< in.txt
	[ "$stderr" = "mrsort: MR_LIFELINE=7: not the descriptor of a pipe" ]
	run -1 --separate-stderr env MR_LIFELINE=x mrsort in.txt
	[ "$stderr" = "mrsort: MR_LIFELINE=x: not the descriptor of a pipe" ]
	run -1 --separate-stderr env MR_WORK_LOCK=nolock mrsort in.txt
	[ "$stderr" = "mrsort: nolock: No such file or directory" ]
}

@test "an mr tool stops, killing its command, when its lifeline ends, and its command sees no lifeline" {
	printf 'a\n' > in.txt
	mkfifo line wait
	# the test writes to the lifeline (rw) while the tool runs
	exec {rw}<> line {rd}< line
	mapper="trap '' TERM; env > env.txt; ls /proc/\$\$/fd > fds.txt; touch started; read x < '$BATS_TEST_TMPDIR/wait'"
	MR_LIFELINE=$rd mrmap --text "$mapper" in.txt > mr.out 2> mr.err \
		3>&- {rw}>&- &
	JOB=$!
	wait_for test -e started
	exec {rw}>&- {rd}<&-
	wait_for ended "$JOB"
	status=0
	wait "$JOB" || status=$?
	assert_status 143
	[ ! -s mr.out ]
	[ ! -s mr.err ]
	wait_for no_task_left
	! grep '^MR_' env.txt
	grep -qx 2 fds.txt
	! grep -x "$rd" fds.txt
}

@test "an mr tool whose lifeline has ended already stops before it starts work" {
	printf 'a\n' > in.txt
	mkfifo line
	exec {rw}<> line {rd}< line
	exec {rw}>&-
	run -143 --separate-stderr env MR_LIFELINE=$rd mrmap --text \
		'touch ran; cat' in.txt
	exec {rd}<&-
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ ! -e ran ]
}

@test "--resume --force after a run killed while it removed the output it replaced" {
	seq 100 > in.txt
	mkdir out
	touch out/part-00000 fail
	job=(-m 'test ! -e fail && cat' -r count --retries 0 -o out --force)
	run -1 mrrun "${job[@]}" in.txt
	[ -d .out.mrrun ]
	rm fail
	# what a kill in the last step leaves: the replaced output, half removed
	mkdir -p .out.mrrun/old/sub
	touch .out.mrrun/old/part-00000 .out.mrrun/old/sub/f
	run -0 --separate-stderr mrrun --resume "${job[@]}" in.txt
	[ -e out/_SUCCESS ]
	[ ! -e .out.mrrun ]
	[ "$(sort out/part-00000 | head -n 1)" = "$(printf '1\t1')" ]
}

@test "--key-fields 2 with --partition-fields 1: a Streaming secondary sort, each user's times in order, in one part" {
	awk 'BEGIN { srand(3); for (i = 0; i < 3000; i++)
		printf "u%d\t%d\tx%d\n", int(rand() * 50), int(rand() * 100000), i }' > in.tsv
	for m in cat NONE; do
		run -0 --separate-stderr mrrun -o "out-$m" -n 3 --split-size 16K \
			--key-fields 2 --partition-fields 1 -m "$m" -r cat in.tsv
		[ -z "$stderr" ]
		for p in out-$m/part-*; do
			# within a part, by user then by time as bytes
			sort -c -t "$TAB" -k1,1 -k2,2 "$p"
		done
		[ "$(cut -f 1 out-$m/part-* | sort -u | wc -l)" -eq "$(cut -f 1 in.tsv | sort -u | wc -l)" ]
		for u in $(cut -f 1 in.tsv | sort -u); do
			[ "$(grep -l "^$u$TAB" out-$m/part-* | wc -l)" -eq 1 ]
		done
		sort out-$m/part-* | cmp - <(sort in.tsv)
	done
	# a command combiner's lines are cut the same way
	run -0 --separate-stderr mrrun -o comb --key-fields 2 -m cat -c cat -r count in.tsv
	cut -f 1,2 in.tsv | sort | uniq -c | awk -v OFS='\t' '{ print $2, $3, $1 }' |
		cmp - comb/part-00000
	run -2 --separate-stderr mrrun --key-fields 0 -m cat -r count in.tsv
	[ "${stderr_lines[0]}" = "mrrun: bad number of key fields: 0 (1 to 1000000)" ]
}

@test "--values=KEYDEF: each key's values in the order of sort -k over the value's fields, unpadded times too" {
	awk 'BEGIN { srand(5); for (i = 0; i < 4000; i++)
		printf "u%d\t%d\tp%d\n", int(rand() * 40), int(rand() * 2) ? 999999000 + int(rand() * 2000) : int(rand() * 100), i }' > in.tsv
	run -0 --separate-stderr mrrun -o out -n 3 --split-size 16K --values=1n -m cat -r cat in.tsv
	[ -z "$stderr" ]
	for p in out/part-*; do
		sort -c -s -t "$TAB" -k1,1 -k2,2n "$p"
	done
	sort out/part-* | cmp - <(sort in.tsv)
	# bytewise --values puts 999999999 after 1000000000; two keys, the second reversed
	run -0 mrrun -o two --values=1n --values=2r -m cat -r cat in.tsv
	sort -c -s -t "$TAB" -k1,1 -k2,2n -k3,3r two/part-00000
	run -2 --separate-stderr mrrun --values=0 -m cat -r cat in.tsv
	[[ "${stderr_lines[0]}" == "mrrun: bad KEYDEF in --values=0"* ]]
	# a map-only job sorts nothing
	run -2 --separate-stderr mrrun --values=1n -m cat -r NONE in.tsv
	[ "${stderr_lines[0]}" = "mrrun: a map-only job (--reducer NONE) takes no --combiner, --reducers, --total-order or --values" ]
}

@test "--timeout kills an attempt that runs longer, whole, and retries it; the retry commits" {
	seq 1000 > in.txt
	# the first attempt hangs; the next finds the marker and maps
	run -0 --separate-stderr mrrun --timeout 1 --joblog jl -o out \
		-m "if [ ! -e '$PWD/hung' ]; then : > '$PWD/hung'; sleep 300.$$; fi; cat" \
		-r count in.txt
	[ "${stderr_lines[0]}" = "mrrun: map task 0 (in.txt bytes 0-3893) failed (it ran over --timeout, 1 s); trying again" ]
	seq 1000 | awk -v OFS='\t' '{ print $1, 1 }' | sort | cmp - out/part-00000
	# the attempt is logged with timeout(1)'s status
	[ "$(awk -F '\t' 'NR > 1 { print $1, $5 }' jl | sort | tr '\n' ' ')" = "m-00000 0 m-00000 124 r-00000 0 " ]
	run pgrep -f "sleep 300.$$"
	assert_status 1
}

@test "--timeout fails the job when every attempt runs over, with no output" {
	seq 10 > in.txt
	run -1 --separate-stderr mrrun --timeout 0.5 --retries 1 -o out \
		-m "sleep 300.$$" -r count in.txt
	[[ "$stderr" == *"map task 0 (in.txt bytes 0-21) failed 2 times: it ran over --timeout, 0.5 s"* ]]
	[ ! -e out ]
	run pgrep -f "sleep 300.$$"
	assert_status 1
	# a short timeout is kept within a tenth of it, not a fifth of a second
	run -1 --separate-stderr mrrun --timeout 0.05 --retries 0 -m 'sleep 0.3; cat' -r count in.txt
	[[ "$stderr" == *"it ran over --timeout, 0.05 s"* ]]
	# 0 is no timeout, and the suffixes
	for d in 0 2s 1m 0.5h 1d; do
		run -0 mrrun --timeout "$d" -m cat -r count in.txt
		[ "${#lines[@]}" -eq 10 ]
	done
	for d in "" -1 1x abc 1mm inf nan " 1" 1e400; do
		run -2 --separate-stderr mrrun --timeout "$d" -m cat -r count in.txt
		[ "${stderr_lines[0]}" = "mrrun: bad duration: $d (a number of seconds, or with s, m, h or d)" ] ||
			{ echo "'$d': $stderr"; return 1; }
	done
}

@test "a deadline for the whole job is timeout(1): its SIGTERM leaves no task and no output" {
	seq 10 > in.txt
	run timeout 2 mrrun -o out -m "sleep 300.$$" -r count in.txt
	assert_status 124
	[ ! -e out ]
	sleep 0.5
	run pgrep -f "sleep 300.$$"
	assert_status 1
}

@test "--env NAME=VALUE is set for every task, mappers and reducers; a bad NAME is a usage error" {
	seq 3 > in.txt
	run -0 --separate-stderr mrrun --env GREETING=hello --env 'SPACED=a b=c' \
		-m 'sed "s/^/$GREETING /"' -r 'awk -v s="$SPACED" "{ print \$0 \" \" s }"' in.txt
	[ -z "$stderr" ]
	[ "$output" = "$(printf 'hello 1 a b=c\nhello 2 a b=c\nhello 3 a b=c')" ]
	for bad in "" "=x" "1A=x" "A-B=x" "A" "A B=x"; do
		run -2 --separate-stderr mrrun --env "$bad" -m cat -r count in.txt
		[ "${stderr_lines[0]}" = "mrrun: --env $bad: not NAME=VALUE, with a NAME of letters, digits and _" ] ||
			{ echo "'$bad': $stderr"; return 1; }
	done
	# the variables that mrrun sets itself are its own
	for name in MR_LIFELINE mapreduce_task_id mapred_job_id map_input_file; do
		run -2 --separate-stderr mrrun --env "$name=x" -m cat -r count in.txt
		[ "${stderr_lines[0]}" = "mrrun: --env $name: mrrun sets it itself" ]
	done
}

@test "the same job again over unchanged inputs exits 0 at once; over changed inputs it replaces the output; another job is an error" {
	seq 100 > in.txt
	printf '#!/bin/sh\ncat\n' > map.sh
	chmod +x map.sh
	job=(-m ./map.sh --file map.sh -r count -o out)
	run -0 --separate-stderr mrrun "${job[@]}" --joblog jl in.txt
	grep -q "^identity$TAB" out/_SUCCESS
	grep -q "^input$TAB$PWD/in.txt${TAB}292$TAB" out/_SUCCESS
	cp -p out/_SUCCESS before
	# unchanged: nothing runs, nothing is said, the output stays
	run -0 --separate-stderr mrrun "${job[@]}" --joblog jl2 in.txt
	[ -z "$stderr" ] && [ -z "$output" ]
	[ ! -e jl2 ]
	[ ! out/_SUCCESS -nt before ]
	run -0 --separate-stderr mrrun --stats "${job[@]}" in.txt
	[ "$stderr" = "mrrun: out is up to date" ]
	# a changed input, or a changed --file script: made again, replaced
	seq 200 > in.txt
	run -0 --separate-stderr mrrun "${job[@]}" in.txt
	[ -z "$stderr" ]
	[ "$(wc -l < out/part-00000)" -eq 200 ]
	[ out/_SUCCESS -nt in.txt ]
	printf '#!/bin/sh\nsed s/^/x/\n' > map.sh
	run -0 --separate-stderr mrrun "${job[@]}" in.txt
	[ "$(head -c 1 out/part-00000)" = x ]
	# another command into it: today's error, unless --force
	run -1 --separate-stderr mrrun -m cat -r sum -o out in.txt
	[ "$stderr" = "mrrun: out: the output directory exists (--force replaces it)" ]
	[ "$(head -c 1 out/part-00000)" = x ]
	# standard input cannot be known unchanged: made again
	run -0 --separate-stderr mrrun -m cat -r count -o stdin-out < in.txt
	seq 5 > five
	run -0 --separate-stderr mrrun -m cat -r count -o stdin-out < five
	[ "$(wc -l < stdin-out/part-00000)" -eq 5 ]
}

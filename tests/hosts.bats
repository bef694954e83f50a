#!/usr/bin/env bats
# mrrun --hosts: jobs over the ssh hosts of a test cluster (scripts/cluster),
# against the local run of the same job and against oracles (tr | sort |
# uniq -c, sort), with hosts that are unreachable, die in each phase or
# are slow, an interrupted controller, the hosts file, quoting, --file,
# HOST:PATH inputs, --shuffle=direct, --remote-path, --rsh and usage
# errors.
#
# The hosts see the repository only if it is not under /tmp (every host
# has a /tmp of its own), and their PATH has no mr tools: jobs --ship the
# tools and pass their scripts with --file.  Files that the test and the
# tasks share (markers that time the faults) live under the cluster's
# directory in /var/tmp, which every host and the controller see.

load test_helper

CLUSTER=$BATS_TEST_DIRNAME/../scripts/cluster

# hostpath: the system's PATH without a directory that holds an mrrun,
# for the hosts' sessions.
hostpath() {
	local d p=
	for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
		[ -d "$d" ] && [ ! -e "$d/mrrun" ] || continue
		p=${p:+$p:}$d
	done
	echo "$p"
}

# One cluster of 3 hosts for the tests that leave it as they found it;
# the tests that kill hosts start their own.
setup_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	CL=$(mktemp -d /var/tmp/mr-hosts.XXXXXX)
	HOSTPATH=$(hostpath)
	export CL HOSTPATH
	PATH=$HOSTPATH "$CLUSTER" start 3 "$CL/c" > /dev/null
}

teardown_file() {
	local d
	[ -n "${CL-}" ] || return 0
	for d in "$CL"/*; do
		[ ! -f "$d/hosts" ] || "$CLUSTER" stop "$d" || true
	done
	rm -rf "$CL"
}

setup() {
	[ "$(id -u)" -eq 0 ] || skip "sshd and mount namespaces need root"
	cd "$BATS_TEST_TMPDIR" || exit 1
	# the work directory of a job on stdout goes here
	export TMPDIR=$BATS_TEST_TMPDIR
	C=$CL/c
	CFG=$C/ssh_config
	HOSTS=$C/hosts
	# markers shared by the test, the controller and the hosts
	D=$CL/m/$BATS_TEST_NUMBER.d
	mkdir -p "$D"
}

# A test that failed may leave its job running, or a cluster of its own.
teardown() {
	local p
	[ -n "${CL-}" ] || return 0
	[ -z "${WORKER_PID-}" ] || worker_stop
	# the job and what it ran here; the workers on the hosts end as
	# their channels close
	for p in ${JOB-}; do
		pkill -KILL -P "$p" 2> /dev/null || true
		kill -KILL "$p" 2> /dev/null || true
	done
	for p in $(pgrep -f -- "$D"); do
		kill -KILL "$p" 2> /dev/null || true
	done
	[ -z "${KEEP-}" ] || rm -rf "${KEEP[@]}"
	if [ -f "$CL/k$BATS_TEST_NUMBER/hosts" ]; then
		"$CLUSTER" stop "$CL/k$BATS_TEST_NUMBER" || true
	fi
	rm -rf "$D"
}

# hrun ARGS...: mrrun over the hosts $HOSTS of $CFG, shipping the tools.
hrun() {
	mrrun --ship --ssh-config "$CFG" --hosts "$HOSTS" "$@"
}

# meeting_mapper N: map.sh, a cat that first waits up to 20 s until N
# mappers run at once (each leaves $D/m.PID), and touches $D/alone when
# they never do.
meeting_mapper() {
	script map.sh 'touch "$D/m.$$"
		i=0
		while [ "$(ls "$D" | grep -c "^m\.")" -lt '"$1"' ] && [ $i -lt 400 ]; do
			sleep 0.05
			i=$((i + 1))
		done
		[ $i -lt 400 ] || touch "$D/alone"
		cat'
}

# own_cluster K: start a cluster of K hosts for this test alone and point
# C, CFG and HOSTS at it.
own_cluster() {
	C=$CL/k$BATS_TEST_NUMBER
	PATH=$HOSTPATH "$CLUSTER" start "$1" "$C" > /dev/null
	CFG=$C/ssh_config
	HOSTS=$C/hosts
}

# finish: wait for the job in the background; its exit status in status.
finish() {
	status=0
	wait "$JOB" || status=$?
	JOB=
}

# assert_job STATUS: the job in the background ended with STATUS; if not,
# its stderr (mr.err) tells why.
assert_job() {
	if [ "$status" -ne "$1" ]; then
		echo "status $status, want $1; stderr:" >&2
		cat mr.err >&2
		return 1
	fi
}

# script NAME BODY: an executable sh script NAME that knows the marker
# directory as $D and has the sh function wait_for FILE..., which polls
# for the files for up to 30 s.
script() {
	cat > "$1" <<-EOF
	#!/bin/sh
	D='$D'
	wait_for() {
		i=0
		for f; do
			while [ ! -e "\$f" ] && [ \$i -lt 600 ]; do
				sleep 0.05
				i=\$((i + 1))
			done
		done
	}
	$2
	EOF
	chmod +x "$1"
}

# text WORDS SEED: lines of 6 words from test_helper's words, one space
# between them.
text() {
	words "$1" "$2" | paste -d ' ' - - - - - -
}

# count_oracle < TEXT: "WORD<TAB>COUNT" lines of the words of TEXT.
count_oracle() {
	tr ' ' '\n' | sort | uniq -c | awk '{ printf "%s\t%s\n", $2, $1 }'
}

# COUNT: a reducer command that counts the records of each key.
COUNT='awk -F "\t" "\$1 != k { if (NR > 1) print k \"\t\" n; k = \$1; n = 0 } { n++ } END { if (NR) print k \"\t\" n }"'

# same_dirs A B: A and B hold the same names with the same bytes, but for
# _SUCCESS, which records the command, and the same command over hosts
# names them (and may name its inputs otherwise).
same_dirs() {
	local f
	[ "$(ls -A "$1")" = "$(ls -A "$2")" ] || {
		echo "$1: $(ls -A "$1" | tr '\n' ' '); $2: $(ls -A "$2" | tr '\n' ' ')" >&2
		return 1
	}
	for f in "$1"/*; do
		[ "${f##*/}" = _SUCCESS ] || cmp "$f" "$2/${f##*/}"
	done
}

# jl_hosts JOBLOG [PREFIX]: the sorted distinct Host column of the
# joblog's attempts whose task starts with PREFIX.
jl_hosts() {
	awk -F '\t' -v p="${2-}" 'NR > 1 && index($1, p) == 1 { print $2 }' \
		"$1" | sort -u | tr '\n' ' ' | sed 's/ $//'
}

# only_hosts JOBLOG HOST...: every attempt of the joblog ran on one of
# the HOSTs.
only_hosts() {
	local jl=$1 bad
	shift
	bad=$(awk -F '\t' -v hosts=" $* " \
		'NR > 1 && index(hosts, " " $2 " ") == 0' "$jl")
	if [ -n "$bad" ]; then
		echo "attempts on other hosts: $bad" >&2
		return 1
	fi
}

# done_maps JOBLOG N: the joblog shows N map tasks that succeeded.
done_maps() {
	[ "$(awk -F '\t' '$1 ~ /^m-/ && $5 == 0 { print $1 }' "$1" 2> /dev/null |
		sort -u | wc -l)" -eq "$2" ]
}

# host_procs HOST: the processes in the mount namespace of HOST of
# cluster $C but its sshd that listens.
host_procs() {
	ns_procs "$(cat "$C/$1/ns")" "$(cat "$C/$1/pid")"
}

# idle HOST: HOST of cluster $C runs nothing but its sshd.
idle() {
	[ -z "$(host_procs "$1")" ]
}

# scratch_dirs HOST: the mrrun-* directories in HOST's /tmp.
scratch_dirs() {
	on "$1" 'cd /tmp && for d in mrrun-*; do [ ! -e "$d" ] || echo "$d"; done'
}

# clean HOST...: every HOST of cluster $C runs nothing but its sshd within
# 10 s, and then has no scratch directory left in its /tmp.
clean() {
	local h i left
	for h; do
		for i in $(seq 200); do
			idle "$h" && break
			sleep 0.05
		done
		if ! idle "$h"; then
			echo "$h still runs:" >&2
			ps -o pid=,args= -p "$(host_procs "$h" | paste -sd, -)" >&2
			return 1
		fi
		left=$(scratch_dirs "$h")
		if [ -n "$left" ]; then
			echo "$h keeps /tmp/$left" >&2
			return 1
		fi
	done
}

# wc_job: the word count's map script, map.sh, and its options in $job.
wc_job() {
	script map.sh 'tr -s " " "\n"'
	job=(-m ./map.sh --file map.sh -r count -c count -n 3 --split-size 16K)
}

@test "a word count over 3 hosts writes the local run's bytes, and tr | sort | uniq -c's counts" {
	text 30000 1 > in.txt
	count_oracle < in.txt > want
	wc_job
	[ "$(map_tasks "${job[@]}" in.txt)" -gt 3 ]
	mrrun "${job[@]}" -o local in.txt
	mrrun "${job[@]}" in.txt > local.out
	run -0 --separate-stderr hrun "${job[@]}" -o out in.txt
	[ -z "$output" ]
	[ -z "$stderr" ]
	same_dirs out local
	[ -e out/_SUCCESS ]
	[ ! -e .out.mrrun ]
	cat out/part-* | sort | cmp - want
	status=0
	hrun "${job[@]}" in.txt > got 2> err || status=$?
	assert_status 0
	[ ! -s err ]
	cmp got local.out
	# nor a work directory of the job on stdout
	[ -z "$(find "$TMPDIR" -maxdepth 1 -name 'mrrun-*')" ]
	clean h1 h2 h3
}

@test "--total-order -n 4 over hosts writes the records sorted as sort -s -k1,1 does" {
	awk -v n=6000 -f "$BATS_TEST_DIRNAME/../scripts/bench/gensort.awk" > g.txt
	job=(-m cat -r cat --total-order -n 4 --split-size 128K)
	mrrun "${job[@]}" -o local g.txt
	run -0 --separate-stderr hrun "${job[@]}" -o out g.txt
	[ -z "$stderr" ]
	same_dirs out local
	[ "$(cd out && echo part-*)" = "part-00000 part-00001 part-00002 part-00003" ]
	cat out/part-* > got
	sort -t "$TAB" -k1,1 -s g.txt | cmp - got
}

@test "a map-only job over hosts writes the local run's parts" {
	seq 30000 > in.txt
	script tag.sh 'sed "s/^/x /"'
	job=(-m ./tag.sh --file tag.sh -r NONE --split-size 32K)
	[ "$(map_tasks "${job[@]}" in.txt)" -gt 3 ]
	mrrun "${job[@]}" -o local in.txt
	run -0 --separate-stderr hrun "${job[@]}" -o out in.txt
	[ -z "$stderr" ]
	same_dirs out local
	cat out/part-* | cmp - <(sed 's/^/x /' in.txt)
}

@test "framed records of any bytes pass unchanged over hosts, to the local run's bytes" {
	mrtest gen 5 4000 30 > a.mr
	mrtest gen 2 40 12 > small.mr
	mrtest embed 9 90 small.mr > e.mr
	job=(-m NONE -r identity -n 3 --total-order --framed --split-size 16K)
	[ "$(map_tasks "${job[@]}" a.mr e.mr)" -gt 3 ]
	mrrun "${job[@]}" -o local a.mr e.mr
	run -0 --separate-stderr hrun "${job[@]}" -o out a.mr e.mr
	[ -z "$stderr" ]
	same_dirs out local
	cmp <(cat a.mr e.mr | mrtest dump | sort) <(cat out/part-* | mrtest dump | sort)
	job=(-m cat -c cat -r cat -n 2 --framed-input --framed --split-size 16K)
	run -0 --separate-stderr hrun "${job[@]}" -o out2 a.mr e.mr
	[ -z "$stderr" ]
	cmp <(cat a.mr e.mr | mrtest dump | sort) <(cat out2/part-* | mrtest dump | sort)
}

@test "a --join of two groups, each with its mapper, over hosts: the local run's parts, join(1)'s rows" {
	awk 'BEGIN { for (i = 0; i < 3000; i++) printf "u%d\t%d\n", i * 3, 1940 + i % 70 }' > users.tsv
	awk 'BEGIN { for (i = 0; i < 20000; i++) printf "%d\tu%d\n", 1700000000 + i, (i * 7919) % 9000 }' > byts.tsv
	script swap.sh 'awk -F "\t" -v OFS="\t" "{ print \$2, \$1 }"'
	job=(-n 3 --split-size 32K --file swap.sh -m NONE users.tsv -m ./swap.sh byts.tsv --join left)
	[ "$(map_tasks "${job[@]}")" -gt 4 ]
	mrrun "${job[@]}" -o local
	run -0 --separate-stderr hrun "${job[@]}" -o out
	[ -z "$stderr" ]
	same_dirs out local
	join -t "$TAB" -a 1 -e '' -o auto <(sort -t "$TAB" -k1,1 users.tsv) \
		<(awk -F '\t' -v OFS='\t' '{ print $2, $1 }' byts.tsv | sort -t "$TAB" -k1,1) |
		sort | cmp - <(sort out/part-*)
}

@test "--broadcast over hosts: the local run's parts, also with the broadcast group on a host (HOST:PATH)" {
	awk 'BEGIN { for (i = 0; i < 3000; i++) printf "u%d\t%d\n", i * 3, 1940 + i % 70 }' > users.tsv
	awk 'BEGIN { for (i = 0; i < 20000; i++) printf "%d\tu%d\n", 1700000000 + i, (i * 7919) % 9000 }' > byts.tsv
	script swap.sh 'awk -F "\t" -v OFS="\t" "{ print \$2, \$1 }"'
	script id.sh 'cat'
	job=(--split-size 32K --file swap.sh --file id.sh -m ./swap.sh byts.tsv --join left --broadcast 2)
	[ "$(map_tasks "${job[@]}" -m NONE users.tsv)" -gt 4 ]
	mrrun "${job[@]}" -m NONE users.tsv -o local
	# the broadcast group's mapper, a --file, runs on the hosts
	run -0 --separate-stderr hrun --joblog jl "${job[@]}" -m ./id.sh users.tsv -o out
	[ -z "$stderr" ]
	[ "$(jl_hosts jl b-)" != ":" ]
	same_dirs out local
	# the broadcast group read in place on h2, where its tasks run
	ssh -F "$CFG" h2 "cat > /tmp/users-h2.tsv" < users.tsv
	run -0 --separate-stderr hrun --joblog jl2 "${job[@]}" -m NONE h2:/tmp/users-h2.tsv -o out2
	[ -z "$stderr" ]
	[ "$(jl_hosts jl2 b-)" = h2 ]
	same_dirs out2 local
	on h2 'rm /tmp/users-h2.tsv'
}

@test "--timeout over hosts kills the task on its host and retries it; --env reaches the hosts' tasks" {
	seq 3000 > in.txt
	# the first attempt hangs on its host; the marker is shared
	script map.sh 'if mkdir "$D/hung" 2>/dev/null; then sleep 300.'"$$"'; fi
		sed "s/^/$GREETING /"'
	run -0 --separate-stderr hrun --timeout 2 --joblog jl --env GREETING=hi \
		--file map.sh -m ./map.sh -r NONE -o out in.txt
	[[ "${stderr_lines[0]}" == "mrrun: map task 0 (in.txt bytes 0-13893) failed on host h"?" (it ran over --timeout, 2 s); trying again" ]] ||
		{ echo "$stderr"; return 1; }
	sed 's/^/hi /' in.txt | cmp - out/part-00000
	[ "$(awk -F '\t' 'NR > 1 { print $5 }' jl | sort | tr '\n' ' ')" = "0 124 " ]
	# the hosts' processes are this machine's (they have mounts of their own)
	run pgrep -f "[s]leep 300.$$"
	assert_status 1
}

@test "a task that fails for good over hosts fails the job at once: no attempt past --retries starts, none hangs" {
	seq 20000 > in.txt
	# the first attempt fails; any later one would hang
	script map.sh 'if ! mkdir "$D/failed.$N" 2>/dev/null; then
			cat > /dev/null; sleep 300.'"$$"'
		fi
		exit 1'
	for N in 1 2 3 4; do
		run -1 --separate-stderr timeout 60 env N=$N mrrun --ship --ssh-config "$CFG" \
			--hosts "$HOSTS" --env N=$N --file map.sh -m ./map.sh -r count \
			--retries 0 --joblog jl.$N -o out in.txt
		[[ "${stderr_lines[0]}" == "mrrun: map task 0 (in.txt bytes 0-108894) failed: "* ]] ||
			{ echo "$stderr"; return 1; }
		[ "$(grep -c '^m-' jl.$N)" -eq 1 ]
		[ ! -e out ]
	done
	run pgrep -f "[s]leep 300.$$"
	assert_status 1
}

@test "a task that failed on a host runs again on another one, a timed-out one too" {
	seq 3000 > in.txt
	script map.sh 'if mkdir "$D/failed" 2>/dev/null; then exit 1; fi
		if mkdir "$D/hung" 2>/dev/null; then sleep 300.'"$$"'; fi
		cat'
	run -0 --separate-stderr hrun --timeout 2 --retries 2 --joblog jl \
		--file map.sh -m ./map.sh -r NONE -o out in.txt
	cmp in.txt out/part-00000
	# three attempts, each on a host other than the one before
	awk -F '\t' '$1 == "m-00000" { print $2, $5 }' jl > attempts
	[ "$(cut -d ' ' -f 2 attempts | tr '\n' ' ')" = "1 124 0 " ]
	[ "$(cut -d ' ' -f 1 attempts | uniq | wc -l)" -eq 3 ]
}

@test "the joblog names the host of every attempt, and every host has one" {
	text 12000 2 > in.txt
	printf 'h1 1\nh2 1\nh3 1\n' > hosts
	# a map task waits until every host runs one
	script map.sh 'touch "$D/m.$MR_HOST"
		wait_for "$D/m.h1" "$D/m.h2" "$D/m.h3"
		tr -s " " "\n"'
	job=(-m ./map.sh --file map.sh -r count -n 2 --split-size 8K)
	n=$(map_tasks "${job[@]}" in.txt)
	[ "$n" -ge 3 ]
	run -0 --separate-stderr mrrun --ship --ssh-config "$CFG" \
		--hosts hosts --joblog jl "${job[@]}" -o out in.txt
	[ -z "$stderr" ]
	[ "$(head -n 1 jl)" = "Task${TAB}Host${TAB}Starttime${TAB}JobRuntime${TAB}Exitval${TAB}Send${TAB}Receive${TAB}Command" ]
	[ "$(jl_hosts jl m-)" = "h1 h2 h3" ]
	only_hosts jl h1 h2 h3
	[ "$(grep -c '^m-' jl)" -eq "$n" ]
	[ "$(grep -c '^r-' jl)" -eq 2 ]
	[ "$(cut -f5 jl | sed 1d | sort -u)" = 0 ]
	count_oracle < in.txt | cmp - <(cat out/part-* | sort)
}

@test "a hosts file has comments, blank lines and slots; a host's slots run at once, above -j" {
	seq 4000 > in.txt
	printf '# the hosts\n\nh1 2  # two at a time\n\n# end\n' > hosts
	# a map task waits for a second one to run beside it
	meeting_mapper 2
	job=(-m ./map.sh --file map.sh -r count --split-size 4K)
	[ "$(map_tasks "${job[@]}" in.txt)" -ge 2 ]
	run -0 --separate-stderr mrrun --ship --ssh-config "$CFG" \
		--hosts hosts -j 1 --joblog jl "${job[@]}" -o out in.txt
	[ -z "$stderr" ]
	[ ! -e "$D/alone" ]
	[ "$(jl_hosts jl)" = h1 ]
	sort in.txt | awk '{ print $0 "\t1" }' | cmp - out/part-00000
}

@test "--hosts takes a comma list, [user@]host[:port], and the joblog names them as written" {
	seq 3000 > in.txt
	port=$(awk '$1 == "Host" { h = $2 } h == "h2" && $1 == "Port" { print $2 }' "$CFG")
	[ -n "$port" ]
	run -0 --separate-stderr mrrun --ship --ssh-config "$CFG" \
		--hosts "root@h1,h2:$port" --joblog jl -m cat -r count \
		--split-size 2K -o out in.txt
	[ -z "$stderr" ]
	[[ " root@h1 h2:$port " == *" $(jl_hosts jl) "* ]] ||
		[ "$(jl_hosts jl)" = "h2:$port root@h1" ]
	sort in.txt | awk '{ print $0 "\t1" }' | cmp - out/part-00000
}

@test "a bad host name, bad slots or a duplicate host is a usage error" {
	seq 10 > in.txt
	for h in -h1 'a;b' '$(x)' '"h1"' "'h1'" 'h1|h2' 'h1&' 'a`b`' 'h1,h1' \
	    'h1 h2'; do
		run -2 --separate-stderr mrrun --ship --ssh-config "$CFG" \
			--hosts "$h" -m cat -r count -o out in.txt
		assert_stderr_prefix "mrrun: "
		[ ! -e out ] && [ ! -e .out.mrrun ]
	done
	for line in 'h1 x' 'h1 0' 'h1 2 3' 'a;b 2' 'h1\nh1'; do
		printf "$line\\n" > hosts
		run -2 --separate-stderr mrrun --ship --ssh-config "$CFG" \
			--hosts hosts -m cat -r count -o out in.txt
		assert_stderr_prefix "mrrun: "
		[ ! -e out ] && [ ! -e .out.mrrun ]
	done
}

@test "a bad host name is named in the message" {
	seq 10 > in.txt
	run -2 --separate-stderr mrrun --ssh-config "$CFG" --hosts 'h1,a;b' \
		-m cat -r count in.txt
	assert_stderr_prefix "mrrun: "
	[[ "$stderr" == *'a;b'* ]]
	[ -z "$output" ]
}

# long NAME N: NAME repeated to N bytes.
long() {
	local s=$1
	while [ ${#s} -lt "$2" ]; do
		s=$s$s
	done
	printf '%s' "${s:0:$2}"
}

@test "a hosts file line of any length is one line: a long comment is no host, a long name is an error" {
	seq 10 > in.txt
	# a comment past 1024 bytes, whose tail would be h1 again
	{ printf 'h1 2 # '; long x 2000; printf ' h1\nh2\n'; } > hosts
	run -0 --separate-stderr mrrun --dry-run --hosts hosts -m cat -r count in.txt
	[ -z "$stderr" ]
	[ "${lines[0]}" = "# map task 0 (in.txt bytes 0-21)" ]
	# a name of 2,000 bytes is not a host and the tail of another
	{ printf 'h1\n'; long h 2000; printf '\n'; } > hosts
	run -2 --separate-stderr mrrun --dry-run --hosts hosts -m cat -r count in.txt
	assert_stderr_prefix "mrrun: --hosts: hosts, line 2: \"hhhh"
	[[ "${stderr_lines[0]}" == *'...: a host name of 2000 bytes, over 255' ]]
	[ -z "$output" ]
}

@test "a bad line of a hosts file is a usage error that names the file and the line" {
	seq 10 > in.txt
	for line in 'h1:0' 'h1:65536' 'h1:' 'h1:2x' ':22' 'root@' '@h1' 'a@b@c' \
	    'r@-x' '-r@x' 'r;m@h1' 'h1;x' 'h1 0' 'h1 1025' 'h1 +2' 'h1 2x' \
	    'h1 99999999999999999999' 'h1 2 3' 'h2' "$(long n 256)"; do
		printf 'h2 # first\n%s\n' "$line" > hosts
		run -2 --separate-stderr mrrun --hosts hosts -m cat -r count \
			-o out in.txt
		assert_stderr_prefix "mrrun: --hosts: hosts, line 2: "
		[ -z "$output" ]
		[ ! -e out ] && [ ! -e .out.mrrun ]
	done
	printf 'h2\nh1\0h3 2\n' > hosts
	run -2 --separate-stderr mrrun --hosts hosts -m cat -r count in.txt
	assert_stderr_prefix "mrrun: --hosts: hosts, line 2: a NUL byte"
}

@test "an empty name in a --hosts list is a usage error" {
	seq 10 > in.txt
	for list in 'h1,,h2' ',h1' 'h1,' ','; do
		run -2 --separate-stderr mrrun --hosts "$list" -m cat -r count \
			-o out in.txt
		assert_stderr_prefix "mrrun: --hosts: an empty host name"
		[ ! -e out ] && [ ! -e .out.mrrun ]
	done
}

@test "a host name of 255 bytes, port 65535 and an IPv6 address are host names" {
	seq 10 > in.txt
	printf '%s\nroot@h1:65535 3\nfe80::1%%eth0\n' "$(long n 255)" > hosts
	run -0 --separate-stderr mrrun --dry-run --hosts hosts -m cat -r count in.txt
	[ -z "$stderr" ]
	[ "${lines[0]}" = "# map task 0 (in.txt bytes 0-21)" ]
}

@test "a --hosts file that does not exist is an error, not a host" {
	seq 10 > in.txt
	for f in ./no-hosts "$PWD/no/hosts"; do
		run --separate-stderr mrrun --ship --ssh-config "$CFG" --hosts "$f" \
			-m cat -r count -o out in.txt
		[ "$status" -eq 1 ] || [ "$status" -eq 2 ]
		assert_stderr_prefix "mrrun: "
		[[ "$stderr" == *"$f"* ]]
		[ ! -e out ] && [ ! -e .out.mrrun ]
	done
}

@test "a --hosts directory, or a hosts file that cannot be read whole, is an error" {
	seq 10 > in.txt
	mkdir d
	run -2 --separate-stderr mrrun --hosts ./d -m cat -r count in.txt
	assert_stderr_prefix "mrrun: --hosts: ./d: Is a directory"
	# a line too long for memory fails, not the hosts after it
	{ echo h1; head -c 300000000 /dev/zero | tr '\0' a; printf '\nh2\nh2\n'; } > hosts
	if [ -z "${ASAN_OPTIONS-}" ]; then
		run -2 --separate-stderr bash -c 'ulimit -v 400000; mrrun --dry-run --hosts ./hosts -m cat -r count in.txt'
		assert_stderr_prefix "mrrun: --hosts: ./hosts, line 2: Cannot allocate memory"
	fi
	run -2 --separate-stderr mrrun --dry-run --hosts ./hosts -m cat -r count in.txt
	assert_stderr_prefix "mrrun: --hosts: ./hosts, line 2: "
}

# bad_config: ssh_config with hosts h8 and h9 that no one answers.
bad_config() {
	cp "$CFG" cfg
	printf 'Host h8 h9\n\tHostName 127.0.0.1\n\tPort 1\n\tUser root\n\tBatchMode yes\n\tConnectTimeout 5\n' >> cfg
}

@test "a host unreachable at the start is warned about and the job goes on without it" {
	bad_config
	wc_job
	text 12000 3 > in.txt
	mrrun "${job[@]}" -o local in.txt
	run -0 --separate-stderr mrrun --ship --ssh-config cfg --hosts h1,h9,h2 \
		--joblog jl "${job[@]}" -o out in.txt
	assert_stderr_prefix "mrrun: host h9: unreachable ("
	[[ "$stderr" == *"); going on without it" ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
	same_dirs out local
	only_hosts jl h1 h2
}

@test "no host reachable fails the job with no output" {
	bad_config
	seq 10 > in.txt
	run -1 --separate-stderr mrrun --ship --ssh-config cfg --hosts h8,h9 \
		-m cat -r count -o out in.txt
	[[ "$stderr" == *"mrrun: host h8: unreachable ("* ]]
	[[ "$stderr" == *"mrrun: host h9: unreachable ("* ]]
	[[ "$stderr" == *"mrrun: no host is reachable" ]]
	[ ! -e out ]
	run -1 --separate-stderr mrrun --ship --ssh-config cfg --hosts h9 \
		-m cat -r count in.txt
	[[ "$stderr" == *"mrrun: no host is reachable" ]]
	[ -z "$output" ]
}

@test "a host whose login hangs is left out after MRRUN_START_TIMEOUT seconds, with its launcher" {
	wc_job
	text 12000 3 > in.txt
	mrrun "${job[@]}" -o local in.txt
	# h2's "login" never runs the command; h1 and h3 are ssh
	cat > rsh.sh <<-EOF
	#!/bin/sh
	[ "\$1" != h2 ] || exec sleep 300.$$
	exec ssh -F '$CFG' "\$@"
	EOF
	chmod +x rsh.sh
	SECONDS=0
	MRRUN_START_TIMEOUT=2 run -0 --separate-stderr mrrun --ship \
		--rsh "$PWD/rsh.sh" --hosts h1,h2,h3 --joblog jl "${job[@]}" \
		-o out in.txt
	[ "$SECONDS" -lt 30 ]
	[ "$stderr" = "mrrun: host h2: unreachable (no answer in 2 s); going on without it" ]
	same_dirs out local
	only_hosts jl h1 h3
	# the hung launcher was killed with its children (its sleep is this
	# test's alone: others on the machine may sleep 300)
	! pgrep -f "sleep 300\\.$$" > /dev/null
}

@test "with --ship, a host whose tools cannot be used is not told to use --ship" {
	seq 10 > in.txt
	# a launcher whose hosts answer nothing that looks like a worker
	cat > rsh.sh <<-'EOF'
	#!/bin/sh
	exit 127
	EOF
	chmod +x rsh.sh
	run -1 --separate-stderr mrrun --ship --rsh "$PWD/rsh.sh" --hosts h1 \
		-m cat -r count in.txt
	[[ "$stderr" == *"mrrun: host h1: "* ]]
	[[ "$stderr" != *"use --ship"* ]]
	[[ "$stderr" == *"mrrun: no host is reachable" ]]
	run -1 --separate-stderr mrrun --rsh "$PWD/rsh.sh" --hosts h1 \
		-m cat -r count in.txt
	[[ "$stderr" == *"(use --ship or --remote-path); going on without it"* ]]
}

@test "--ssh-option comes before mrrun's own and wins over the config" {
	seq 10 > in.txt
	run -1 --separate-stderr mrrun --ship --ssh-config "$CFG" --hosts "$HOSTS" \
		--ssh-option Port=1 -m cat -r count -o out in.txt
	[[ "$stderr" == *"mrrun: host h1: unreachable ("* ]]
	[[ "$stderr" == *"mrrun: no host is reachable" ]]
	[ ! -e out ]
	run -0 --separate-stderr mrrun --ship --ssh-config "$CFG" --hosts "$HOSTS" \
		--ssh-option ConnectTimeout=7 -m cat -r count -o out in.txt
	[ -z "$stderr" ]
	sort in.txt | awk '{ print $0 "\t1" }' | cmp - out/part-00000
}

@test "a host that dies during the map phase: its task runs again elsewhere, the output is the local run's" {
	own_cluster 3
	printf 'h1 1\nh2 1\nh3 1\n' > hosts
	HOSTS=$PWD/hosts
	text 24000 4 > in.txt
	# h2's map task hangs until h2 dies; the others wait until it started
	script map.sh 'case ${MR_HOST-} in
		h2) touch "$D/m.h2"; while :; do sleep 0.1; done ;;
		?*) wait_for "$D/m.h2" ;;
		esac
		tr -s " " "\n"'
	job=(-m ./map.sh --file map.sh -r count -n 2 --split-size 8K)
	[ "$(map_tasks "${job[@]}" in.txt)" -ge 4 ]
	mrrun "${job[@]}" -o local in.txt
	# a lost host's attempts do not count against --retries
	hrun --retries 0 --joblog jl "${job[@]}" -o out in.txt \
		> mr.out 2> mr.err 3>&- &
	JOB=$!
	wait_for test -e "$D/m.h2"
	"$CLUSTER" kill "$C" h2
	finish
	assert_job 0
	grep -q '^mrrun: host h2 was lost' mr.err
	[ ! -s mr.out ]
	same_dirs out local
	# the attempt on h2 failed, and its task succeeded on another host
	task=$(awk -F '\t' '$2 == "h2" && $1 ~ /^m-/ { print $1; exit }' jl)
	[ -n "$task" ]
	[ "$(awk -F '\t' -v t="$task" '$1 == t && $2 == "h2" { print $5 }' jl)" != 0 ]
	awk -F '\t' -v t="$task" '$1 == t && $2 != "h2" && $5 == 0 { ok = 1 } END { exit !ok }' jl
	clean h1 h3
}

# lost_after_maps SHUFFLE: h2 dies when its map tasks are done and the
# reducers, waiting for go, still need their outputs; with --shuffle=SHUFFLE
# the output is the local run's.
lost_after_maps() {
	own_cluster 3
	printf 'h1 1\nh2 1\nh3 1\n' > hosts
	HOSTS=$PWD/hosts
	text 24000 5 > in.txt
	# every host runs a map task; the reducers wait for go, so that
	# more of them than slots still need h2's map outputs when it dies
	script map.sh 'touch "$D/m.${MR_HOST-}"
		[ -z "${MR_HOST-}" ] || wait_for "$D/m.h1" "$D/m.h2" "$D/m.h3"
		tr -s " " "\n"'
	script red.sh 'touch "$D/r.${MR_HOST-}"
		[ -z "${MR_HOST-}" ] || wait_for "$D/go"
		'"$COUNT"
	job=(-m ./map.sh --file map.sh -r ./red.sh --file red.sh -n 6 --split-size 8K)
	n=$(map_tasks "${job[@]}" in.txt)
	[ "$n" -ge 4 ]
	mrrun "${job[@]}" -o local in.txt
	rm -f "$D"/*
	# a lost host's attempts do not count against --retries
	hrun --shuffle="$1" --retries 0 --joblog jl "${job[@]}" -o out in.txt \
		> mr.out 2> mr.err 3>&- &
	JOB=$!
	wait_for done_maps jl "$n"
	wait_for test -e "$D/r.h1" -o -e "$D/r.h3"
	[ "$(jl_hosts jl m-)" = "h1 h2 h3" ]
	[ "$(grep -c '^r-' jl)" -eq 0 ]
	"$CLUSTER" kill "$C" h2
	touch "$D/go"
	finish
	assert_job 0
	grep -q '^mrrun: host h2 was lost' mr.err
	same_dirs out local
	clean h1 h3
}

@test "a host that dies after its map tasks, before the reducers read them: the output is the local run's" {
	lost_after_maps relay
}

@test "with --shuffle=direct, a host that dies after its map tasks: the output is the local run's" {
	lost_after_maps direct
}

@test "a host that dies during the reduce phase: its reduce task runs again elsewhere" {
	own_cluster 3
	printf 'h1 1\nh2 1\nh3 1\n' > hosts
	HOSTS=$PWD/hosts
	text 24000 6 > in.txt
	# h2's reducer hangs until h2 dies; the others wait until it started
	script red.sh 'touch "$D/r.${MR_HOST-}"
		case ${MR_HOST-} in
		h2) while :; do sleep 0.1; done ;;
		?*) wait_for "$D/r.h2" ;;
		esac
		'"$COUNT"
	script map.sh 'tr -s " " "\n"'
	job=(-m ./map.sh --file map.sh -r ./red.sh --file red.sh -n 3 --split-size 8K)
	mrrun "${job[@]}" -o local in.txt
	# a lost host's attempts do not count against --retries
	hrun --retries 0 --joblog jl "${job[@]}" -o out in.txt \
		> mr.out 2> mr.err 3>&- &
	JOB=$!
	wait_for test -e "$D/r.h2"
	"$CLUSTER" kill "$C" h2
	finish
	assert_job 0
	grep -q '^mrrun: host h2 was lost' mr.err
	same_dirs out local
	task=$(awk -F '\t' '$2 == "h2" && $1 ~ /^r-/ { print $1; exit }' jl)
	[ -n "$task" ]
	awk -F '\t' -v t="$task" '$1 == t && $2 != "h2" && $5 == 0 { ok = 1 } END { exit !ok }' jl
	clean h1 h3
}

# childless PID: the process PID has no child.
childless() {
	! pgrep -P "$1" > /dev/null
}

# killer_mapper: map.sh, a cat that on h2 first leaves in $D/mrmap.h2 the
# pids of the mrmap that runs it and of its parent, the worker, and waits
# for ever; on another host it waits until h2's has started.
killer_mapper() {
	script map.sh 'case ${MR_HOST-} in
		h2)
			p=$$
			while [ "$(cat /proc/$p/comm)" != mrmap ]; do
				p=$(awk "{ print \$4 }" /proc/$p/stat)
			done
			echo $p $(awk "{ print \$4 }" /proc/$p/stat) \
				> "$D/mrmap.h2.tmp"
			mv "$D/mrmap.h2.tmp" "$D/mrmap.h2"
			while :; do sleep 0.1; done ;;
		?*) wait_for "$D/mrmap.h2" ;;
		esac
		tr -s " " "\n"'
}

@test "a task killed on a host that then dies is lost with its host, not failed, whatever the order of their deaths" {
	own_cluster 3
	printf 'h1 1\nh2 1\nh3 1\n' > hosts
	HOSTS=$PWD/hosts
	text 24000 8 > in.txt
	killer_mapper
	job=(-m ./map.sh --file map.sh -r count -n 2 --split-size 8K)
	[ "$(map_tasks "${job[@]}" in.txt)" -ge 4 ]
	mrrun "${job[@]}" -o local in.txt
	# with --retries 0, a failed attempt would fail the job
	hrun --retries 0 --joblog jl "${job[@]}" -o out in.txt \
		> mr.out 2> mr.err 3>&- &
	JOB=$!
	wait_for test -e "$D/mrmap.h2"
	read -r mrmap worker < "$D/mrmap.h2"
	# h2's worker sees its task killed, and reports it, before h2 dies
	kill -KILL "$mrmap"
	wait_for childless "$worker"
	"$CLUSTER" kill "$C" h2
	finish
	assert_job 0
	grep -q '^mrrun: host h2 was lost; its tasks run again on the other hosts$' mr.err
	grep -q '^mrrun: map task [0-9]* (in.txt bytes [0-9-]*) on host h2: host h2 was lost; it runs again elsewhere$' mr.err
	! grep -q 'failed\|killed' mr.err
	[ ! -s mr.out ]
	same_dirs out local
	# the attempt on h2 is lost (255), and its task succeeded elsewhere
	task=$(awk -F '\t' '$2 == "h2" && $1 ~ /^m-/ { print $1; exit }' jl)
	[ -n "$task" ]
	[ "$(awk -F '\t' -v t="$task" '$1 == t && $2 == "h2" { print $5 }' jl)" = 255 ]
	awk -F '\t' -v t="$task" '$1 == t && $2 != "h2" && $5 == 0 { ok = 1 } END { exit !ok }' jl
	clean h1 h3
}

@test "a task killed on a host that stays up is a failed attempt" {
	seq 3000 > in.txt
	# every map task kills its own mrmap
	script map.sh 'kill -KILL $PPID; cat'
	run -1 --separate-stderr hrun --retries 0 -m ./map.sh --file map.sh \
		-r count -o out in.txt
	assert_stderr_prefix "mrrun: map task 0 (in.txt bytes 0-"
	[[ "${stderr_lines[0]}" == *") failed: mrmap was killed by signal 9 (Killed)" ]]
	[ "${stderr_lines[1]}" = "mrrun: to run it again by hand:" ]
	[[ "$stderr" != *"was lost"* ]]
	[ ! -e out ]
}

@test "every host lost fails the job with no output" {
	own_cluster 2
	seq 20000 > in.txt
	script map.sh 'touch "$D/m.${MR_HOST-}"; while :; do sleep 0.1; done'
	hrun -m ./map.sh --file map.sh -r count --split-size 16K -o out in.txt \
		> mr.out 2> mr.err 3>&- &
	JOB=$!
	wait_for test -e "$D/m.h1" -a -e "$D/m.h2"
	"$CLUSTER" kill "$C" h1
	"$CLUSTER" kill "$C" h2
	finish
	assert_job 1
	grep -q '^mrrun: host h1 was lost' mr.err
	grep -q '^mrrun: host h2 was lost' mr.err
	[ ! -e out ]
	[ ! -s mr.out ]
}

@test "--speculate: a map task slow on one host is won by a backup elsewhere, and the slow attempt is killed" {
	text 24000 7 > in.txt
	# every map task on h2 takes 60 s
	script map.sh '[ "${MR_HOST-}" != h2 ] || { touch "$D/slow.$$"; sleep 60; }
		tr -s " " "\n"'
	job=(-m ./map.sh --file map.sh -r count -n 2 --split-size 8K)
	[ "$(map_tasks "${job[@]}" in.txt)" -ge 4 ]
	mrrun "${job[@]}" -o local in.txt
	start=$SECONDS
	run -0 --separate-stderr hrun --speculate --joblog jl "${job[@]}" -o out in.txt
	# far less than 60 s, even on a busy machine
	echo "the job took $((SECONDS - start)) s" >&2
	[ $((SECONDS - start)) -lt 30 ]
	ls "$D" | grep -q '^slow\.'
	same_dirs out local
	clean h1 h2 h3
}

# blocked_job SIGNAL: start a job whose map tasks hang on every host, stop
# mrrun with SIGNAL when each host runs one, and wait for it.
blocked_job() {
	seq 60000 > in.txt
	printf 'h1 1\nh2 1\nh3 1\n' > hosts
	script block.sh 'touch "$D/m.$MR_HOST"; while :; do sleep 0.1; done'
	# $D in the mapper's command line names its processes; SIGINT at its
	# default, which a job started with & would ignore (and so mrrun)
	(trap - INT; exec mrrun --ship --ssh-config "$CFG" --hosts hosts \
		-m "./block.sh $D" --file block.sh -r count --split-size 16K \
		-o out in.txt > mr.out 2> mr.err 3>&-) &
	JOB=$!
	wait_for test -e "$D/m.h1" -a -e "$D/m.h2" -a -e "$D/m.h3"
	ctl=$(control_dir "$JOB")
	JOBPID=$JOB
	kill "-$1" "$JOB"
	finish
}

# control_dir PID: the directory of the ssh control sockets of mrrun PID.
control_dir() {
	ps -o args= --ppid "$1" |
		sed -n 's/.*-oControlPath=\([^ ]*\)\/[^/ ]* .*/\1/p' | sort -u
}

@test "SIGTERM to mrrun kills the tasks on every host and removes their scratch directories" {
	blocked_job TERM
	assert_status 143
	[ ! -e out ]
	clean h1 h2 h3
	[ -z "$(pgrep -f -- "$D")" ]
	[ -n "$ctl" ] && [ ! -e "$ctl" ]
}

@test "SIGINT to mrrun kills the tasks on every host and removes their scratch directories" {
	blocked_job INT
	assert_status 130
	[ ! -e out ]
	clean h1 h2 h3
	[ -z "$(pgrep -f -- "$D")" ]
	[ -n "$ctl" ] && [ ! -e "$ctl" ]
}

@test "SIGKILL to mrrun: the workers see their channel close, kill the tasks and remove the scratch" {
	blocked_job KILL
	assert_status 137
	[ ! -e out ]
	clean h1 h2 h3
	wait_for test -z "$(pgrep -f -- "$D")"
	# no one is left to remove the control sockets' directory
	rm -rf "$ctl"
}

# dead_pid: a pid that no process has now.
dead_pid() {
	local p
	sh -c : &
	p=$!
	wait "$p"
	! kill -0 "$p" 2> /dev/null
	echo "$p"
}

@test "a controller killed by SIGKILL leaves its ssh control directory, and the next job over hosts removes it" {
	blocked_job KILL
	assert_status 137
	[[ "$ctl" =~ ^/tmp/mrrun-ssh-$JOBPID-......$ ]] || {
		echo "ctl $ctl, pid $JOBPID" >&2
		return 1
	}
	[ -d "$ctl" ]
	# what is not a dead run's directory of ours stays: one of a live
	# pid, one of another user, one of another mode, and a link
	dead=$(dead_pid)
	KEEP=(/tmp/mrrun-ssh-$$-live01 /tmp/mrrun-ssh-$dead-other1
		/tmp/mrrun-ssh-$dead-mode01 /tmp/mrrun-ssh-$dead-link01)
	mkdir -m 0700 "${KEEP[0]}" "${KEEP[1]}" "${KEEP[2]}"
	chown nobody "${KEEP[1]}"
	chmod 0755 "${KEEP[2]}"
	ln -s "$D" "${KEEP[3]}"
	seq 100 > in2.txt
	run -0 --separate-stderr hrun -m cat -r count -o out2 in2.txt
	[ ! -e "$ctl" ]
	for k in "${KEEP[@]}"; do
		[ -e "$k" ] || [ -h "$k" ] || { echo "$k removed" >&2; return 1; }
	done
	[ -d "$D" ]
	seq 100 | sort | awk '{ print $0 "\t1" }' | cmp - out2/part-00000
}

@test "ssh's control sockets are in a directory of mode 0700, removed when the job ends" {
	seq 30000 > in.txt
	script map.sh 'touch "$D/m.$MR_HOST"; wait_for "$D/go"; cat'
	mrrun --ship --ssh-config "$CFG" --hosts "$HOSTS" -m ./map.sh \
		--file map.sh -r count --split-size 16K -o out in.txt \
		> mr.out 2> mr.err 3>&- &
	JOB=$!
	wait_for test -e "$D/m.h1" -o -e "$D/m.h2" -o -e "$D/m.h3"
	ctl=$(control_dir "$JOB")
	[ -n "$ctl" ]
	[ "$(stat -c '%a %u' "$ctl")" = "700 $(id -u)" ]
	[ -S "$ctl/$(ls "$ctl" | head -n 1)" ] || ls -l "$ctl" >&2
	touch "$D/go"
	finish
	assert_job 0
	[ ! -e "$ctl" ]
	sort in.txt | awk '{ print $0 "\t1" }' | cmp - out/part-00000
}

@test "the scratch directory on a host is mode 0700 while the job runs, and gone after it" {
	seq 30000 > in.txt
	printf 'h1 1\nh2 1\nh3 1\n' > hosts
	script map.sh 'pwd > "$D/cwd.$MR_HOST"; wait_for "$D/go"; cat'
	mrrun --ship --ssh-config "$CFG" --hosts hosts -m ./map.sh --file map.sh \
		-r count --split-size 16K -o out in.txt > mr.out 2> mr.err 3>&- &
	JOB=$!
	for h in h1 h2 h3; do
		wait_for test -s "$D/cwd.$h"
		cwd=$(cat "$D/cwd.$h")
		[[ "$cwd" =~ ^/tmp/mrrun-[^/]+/files$ ]]
		[ ! -e "$cwd" ]
		run -0 on "$h" "stat -c '%a %u' '${cwd%/files}'"
		[ "$output" = "700 0" ]
		scratch[${h#h}]=${cwd%/files}
	done
	touch "$D/go"
	finish
	assert_job 0
	[ ! -s mr.err ]
	sort in.txt | awk '{ print $0 "\t1" }' | cmp - out/part-00000
	clean h1 h2 h3
	for h in h1 h2 h3; do
		run -1 on "$h" "test -e '${scratch[${h#h}]}'"
	done
}

# odd_names: in pwned, a file that a name run as shell text would
# create, and in inj, such a text, in characters a file name may hold.
odd_names() {
	pwned=$CL/pwned.$BATS_TEST_NUMBER
	inj="\$(touch \$(printf '$(printf '%s' "$pwned" | sed 's|/|\\057|g')'))"
}

@test "input names, --file names, HOST:PATH names and a mapper with quotes, spaces, \$(...), ; and a leading - work, and run nothing" {
	odd_names
	names=("sp ace.txt" "it's.txt" "say \"hi\".txt" "$inj.txt" \
		"\`touch x\`.txt" "a;b.txt" "-dash.txt" "back\\slash.txt" \
		"|x&.txt")
	i=0
	for f in "${names[@]}"; do
		i=$((i + 1))
		seq "$i" 100 > "$f"
	done
	# the same bytes in a file of h1's
	seq 0 100 > h1.txt
	remote="/tmp/h1's \"$inj\";.txt"
	ssh -F "$CFG" h1 "cat > $(printf %q "$remote")" < h1.txt
	[ "$(on h1 "wc -l < $(printf %q "$remote")")" -eq 101 ]
	fname="my map's \"x\" $inj;.sh"
	script "$fname" 'sed "s/^/$1 /"'
	mapper="./$(printf %q "$fname") \"it's \\\$(x); \\\"q\\\"\" | tr -d '\\r'"
	job=(-m "$mapper" --file "$fname" -r count -n 2 --split-size 100b)
	mrrun "${job[@]}" -o local -- "${names[@]}" h1.txt
	grep -q "^it's \$(x); \"q\" 5${TAB}" local/part-*
	run -0 --separate-stderr hrun "${job[@]}" -o out -- "${names[@]}" \
		"h1:$remote"
	[ -z "$stderr" ]
	same_dirs out local
	[ ! -e "$pwned" ]
	clean h1 h2 h3
	on h1 "rm $(printf %q "$remote")"
}

@test "a --remote-dir with a leading -, spaces, quotes, backslashes, \$(...) and ; holds the tools and the scratch" {
	odd_names
	rd="$D/-re mote's \"d\" $inj;x"
	mkdir -p "$rd"
	text 6000 11 > in.txt
	script map.sh 'pwd > "$D/cwd.$MR_HOST"; tr -s " " "\n"'
	job=(-m ./map.sh --file map.sh -r count -n 2 --split-size 8K)
	mrrun "${job[@]}" -o local in.txt
	run -0 --separate-stderr hrun --joblog jl --remote-dir "$rd" "${job[@]}" \
		-o out in.txt
	[ -z "$stderr" ]
	same_dirs out local
	[ ! -e "$pwned" ]
	for h in $(jl_hosts jl m-); do
		[[ "$(cat "$D/cwd.$h")" == "$rd/mrrun-"*/files ]]
	done
	# the shipped tools stay; the scratch directories do not
	[ "$(ls -A "$rd")" = mr-tools-0 ]
	clean h1 h2 h3
}

@test "a HOST:PATH input is read in place on that host, and its map tasks run there only" {
	seq 30000 > local.txt
	on h2 'seq 30000 > /tmp/only-h2.txt'
	job=(-m cat -r count -n 2 --split-size 16K)
	[ "$(map_tasks "${job[@]}" local.txt)" -ge 3 ]
	mrrun "${job[@]}" -o local local.txt
	run -0 --separate-stderr hrun --joblog jl "${job[@]}" -o out h2:/tmp/only-h2.txt
	[ -z "$stderr" ]
	[ "$(jl_hosts jl m-)" = h2 ]
	[ "$(grep -c '^m-' jl)" -ge 3 ]
	for f in part-00000 part-00001; do
		cmp "out/$f" "local/$f"
	done
	on h2 'rm /tmp/only-h2.txt'
}

@test "a HOST:PATH input beside a local file: the local one is streamed to the hosts" {
	seq 1000 > a.txt
	on h3 'seq 1001 2000 > /tmp/b.txt'
	run -0 --separate-stderr hrun -m cat -r count -o out a.txt h3:/tmp/b.txt
	[ -z "$stderr" ]
	seq 2000 | sort | awk '{ print $0 "\t1" }' | cmp - out/part-00000
	on h3 'rm /tmp/b.txt'
}

@test "a HOST:PATH input that the host lacks is an error that names it" {
	seq 10 > here.txt
	run -1 --separate-stderr hrun -m cat -r count -o out h1:/tmp/nothing.txt
	assert_stderr_prefix "mrrun: "
	[[ "$stderr" == *"/tmp/nothing.txt"* ]]
	[ ! -e out ]
	# a file of the controller's /tmp is not one of the host's
	case $PWD in
	/tmp/*) ;;
	*) return 0 ;;
	esac
	run -1 --separate-stderr hrun -m cat -r count -o out "h1:$PWD/here.txt"
	assert_stderr_prefix "mrrun: "
	[[ "$stderr" == *"$PWD/here.txt"* ]]
	[ ! -e out ]
	clean h1 h2 h3
}

@test "a local file named HOST:NAME is read as ./HOST:NAME" {
	seq 100 > 'h1:data'
	run -0 --separate-stderr hrun -m cat -r count -o out ./h1:data
	[ -z "$stderr" ]
	seq 100 | sort | awk '{ print $0 "\t1" }' | cmp - out/part-00000
}

@test "--shuffle=direct writes the local run's bytes" {
	text 30000 8 > in.txt
	wc_job
	mrrun "${job[@]}" -o local in.txt
	run -0 --separate-stderr hrun --shuffle=direct "${job[@]}" -o out in.txt
	[ -z "$stderr" ]
	same_dirs out local
	run -0 --separate-stderr hrun --shuffle=relay "${job[@]}" -o out2 in.txt
	same_dirs out2 local
}

@test "a bad --shuffle is a usage error" {
	seq 10 > in.txt
	run -2 --separate-stderr hrun --shuffle=sideways -m cat -r count in.txt
	assert_stderr_prefix "mrrun: "
	[ -z "$output" ]
}

@test "--remote-path names the tools on the hosts, without --ship" {
	mkdir "$D/tools"
	cp "$MR_BUILD"/bin/mr* "$D/tools/"
	text 12000 9 > in.txt
	wc_job
	mrrun "${job[@]}" -o local in.txt
	run -0 --separate-stderr mrrun --ssh-config "$CFG" --hosts "$HOSTS" \
		--remote-path "$D/tools" "${job[@]}" -o out in.txt
	[ -z "$stderr" ]
	same_dirs out local
}

@test "without --ship, a host without the tools is skipped, and with none the job fails" {
	seq 10 > in.txt
	run -1 --separate-stderr mrrun --ssh-config "$CFG" --hosts "$HOSTS" \
		-m cat -r count -o out in.txt
	for h in h1 h2 h3; do
		[[ "$stderr" == *"mrrun: host $h: "* ]]
	done
	[[ "$stderr" == *"mrrun: no host is reachable" ]]
	[ ! -e out ]
}

@test "without --ship, a host whose mrrun is another version is skipped" {
	mkdir "$D/old"
	printf '#!/bin/sh\necho "mrrun 0.0.0-other"\n' > "$D/old/mrrun"
	chmod +x "$D/old/mrrun"
	seq 10 > in.txt
	run -1 --separate-stderr mrrun --ssh-config "$CFG" --hosts h1 \
		--remote-path "$D/old" -m cat -r count -o out in.txt
	[[ "$stderr" == *"mrrun: host h1: "* ]]
	[[ "$stderr" == *"mrrun: no host is reachable" ]]
	[ ! -e out ]
	clean h1
}

@test "--ship copies the tools once and a later job reuses them" {
	seq 100 > in.txt
	hrun -m cat -r count -o out1 in.txt
	before=$(on h1 'stat -c "%i %Y" /tmp/mr-tools-0/mrrun')
	[ -n "$before" ]
	run -0 on h1 '/tmp/mr-tools-0/mrrun --version'
	[ "$output" = "$(mrrun --version)" ]
	hrun -m cat -r count -o out2 in.txt
	[ "$(on h1 'stat -c "%i %Y" /tmp/mr-tools-0/mrrun')" = "$before" ]
	cmp out1/part-00000 out2/part-00000
}

@test "--rsh runs the hosts' commands through a launcher" {
	cat > rsh.sh <<-EOF
	#!/bin/sh
	echo "\$1" >> '$PWD/rsh.log'
	exec ssh -F '$CFG' "\$@"
	EOF
	chmod +x rsh.sh
	text 12000 10 > in.txt
	wc_job
	mrrun "${job[@]}" -o local in.txt
	run -0 --separate-stderr mrrun --ship --rsh "$PWD/rsh.sh" --hosts "$HOSTS" \
		"${job[@]}" -o out in.txt
	[ -z "$stderr" ]
	same_dirs out local
	[ "$(sort -u rsh.log | tr '\n' ' ')" = "h1 h2 h3 " ]
}

@test "tasks on a host see the session's environment, not the controller's, and the Hadoop variables" {
	seq 1000 > in.txt
	run -0 --separate-stderr env MR_FROM_CONTROLLER=yes \
		mrrun --ship --ssh-config "$CFG" --hosts "$HOSTS" -r NONE \
		--split-size 1K -m 'cat > /dev/null
		echo "${MR_HOST-none} ${MR_FROM_CONTROLLER-unset} $mapreduce_task_ismap $mapreduce_task_partition"' \
		in.txt
	[ -z "$stderr" ]
	n=$(map_tasks -m cat -r NONE --split-size 1K in.txt)
	[ "${#lines[@]}" -eq "$n" ]
	for i in $(seq 0 $((n - 1))); do
		[[ "${lines[$i]}" =~ ^h[123]\ unset\ true\ $i$ ]]
	done
}

@test "--resume with --hosts is a usage error" {
	seq 10 > in.txt
	run -2 --separate-stderr hrun --resume -m cat -r count -o out in.txt
	assert_stderr_prefix "mrrun: "
	[ ! -e out ]
}

@test "a --file that does not exist is an error before any work, with hosts and without" {
	seq 10 > in.txt
	run --separate-stderr hrun -m ./map.sh --file map.sh -r count -o out in.txt
	[ "$status" -eq 1 ] || [ "$status" -eq 2 ]
	assert_stderr_prefix "mrrun: "
	[[ "$stderr" == *map.sh* ]]
	[ ! -e out ] && [ ! -e .out.mrrun ]
	run --separate-stderr mrrun -m ./map.sh --file map.sh -r count -o out in.txt
	[ "$status" -eq 1 ] || [ "$status" -eq 2 ]
	assert_stderr_prefix "mrrun: "
	[[ "$stderr" == *map.sh* ]]
	[ ! -e out ] && [ ! -e .out.mrrun ]
	clean h1 h2 h3
}

@test "a mapper that fails once on a host runs again, and the counters are the local run's" {
	seq 3000 > in.txt
	# the first attempt anywhere fails, and no other: mkdir makes the
	# marker, in $D or locally in .
	script map.sh 'm=$D/failed; [ -n "${MR_HOST-}" ] || m=./failed
		! mkdir "$m" 2> /dev/null || { echo oops >&2; exit 3; }
		cat'
	job=(-m ./map.sh --file map.sh -r count --split-size 1K)
	mrrun "${job[@]}" -o local in.txt
	grep -qx "mr${TAB}FAILED_ATTEMPTS${TAB}1" local/_counters
	run -0 --separate-stderr hrun --joblog jl "${job[@]}" -o out in.txt
	assert_stderr_prefix "mrrun: map task "
	[[ "$stderr" == *"; trying again" ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
	same_dirs out local
	[ "$(awk -F '\t' 'NR > 1 && $5 != 0' jl | wc -l)" -eq 1 ]
}

@test "a mapper that always fails on the hosts fails the job with its stderr" {
	seq 100 > in.txt
	run -1 --separate-stderr hrun -o out \
		-m 'echo "mapper says: no good on $MR_HOST" >&2; exit 3' -r count in.txt
	assert_stderr_prefix "mrrun: map task 0 (in.txt bytes 0-292) failed"
	[[ "$stderr" == *"mrrun: map task 0 (in.txt bytes 0-292) failed 4 times: "* ]]
	[[ "$stderr" == *"mapper says: no good on h"[123]* ]]
	[ ! -e out ]
	clean h1 h2 h3
}

@test "a host's slots are -j N when its line has no number" {
	seq 4000 > in.txt
	# a map task waits for two more to run beside it
	meeting_mapper 3
	job=(-m ./map.sh --file map.sh -r count --split-size 1K)
	[ "$(map_tasks "${job[@]}" in.txt)" -ge 3 ]
	run -0 --separate-stderr mrrun --ship --ssh-config "$CFG" \
		--hosts h1 -j 3 --joblog jl "${job[@]}" -o out in.txt
	[ -z "$stderr" ]
	[ ! -e "$D/alone" ]
	[ "$(jl_hosts jl)" = h1 ]
	sort in.txt | awk '{ print $0 "\t1" }' | cmp - out/part-00000
}

@test "a host of 1 slot runs one task at a time, whatever -j says" {
	seq 3000 > in.txt
	printf 'h1 1\n' > hosts
	script map.sh 'mkdir "$D/busy" 2> /dev/null || touch "$D/overlap"
		cat
		sleep 0.2
		rmdir "$D/busy" 2> /dev/null'
	job=(-m ./map.sh --file map.sh -r count --split-size 1K)
	[ "$(map_tasks "${job[@]}" in.txt)" -ge 4 ]
	run -0 --separate-stderr mrrun --ship --ssh-config "$CFG" \
		--hosts hosts -j 4 "${job[@]}" -o out in.txt
	[ -z "$stderr" ]
	[ ! -e "$D/overlap" ]
	sort in.txt | awk '{ print $0 "\t1" }' | cmp - out/part-00000
}

@test "--file copies a file beside the mapper, keeping its exec bit and no other's" {
	printf 'a\tapple\nb\tbanana\n' > lookup.txt
	chmod 644 lookup.txt
	printf 'a\nb\na\n' > in.txt
	script map.sh '[ -x map.sh ] && [ ! -x lookup.txt ] || exit 9
		awk -F "\t" "NR == FNR { v[\$1] = \$2; next } { print v[\$1] }" lookup.txt -'
	job=(-m ./map.sh --file map.sh --file lookup.txt -r count)
	mrrun "${job[@]}" -o local in.txt
	[ "$(cat local/part-00000)" = "$(printf 'apple\t2\nbanana\t1')" ]
	run -0 --separate-stderr hrun "${job[@]}" -o out in.txt
	[ -z "$stderr" ]
	same_dirs out local
}

@test "standard input, a directory and a .gz input are streamed to the hosts as local mode reads them" {
	mkdir -p in/sub in/_logs in/.hidden
	seq 1000 > in/a.txt
	seq 500 > in/sub/b.txt
	echo skipped > in/_SUCCESS
	echo skipped > in/.part.tmp
	echo skipped > in/_logs/x.txt
	seq 20000 | gzip -c > c.txt.gz
	job=(-m cat -r NONE --split-size 2K)
	seq 7 | mrrun "${job[@]}" -o local in c.txt.gz -
	run -0 --separate-stderr bash -c 'seq 7 | "$@"' sh mrrun --ship \
		--ssh-config "$CFG" --hosts "$HOSTS" "${job[@]}" -o out in c.txt.gz -
	[ -z "$stderr" ]
	same_dirs out local
	! grep -q skipped out/part-*
}

@test "a HOST:PATH directory is read in name order, without _ and . names, on that host" {
	on h3 'mkdir -p /tmp/d/sub /tmp/d/_logs && seq 1000 > /tmp/d/a.txt &&
		seq 500 > /tmp/d/sub/b.txt && echo skipped > /tmp/d/_SUCCESS &&
		echo skipped > /tmp/d/.part.tmp && echo skipped > /tmp/d/_logs/x.txt'
	mkdir -p d/sub
	seq 1000 > d/a.txt
	seq 500 > d/sub/b.txt
	job=(-m cat -r count -n 2 --split-size 2K)
	mrrun "${job[@]}" -o local d
	run -0 --separate-stderr hrun --joblog jl "${job[@]}" -o out h3:/tmp/d
	on h3 'rm -r /tmp/d'
	[ -z "$stderr" ]
	[ "$(jl_hosts jl m-)" = h3 ]
	for f in part-00000 part-00001; do
		cmp "out/$f" "local/$f"
	done
}

@test "a HOST:PATH .gz input is read through gzip -dc on that host" {
	seq 20000 | gzip -c > c.txt.gz
	ssh -F "$CFG" h3 'cat > /tmp/c.txt.gz' < c.txt.gz
	job=(-m cat -r count -n 2 --split-size 2K)
	mrrun "${job[@]}" -o local c.txt.gz
	run -0 --separate-stderr hrun --joblog jl "${job[@]}" -o out h3:/tmp/c.txt.gz
	on h3 'rm /tmp/c.txt.gz'
	[ -z "$stderr" ]
	[ "$(grep -c '^m-' jl)" -eq 1 ]
	[ "$(jl_hosts jl m-)" = h3 ]
	for f in part-00000 part-00001; do
		cmp "out/$f" "local/$f"
	done
}

@test "--total-order over a HOST:PATH input writes the local run's parts" {
	awk -v n=4000 -f "$BATS_TEST_DIRNAME/../scripts/bench/gensort.awk" > g.txt
	ssh -F "$CFG" h2 'cat > /tmp/g.txt' < g.txt
	job=(-m cat -r cat --total-order -n 3 --split-size 64K)
	mrrun "${job[@]}" -o local g.txt
	run -0 --separate-stderr hrun "${job[@]}" -o out h2:/tmp/g.txt
	on h2 'rm /tmp/g.txt'
	[ -z "$stderr" ]
	for f in part-00000 part-00001 part-00002; do
		cmp "out/$f" "local/$f"
	done
}

@test "a map-only job of a HOST:PATH input writes the local run's parts" {
	seq 20000 > in.txt
	ssh -F "$CFG" h1 'cat > /tmp/in.txt' < in.txt
	job=(-m 'sed s/^/x/' -r NONE --split-size 16K)
	mrrun "${job[@]}" -o local in.txt
	run -0 --separate-stderr hrun "${job[@]}" -o out h1:/tmp/in.txt
	[ -z "$stderr" ]
	for f in local/part-*; do
		cmp "$f" "out/${f#local/}"
	done
	[ "$(ls out | grep -c '^part-')" -eq "$(ls local | grep -c '^part-')" ]
	on h1 'rm /tmp/in.txt'
}

@test "mrrun --hosts | head -n 1 ends quietly and leaves nothing on the hosts" {
	seq 300000 > in.txt
	# head leaves while tasks still run and start: try it a few times
	for round in 1 2 3 4 5; do
		run -0 --separate-stderr bash -c '"$@" | head -n 1' sh mrrun \
			--ship --ssh-config "$CFG" --hosts "$HOSTS" -m cat -r NONE \
			--split-size 64K in.txt
		[ "$output" = 1 ]
		[ -z "$stderr" ]
		[ -z "$(find "$TMPDIR" -maxdepth 1 -name 'mrrun-*')" ]
	done
	clean h1 h2 h3
}

@test "--stats over hosts prints the local run's counters" {
	text 6000 12 > in.txt
	wc_job
	run -0 --separate-stderr mrrun --stats "${job[@]}" -o local in.txt
	want=$stderr
	run -0 --separate-stderr hrun --stats "${job[@]}" -o out in.txt
	[ "$stderr" = "$want" ]
	[ "$stderr" = "$(cat out/_counters)" ]
}

@test "--speculate: a reduce task slow on one host is won by a backup elsewhere" {
	text 12000 13 > in.txt
	printf 'h1 1\nh2 1\nh3 1\n' > hosts
	script map.sh 'tr -s " " "\n"'
	# the reduce task on h2 takes 60 s; the others wait until it started
	script red.sh 'case ${MR_HOST-} in
		h2) touch "$D/slow"; sleep 60 ;;
		?*) wait_for "$D/slow" ;;
		esac
		'"$COUNT"
	job=(-m ./map.sh --file map.sh -r ./red.sh --file red.sh -n 3)
	mrrun "${job[@]}" -o local in.txt
	start=$SECONDS
	run -0 --separate-stderr mrrun --ship --ssh-config "$CFG" --hosts hosts \
		--speculate "${job[@]}" -o out in.txt
	echo "the job took $((SECONDS - start)) s" >&2
	[ $((SECONDS - start)) -lt 30 ]
	[ -e "$D/slow" ]
	same_dirs out local
	clean h1 h2 h3
}

@test "a HOST:PATH input names the host as --hosts writes it" {
	on h1 'seq 100 > /tmp/x.txt'
	run -0 --separate-stderr hrun --hosts root@h1,h2 -m cat -r count -o out \
		root@h1:/tmp/x.txt
	[ -z "$stderr" ]
	seq 100 | sort | awk '{ print $0 "\t1" }' | cmp - out/part-00000
	# h1:/tmp/x.txt is then a file of the controller's, which is missing
	run -1 --separate-stderr hrun --hosts root@h1,h2 -m cat -r count -o out2 \
		h1:/tmp/x.txt
	assert_stderr_prefix "mrrun: "
	[[ "$stderr" == *"h1:/tmp/x.txt"* ]]
	[ ! -e out2 ]
	on h1 'rm /tmp/x.txt'
}

@test "the worker: a KILL that comes before its RUN stops the task at once" {
	worker_start
	SECONDS=0
	worker_send K 5
	# the RUN payload (task_pack): task m-00001 that runs sleep 30
	worker_send R 5 m-00001 test 0 0 1 1 2 sleep 30
	worker_read
	[ "$SECONDS" -lt 10 ]
	# after HELLO: DONE 5 of 11 bytes, status -1 (TASK_STOPPED), "killed"
	[ "$msg" = "X${TAB}5${TAB}11${TAB}-1${TAB}killed" ]
	worker_stop
	[ "$worker_status" -eq 0 ]
	[ ! -s worker.err ]
}

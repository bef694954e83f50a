# Shared setup for the mr bats suites: the tools under test come first in
# PATH (MR_BUILD, set by `make check`), each test runs in its own scratch
# directory, and the C locale makes sort and awk oracles bytewise.

bats_require_minimum_version 1.5.0

MR_BUILD=${MR_BUILD:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)/build}
PATH=$MR_BUILD/bin:$MR_BUILD:$PATH
export LC_ALL=C

setup() {
	cd "$BATS_TEST_TMPDIR" || exit 1
}

TAB=$(printf '\t')

# flip FILE OFFSET: xor the byte at OFFSET with 0x01.
flip() {
	local byte
	byte=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "\\$(printf %o $((byte ^ 1)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# frame TEXTFILE OUT: convert text lines to a framed stream.
frame() {
	mrmerge "$1" -o "$2"
}

# words N SEED: N pseudo-random lowercase words with repeats, one a line.
words() {
	awk -v n="$1" -v seed="$2" 'BEGIN {
		srand(seed)
		for (i = 0; i < n; i++) {
			len = 1 + int(rand() * 6)
			w = ""
			for (j = 0; j < len; j++)
				w = w sprintf("%c", 97 + int(rand() * 6))
			print w
		}
	}'
}

# bad_templates TOOL PREFIX: TOOL -n 3 -o TEMPLATE in refuses, as a usage
# error, templates with a field width over 99 (each starting with
# PREFIX), and shows a long template cut to 40 bytes.
bad_templates() {
	local t long why
	why="(it needs one integer conversion such as %d or %05d, of width at most 99)"
	for t in "$2%2147483648d" "$2%99999999d" "$2%100d" "$2%-0100x"; do
		run -2 --separate-stderr "$1" -n 3 -o "$t" in
		[ "${stderr%%$'\n'*}" = "$1: bad template: $t $why" ]
	done
	long=$(printf '%s%%d%05000d' "$2" 0)
	run -2 --separate-stderr "$1" -n 3 -o "$long%s" in
	[ "${stderr%%$'\n'*}" = "$1: bad template: ${long:0:40}... $why" ]
}

# low_limit CMD...: runs CMD under a soft and hard open-file limit of 32.
low_limit() {
	bash -c 'ulimit -n 32 && exec "$@"' low_limit "$@"
}

# assert_status WANT: the status of the last `run`.
assert_status() {
	if [ "$status" -ne "$1" ]; then
		echo "status $status, want $1; stderr: ${stderr-}" >&2
		return 1
	fi
}

# assert_stderr_prefix PREFIX
assert_stderr_prefix() {
	case "$stderr" in
	"$1"*) ;;
	*) echo "stderr '$stderr' does not start with '$1'" >&2; return 1 ;;
	esac
}

# no_temps DIR: no temp file of an output is left in DIR.
no_temps() {
	local left
	left=$(find "$1" -name '.*.??????' | head -n 5)
	if [ -n "$left" ]; then
		echo "temp files left: $left" >&2
		return 1
	fi
}

# wait_for TEST...: polls the shell test TEST for up to 30 s, or until
# the job in the background ($JOB, if set) ends, when its stderr (mr.err)
# tells why.
wait_for() {
	local i
	for i in $(seq 600); do
		if "$@"; then
			return 0
		fi
		if [ -n "${JOB-}" ] && ! kill -0 "$JOB" 2> /dev/null; then
			echo "the job ended while waiting for: $*" >&2
			cat mr.err >&2 2> /dev/null || true
			return 1
		fi
		sleep 0.05
	done
	echo "timed out waiting for: $*" >&2
	return 1
}

# map_tasks ARGS...: the number of map tasks that mrrun ARGS plans.
map_tasks() {
	mrrun --dry-run "$@" | grep -c '^# map task '
}

# input N SEED: N key<TAB>value lines of words with many repeated keys;
# the value is the line number, so order and duplicates can be checked.
input() {
	words "$1" "$2" | awk '{ print $0 "\t" NR }'
}

# on HOST COMMAND: run the shell text COMMAND on HOST of the test
# cluster whose ssh configuration is $CFG.
on() {
	ssh -F "$CFG" "$@" < /dev/null
}

# ns_procs NS [PID]: the processes in the mount namespace whose inode is
# NS, but PID.
ns_procs() {
	stat -L -c '%i %n' /proc/[0-9]*/ns/mnt 2> /dev/null |
		awk -v ns="$1" -v but="${2-}" '$1 == ns {
			split($2, f, "/"); if (f[3] != but) print f[3] }'
}

# worker_start [NAME=VALUE...]: "mrrun --worker" in the background with
# NAME=VALUE... in its environment, its scratch directory in ./scratch
# and its stderr in worker.err; its channel is two fifos: fd 5 writes to
# it, fd 6 reads from it (worker_send, worker_read).  Reads its HELLO.
worker_start() {
	mkfifo to from
	env "$@" mrrun --worker --remote-dir="$BATS_TEST_TMPDIR/scratch" \
		< to > from 2> worker.err &
	WORKER_PID=$!
	exec 5> to 6< from
	worker_read
	[ "${field[0]}" = H ]
}

# worker_send TYPE ID [STRING...]: sends the worker a message, as
# wiretool send writes it: its payload is each STRING and a NUL.
worker_send() {
	wiretool send "$@" >&5
}

# worker_read: the worker's next message as wiretool recv prints it
# (type, id, payload length, then the payload's fields, tab-separated) in
# $msg, and its fields in the array field.
worker_read() {
	msg=$(wiretool recv <&6) || return 1
	readarray -t -d "$TAB" field < <(printf '%s' "$msg")
}

# worker_stop: closes the channel of the worker that worker_start
# started, which then ends, and waits for it; its exit status in
# worker_status.
worker_stop() {
	exec 5>&- 6<&-
	worker_status=0
	wait "$WORKER_PID" || worker_status=$?
	WORKER_PID=
}

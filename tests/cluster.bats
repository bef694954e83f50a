#!/usr/bin/env bats
# scripts/cluster: real sshd hosts on 127.0.0.1 that answer ssh, each with
# a /tmp and a scratch directory nobody else sees, and that kill and stop
# end whole, with everything they ran.

load test_helper

CLUSTER=$BATS_TEST_DIRNAME/../scripts/cluster

# One cluster for the tests that leave it as it was; the tests that kill
# or stop hosts start their own.  Its state cannot be under /tmp, which
# the hosts hide, so it goes under /var/tmp.
setup_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	# not under /tmp, which every host hides (a clone may live there)
	CL=$(mktemp -d /var/tmp/mr-cluster.XXXXXX)
	# what test_helper's on uses
	CFG=$CL/c/ssh_config
	export CL CFG
	"$CLUSTER" start 3 "$CL/c"
}

teardown_file() {
	local d
	if [ -n "${CL-}" ]; then
		for d in "$CL"/*; do
			[ ! -f "$d/hosts" ] || "$CLUSTER" stop "$d" || true
		done
		rm -rf "$CL"
	fi
}

# root: skip the test unless it runs as root, as sshd and mount need.
root() {
	[ "$(id -u)" -eq 0 ] || skip "sshd and mount namespaces need root"
}

# A test that failed may leave the files it made in /tmp.
teardown() {
	rm -f "/tmp/cluster-test.$$" "/tmp/cluster-test.controller.$$"
}

# running PID: PID has not exited (a zombie has).
running() {
	[ -e "/proc/$1/stat" ] && ! awk '{ sub(/.*\) /, ""); exit $1 != "Z" }' \
		"/proc/$1/stat"
}

@test "start prints the hosts file, which names every host" {
	root
	run -0 cat "$CL/c/hosts"
	[ "$output" = "$(printf 'h1\nh2\nh3')" ]
}

@test "every host runs a command over ssh -F DIR/ssh_config" {
	root
	for h in h1 h2 h3; do
		run -0 --separate-stderr on "$h" 'echo "$MR_HOST"'
		[ "$output" = "$h" ]
		[ -z "$stderr" ]
	done
}

@test "status says every host is up" {
	root
	run -0 "$CLUSTER" status "$CL/c"
	[ "$output" = "$(printf 'h1 up\nh2 up\nh3 up')" ]
}

@test "every host has a mount namespace of its own" {
	root
	local seen
	seen=$(stat -L -c %i /proc/self/ns/mnt)
	for h in h1 h2 h3; do
		run -0 on "$h" 'stat -L -c %i /proc/self/ns/mnt'
		[[ "$output" =~ ^[0-9]+$ ]]
		[[ " $seen " != *" $output "* ]]
		seen="$seen $output"
	done
}

@test "a file h1 writes in /tmp is seen by h1 only" {
	root
	local f=/tmp/cluster-test.$$
	run -0 on h1 "echo one > $f && cat $f"
	[ "$output" = one ]
	run -0 on h1 "cat $f"
	[ "$output" = one ]
	run -1 on h2 "test -e $f"
	run -1 on h3 "test -e $f"
	[ ! -e "$f" ]
}

@test "a file h1 writes in its scratch directory is seen by h1 only" {
	root
	for h in h1 h2 h3; do
		run -0 on "$h" 'echo "$MR_SCRATCH"'
		[ "$output" = "$CL/c/scratch" ]
	done
	run -0 on h1 'echo one > "$MR_SCRATCH/f" && cat "$MR_SCRATCH/f"'
	[ "$output" = one ]
	run -1 on h2 'test -e "$MR_SCRATCH/f"'
	run -1 on h3 'test -e "$MR_SCRATCH/f"'
	[ -d "$CL/c/scratch" ]
	[ ! -e "$CL/c/scratch/f" ]
}

@test "a file the controller writes in /tmp is not seen by a host" {
	root
	local f=/tmp/cluster-test.controller.$$
	echo controller > "$f"
	run -1 on h1 "test -e $f"
	rm -f "$f"
	# nor is a file in the scratch directory below the hosts' mounts
	echo controller > "$CL/c/scratch/g"
	run -1 on h2 'test -e "$MR_SCRATCH/g"'
	rm -f "$CL/c/scratch/g"
}

@test "kill ends one host and everything it ran, and no other" {
	root
	local cfg=$CL/k/ssh_config ns pid
	run -0 "$CLUSTER" start 3 "$CL/k"
	[ "$output" = "$CL/k/hosts" ]
	ns=$(ssh -F "$cfg" h2 'stat -L -c %i /proc/self/ns/mnt')
	pid=$(ssh -F "$cfg" h2 'sleep 1000 < /dev/null > /dev/null 2>&1 & echo $!')
	running "$pid"
	[ "$(stat -L -c %i "/proc/$pid/ns/mnt")" = "$ns" ]
	[ -n "$(ns_procs "$ns")" ]

	run -0 --separate-stderr "$CLUSTER" kill "$CL/k" h2
	[ -z "$output" ]
	[ -z "$stderr" ]
	run -255 ssh -F "$cfg" h2 true
	run -0 ssh -F "$cfg" h1 true
	run -0 ssh -F "$cfg" h3 true
	run -1 running "$pid"
	[ -z "$(ns_procs "$ns")" ]
	run -1 "$CLUSTER" status "$CL/k"
	[ "$output" = "$(printf 'h1 up\nh2 down\nh3 up')" ]
	# a dead host dies again quietly
	run -0 "$CLUSTER" kill "$CL/k" h2
	run -0 "$CLUSTER" stop "$CL/k"
}

@test "stop ends every host and everything it ran, and removes the state" {
	root
	local cfg=$CL/s/ssh_config ns1 ns2 pid port
	run -0 "$CLUSTER" start 2 "$CL/s"
	ns1=$(ssh -F "$cfg" h1 'stat -L -c %i /proc/self/ns/mnt')
	ns2=$(ssh -F "$cfg" h2 'stat -L -c %i /proc/self/ns/mnt')
	pid=$(ssh -F "$cfg" h1 'sleep 1000 < /dev/null > /dev/null 2>&1 & echo $!')
	port=$(awk '$1 == "Port" { print $2; exit }' "$cfg")
	running "$pid"
	[ -n "$(pgrep -f "$CL/s/")" ]

	run -0 --separate-stderr "$CLUSTER" stop "$CL/s"
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ -z "$(pgrep -f "$CL/s/")" ]
	run -1 running "$pid"
	[ -z "$(ns_procs "$ns1")" ]
	[ -z "$(ns_procs "$ns2")" ]
	run ! bash -c "exec 3<> /dev/tcp/127.0.0.1/$port"
	[ ! -e "$CL/s" ]
}

@test "start in a directory that is not empty fails" {
	root
	mkdir -p "$CL/full"
	: > "$CL/full/x"
	run -1 --separate-stderr "$CLUSTER" start 1 "$CL/full"
	assert_stderr_prefix "cluster: $CL/full: not empty"
	[ "$(ls -A "$CL/full")" = x ]
}

@test "start refuses a directory under /tmp" {
	run -2 --separate-stderr "$CLUSTER" start 1 /tmp/cluster-test.$$
	assert_stderr_prefix "cluster: /tmp/cluster-test.$$: under /tmp"
	[ ! -e "/tmp/cluster-test.$$" ]
}

@test "start refuses a number of hosts that is not one" {
	for k in 0 x -1 ''; do
		run -2 --separate-stderr "$CLUSTER" start "$k" "$CL/n"
		assert_stderr_prefix "cluster: $k: not a number of hosts"
	done
	[ ! -e "$CL/n" ]
}

@test "kill of a host the cluster does not have fails" {
	root
	run -1 --separate-stderr "$CLUSTER" kill "$CL/c" h9
	assert_stderr_prefix "cluster: h9: no such host"
}

@test "stop of a directory with no cluster fails" {
	root
	run -1 --separate-stderr "$CLUSTER" stop "$CL"
	assert_stderr_prefix "cluster: $CL: no cluster there"
}

@test "no command, an unknown one or missing operands is a usage error" {
	for args in "" "restart $CL/c" "start 1" "stop" "kill $CL/c" \
	    "status $CL/c extra"; do
		# shellcheck disable=SC2086
		run -2 --separate-stderr "$CLUSTER" $args
		assert_stderr_prefix "usage: cluster start K DIR"
	done
}

#!/usr/bin/env bats
# Child processes and pipes (tools/child.c): a pipe made in one thread
# never leaks into a child that another thread starts, and every child,
# of every tool, starts with descriptors 0 to 2 only (and the one more it
# is given, as mrrun's tasks are the read end of its lifeline), no signal
# blocked, and SIGHUP, SIGINT, SIGPIPE, SIGQUIT and SIGTERM at their
# defaults.
# build/spawntest makes the races and does the checking; "spawntest bare"
# starts a tool with the descriptors that bats holds open closed.

load test_helper

# check_out N: the output of a job whose N map tasks ran "spawntest
# check": an "ok" from each.
check_out() {
	local i
	for ((i = 0; i < $1; i++)); do
		echo ok
	done
}

@test "the check sees a descriptor left open" {
	run -1 --separate-stderr spawntest check 7< /dev/null
	[ "$output" = leak ]
	[[ "$stderr" == *"spawntest: check: descriptor 7 is open"* ]]
}

@test "the check sees an ignored signal and a child in its parent's group" {
	run -1 --separate-stderr spawntest bare bash -c \
		"trap '' PIPE; exec spawntest check group"
	[ "$output" = leak ]
	[[ "$stderr" == *"spawntest: check: signal 13 is not at its default"* ]]
	[[ "$stderr" == *"spawntest: check: not in a process group of its own"* ]]
	[[ "$stderr" != *"descriptor"* ]]
}

@test "pipes made in other threads never reach a child, however it is started" {
	run -0 --separate-stderr "$MR_BUILD/spawntest" race 900
	[ "$output" = "900 children, 0 failed the check" ]
	[ -z "$stderr" ]
}

@test "pipes made with pipe() and then fcntl() reach other threads' children: the race test sees it" {
	run -1 --separate-stderr "$MR_BUILD/spawntest" race -r 300
	[[ "$output" =~ ^300\ children,\ [1-9][0-9]*\ failed\ the\ check$ ]]
	assert_stderr_prefix "spawntest: check: descriptor "
}

@test "a child given one more descriptor has it at its number, and no other, however it is started" {
	run -0 --separate-stderr "$MR_BUILD/spawntest" keep
	[ "$output" = "3 children, 0 failed the check" ]
	[ -z "$stderr" ]
}

@test "the check sees a descriptor it was told of that is not open" {
	run -1 --separate-stderr spawntest bare spawntest check 7
	[ "$output" = leak ]
	[ "$stderr" = "spawntest: check: descriptor 7 is not open" ]
}

@test "mrmap's command of plain words starts clean, with ignored signals at their defaults" {
	: > empty
	trap '' PIPE INT QUIT
	run -0 --separate-stderr spawntest bare mrmap --text \
		'spawntest check group' empty
	trap - PIPE INT QUIT
	[ "$output" = ok ]
	[ -z "$stderr" ]
}

@test "mrmap's and mrreduce's commands run by sh start clean" {
	printf 'a\tb\n' > in
	run -0 --separate-stderr spawntest bare mrmap --text \
		'exec spawntest check group' in
	[ "$output" = ok ]
	[ -z "$stderr" ]
	run -0 --separate-stderr spawntest bare mrreduce \
		'exec spawntest check group' in
	[ "$output" = ok ]
	[ -z "$stderr" ]
	run -0 --separate-stderr spawntest bare mrreduce \
		'spawntest check group' in
	[ "$output" = ok ]
	[ -z "$stderr" ]
}

@test "an mrrun job's mappers start clean, through mrrun's tasks and mrmap" {
	seq 20000 > in
	run -0 --separate-stderr spawntest bare mrrun -j 3 --split-size 16k \
		-m 'spawntest check group' -r cat -o out in
	[ -z "$stderr" ]
	cat out/part-* | cmp - <(check_out 7)
}

@test "over hosts, the tasks and the input sender's mrsplit start clean" {
	# hosts on this machine: the launcher runs the command itself
	printf '#!/bin/sh\nshift\nexec sh -c "$1"\n' > here.sh
	# mrrun's own tools, with an mrsplit that checks first
	mkdir tools
	cp "$MR_BUILD"/bin/* tools/
	mv tools/mrsplit tools/mrsplit.real
	cat > tools/mrsplit <<-EOF
	#!/bin/sh
	spawntest check > /dev/null || exit 1
	exec '$PWD/tools/mrsplit.real' "\$@"
	EOF
	chmod +x here.sh tools/mrsplit
	mkdir remote
	seq 20000 > in
	run -0 --separate-stderr spawntest bare tools/mrrun --rsh "$PWD/here.sh" \
		--hosts a,b,c --remote-path "$PWD/tools" --remote-dir "$PWD/remote" \
		--split-size 16k -m 'spawntest check group' -r cat -o out in
	[ -z "$stderr" ]
	cat out/part-* | cmp - <(check_out 7)
}

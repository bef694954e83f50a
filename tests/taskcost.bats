#!/usr/bin/env bats
# What a tiny task costs: the "mkdir -p" and "rm -rf" of a task that mrrun
# does itself (through "mrrun --worker", which runs any task it is sent,
# and through whole jobs), and the mapper or reducer of plain words that
# mrmap and mrreduce run without /bin/sh, against what sh does.

load test_helper

setup() {
	cd "$BATS_TEST_TMPDIR" || exit 1
	export TMPDIR=$BATS_TEST_TMPDIR
	# a mkdir and an rm that exit 7, first in the PATH where a test shows
	# that no mkdir or rm program ran
	mkdir fake
	printf '#!/bin/sh\necho "fake mkdir $*" >&2\nexit 7\n' > fake/mkdir
	printf '#!/bin/sh\necho "fake rm $*" >&2\nexit 7\n' > fake/rm
	chmod +x fake/mkdir fake/rm
	# parent: a mapper that prints the name of the process that ran it
	printf '#!/bin/sh\nps -o comm= -p "$PPID"\n' > parent
	chmod +x parent
	printf 'a\nb\n' > in
}

teardown() {
	if [ -e "$BATS_TEST_TMPDIR/t/a/f" ]; then
		chattr -i "$BATS_TEST_TMPDIR/t/a/f"
	fi
	if [ -n "${WORKER_PID-}" ]; then
		worker_stop
	fi
}

# worker_run ARG...: sends the worker of worker_start (test_helper) a
# task of one program, ARG..., and exits with the status of its DONE,
# whose message it prints.
worker_run() {
	worker_send R 1 t-1 'a test task' 0 0 1 1 "$#" "$@"
	worker_read
	[ "${field[0]}" = X ]
	printf '%s\n' "${field[4]-}"
	return $((field[3] & 255))
}

LONG=$(printf 'x%.0s' $(seq 300))

@test "mkdir -p makes the directories and those above them without a mkdir" {
	worker_start PATH="$BATS_TEST_TMPDIR/fake:$PATH"
	run -0 worker_run mkdir -p "$PWD/a/b/c" "$PWD/d"
	[ "$output" = "" ]
	[ -d a/b/c ] && [ -d d ]
}

@test "mkdir -p of a directory that exists, or a link to one, succeeds" {
	mkdir -p a/b
	ln -s a/b link
	worker_start PATH="$BATS_TEST_TMPDIR/fake:$PATH"
	run -0 worker_run mkdir -p "$PWD/a/b" "$PWD/link" "$PWD/a//b/"
	[ "$output" = "" ]
	[ -L link ]
}

@test "mkdir -p makes directories of the modes the real mkdir -p makes" {
	# a umask without the owner's write and search: mkdir -p gives them to
	# the directories above the last
	umask 0377
	worker_start PATH="$BATS_TEST_TMPDIR/fake:$PATH"
	run -0 worker_run mkdir -p "$PWD/ours/x/y"
	mkdir -p theirs/x/y
	[ "$(stat -c %a ours ours/x ours/x/y)" = "$(stat -c %a theirs theirs/x theirs/x/y)" ]
}

@test "mkdir -p over a file fails with status 1, naming the file" {
	touch file
	worker_start PATH="$BATS_TEST_TMPDIR/fake:$PATH"
	run -1 worker_run mkdir -p "$PWD/file"
	[ "$output" = "mkdir: cannot create directory '$PWD/file': File exists" ]
}

@test "mkdir -p below a file fails with status 1, naming the path" {
	touch file
	worker_start PATH="$BATS_TEST_TMPDIR/fake:$PATH"
	run -1 worker_run mkdir -p "$PWD/file/sub"
	[ "$output" = "mkdir: cannot create directory '$PWD/file/sub': Not a directory" ]
}

@test "mkdir -p makes the other paths after one failed, as mkdir does" {
	worker_start PATH="$BATS_TEST_TMPDIR/fake:$PATH"
	run -1 worker_run mkdir -p "$PWD/$LONG/x" "$PWD/ok"
	[ "$output" = "mkdir: cannot create directory '$PWD/$LONG/x': File name too long" ]
	[ -d ok ]
}

@test "rm -rf removes a tree without an rm" {
	mkdir -p t/a/b t/c
	touch t/f t/a/g t/a/b/h
	worker_start PATH="$BATS_TEST_TMPDIR/fake:$PATH"
	run -0 worker_run rm -rf "$PWD/t"
	[ "$output" = "" ]
	[ ! -e t ]
}

@test "rm -rf of a path that does not exist, or below a file, succeeds" {
	touch file
	worker_start PATH="$BATS_TEST_TMPDIR/fake:$PATH"
	run -0 worker_run rm -rf "$PWD/nosuch" "$PWD/file/sub"
	[ "$output" = "" ]
	[ -f file ]
}

@test "rm -rf removes links in the tree, never what they point to" {
	mkdir -p keep/sub t/d
	touch keep/f keep/sub/g
	ln -s "$PWD/keep" t/dirlink
	ln -s "$PWD/keep/f" t/d/filelink
	ln -s "$PWD/keep" top
	worker_start PATH="$BATS_TEST_TMPDIR/fake:$PATH"
	run -0 worker_run rm -rf "$PWD/t" "$PWD/top"
	[ ! -e t ] && [ ! -L top ]
	[ -f keep/f ] && [ -f keep/sub/g ]
}

@test "rm -rf fails with status 1, naming the path and the reason" {
	worker_start PATH="$BATS_TEST_TMPDIR/fake:$PATH"
	run -1 worker_run rm -rf "$PWD/$LONG"
	[ "$output" = "rm: cannot remove '$PWD/$LONG': File name too long" ]
}

@test "rm -rf removes all it can, and fails naming what it cannot remove" {
	mkdir -p t/a t/b
	touch t/a/f t/b/g
	chattr +i t/a/f
	worker_start PATH="$BATS_TEST_TMPDIR/fake:$PATH"
	run -1 worker_run rm -rf "$PWD/t"
	[ "$output" = "rm: cannot remove '$PWD/t/a/f': Operation not permitted" ]
	[ -e t/a/f ] && [ ! -e t/b ]
}

@test "mkdir and rm spelt otherwise run the real tools" {
	mkdir d
	worker_start PATH="$BATS_TEST_TMPDIR/fake:$PATH"
	run -7 worker_run rm -rf "$PWD/d/"
	[ "$output" = "rm exited with status 7" ]
	run -7 worker_run rm -r -f "$PWD/d"
	run -7 worker_run rm -fr "$PWD/d"
	run -7 worker_run rm -rf -- "$PWD/d"
	run -7 worker_run rm -rf "$PWD/d/.."
	run -7 worker_run mkdir -p -m 700 "$PWD/e"
	run -7 worker_run mkdir "$PWD/e"
	run -7 worker_run mkdir -p ''
	[ -d d ] && [ ! -e e ]
}

@test "a local job runs its mkdir -p and rm -rf without the programs" {
	PATH=$BATS_TEST_TMPDIR/fake:$PATH run -0 --separate-stderr \
		mrrun -m cat -r NONE in
	[ "$output" = "$(cat in)" ]
	[ "$stderr" = "" ]
}

@test "--dry-run still prints the map task's rm -rf and mkdir -p" {
	run -0 --separate-stderr mrrun --dry-run -m cat -r NONE -o out in
	work=$PWD/.out.mrrun
	[[ "$output" == *" && rm -rf $work/map/m-00000 && mkdir -p $work/map/m-00000 $work/out && "* ]]
}

@test "a job's mkdir -p that fails says why in the task's failure" {
	printf '#!/bin/sh\nexit 3\n' > map
	chmod +x map
	run -1 mrrun --retries 0 -m ./map -r NONE -o out in
	# the job's work directory, kept for --resume, with a file in the way
	rmdir .out.mrrun/out
	touch .out.mrrun/out
	run -1 --separate-stderr mrrun --resume --retries 0 -m ./map -r NONE \
		-o out in
	# (a busy machine may first show that the run waits for the tasks of
	# the one before to end)
	printf '%s\n' "$stderr" | grep -qxF "mrrun: map task 0 (in bytes 0-4) failed: mkdir: cannot create directory '$PWD/.out.mrrun/out': File exists" ||
		{ echo "stderr: $stderr" >&2; return 1; }
}

@test "a job's rm -rf removes what an earlier attempt left, not what links point to" {
	printf '#!/bin/sh\nexit 3\n' > map
	chmod +x map
	run -1 mrrun --retries 0 -m ./map -r NONE -o out in
	mkdir -p keep .out.mrrun/map/m-00000/sub
	touch keep/f
	ln -s "$PWD/keep" .out.mrrun/map/m-00000/sub/link
	printf '#!/bin/sh\nexec cat\n' > map
	run -0 mrrun --resume -m ./map -r NONE -o out in
	[ "$(cat out/part-*)" = "$(cat in)" ]
	[ -f keep/f ]
}

@test "mrmap runs a command of plain words without sh" {
	run -0 --separate-stderr mrmap --text ./parent in
	[ "$output" = mrmap ]
}

@test "mrreduce runs a command of plain words without sh" {
	run -0 --separate-stderr mrreduce ./parent in
	[ "$output" = mrreduce ]
}

@test "a command with any shell syntax, or an assignment first, runs with sh" {
	run -0 --separate-stderr mrmap --text './parent # a comment' in
	[ "$output" = sh ]
	run -0 --separate-stderr mrmap --text 'X=1 ./parent' in
	[ "$output" = sh ]
	run -0 --separate-stderr mrmap --text "./parent 'a'" in
	[ "$output" = sh ]
}

@test "a command named as a shell built-in runs the built-in, not the program" {
	mkdir bin
	printf '#!/bin/sh\necho program\n' > bin/echo
	chmod +x bin/echo
	PATH=$PWD/bin:$PATH run -0 --separate-stderr mrmap --text 'echo built-in' in
	[ "$output" = built-in ]
}

@test "plain words reach the program as its arguments" {
	run -0 --separate-stderr mrmap --text '	tr  a-z   A-Z ' in
	[ "$output" = "$(printf 'A\nB')" ]
	run -0 --separate-stderr mrmap --text '/bin/echo %s,:@+=.x' in
	[ "$output" = "%s,:@+=.x" ]
}

@test "the program is found in the PATH as sh finds it" {
	mkdir -p d1/prog d2 d3
	printf '#!/bin/sh\necho d2\n' > d2/prog
	printf '#!/bin/sh\necho d3\n' > d3/prog
	chmod +x d2/prog d3/prog
	printf '#!/bin/sh\necho not executable\n' > d1/prog2
	cp d3/prog d3/prog2
	dirs=$PWD/d1:$PWD/d2:$PWD/d3
	want=$(PATH=$dirs:$PATH sh -c 'prog; prog2')
	PATH=$dirs:$PATH run -0 --separate-stderr mrmap --text prog in
	[ "$output" = d2 ]
	PATH=$dirs:$PATH run -0 --separate-stderr mrmap --text prog2 in
	[ "$output" = d3 ]
	[ "$want" = "$(printf 'd2\nd3')" ]
}

@test "a program that is not found fails as it does with sh" {
	want=$(sh -c nosuchprog 2>&1 || true)
	run -1 --separate-stderr mrmap --text nosuchprog in
	[ "$stderr" = "$want
mrmap: command \"nosuchprog\" exited with status 127" ]
	want=$(sh -c ./nosuch 2>&1 || true)
	run -1 --separate-stderr mrmap --text ./nosuch in
	[ "$stderr" = "$want
mrmap: command \"./nosuch\" exited with status 127" ]
}

@test "a file that is not executable fails as it does with sh" {
	printf 'cat\n' > noexec
	want=$(sh -c ./noexec 2>&1 || true)
	run -1 --separate-stderr mrmap --text ./noexec in
	[ "$stderr" = "$want
mrmap: command \"./noexec\" exited with status 126" ]
}

@test "a script without #! runs with sh, as sh runs it" {
	printf 'echo "script $1"\ncat\n' > script
	chmod +x script
	run -0 --separate-stderr mrmap --text './script x' in
	[ "$output" = "$(printf 'script x\na\nb')" ]
}

@test "the exit status of a program run without sh is the command's" {
	printf '#!/bin/sh\ncat > /dev/null\nexit 3\n' > three
	chmod +x three
	run -1 --separate-stderr mrmap --text ./three in
	[ "$stderr" = 'mrmap: command "./three" exited with status 3' ]
}

@test "the program gets the environment, with PWD as sh sets it" {
	mkdir real
	ln -s real link
	run -0 --separate-stderr mrmap --text 'printenv map_input_file' in
	[ "$output" = in ]
	cd link
	want=$(PWD=/ sh -c 'printenv PWD')
	PWD=/ run -0 --separate-stderr mrmap --text 'printenv PWD' ../in
	[ "$output" = "$want" ]
	want=$(PWD=$BATS_TEST_TMPDIR/link sh -c 'printenv PWD')
	[ "$want" = "$BATS_TEST_TMPDIR/link" ]
	PWD=$BATS_TEST_TMPDIR/link run -0 --separate-stderr mrmap --text \
		'printenv PWD' ../in
	[ "$output" = "$want" ]
}

#!/usr/bin/env bats
# Workflows are make's job: a Makefile whose targets are the jobs'
# DIR/_SUCCESS runs a DAG of mrrun jobs, the branches at once with -j, and
# runs again only what depends on an input that changed.  The oracle is
# make itself (-q) and the recipes' own log of what ran.

load test_helper

# dag: a.txt and b.txt, and a Makefile of three jobs: counts (of a.txt's
# words) and lengths (of b.txt's lines) side by side, each mapped by a
# script that waits up to 5 s for the other to start, then report, of
# both outputs.  Each recipe logs its name in ran.log first.
dag() {
	printf 'a b\nb c\n' > a.txt
	printf 'xx\ny\n' > b.txt
	for s in a b; do
		other=$([ "$s" = a ] && echo b || echo a)
		cat > "meet-$s.sh" <<-EOF
		#!/bin/sh
		: > '$PWD/started.$s'
		i=0
		while [ ! -e '$PWD/started.$other' ] && [ \$i -lt 100 ]; do
			sleep 0.05
			i=\$((i + 1))
		done
		[ -e '$PWD/started.$other' ] || : > '$PWD/alone'
		exec "\$@"
		EOF
		chmod +x "meet-$s.sh"
	done
	# (a recipe starts with a TAB, which <<- would strip)
	cat > Makefile <<'EOF'
all: report/_SUCCESS

counts/_SUCCESS: a.txt
	echo counts >> ran.log
	mrrun -m "./meet-a.sh tr -s ' ' '\n'" -r count -o counts a.txt

lengths/_SUCCESS: b.txt
	echo lengths >> ran.log
	mrrun -m "./meet-b.sh awk '{ print length(\$$0) }'" -r count -o lengths b.txt

report/_SUCCESS: counts/_SUCCESS lengths/_SUCCESS
	echo report >> ran.log
	mrrun -m cat -r NONE -o report counts lengths
EOF
}

@test "make -j2 runs a DAG of mrrun jobs, the two branches at once, the third on both outputs" {
	dag
	run -0 make -s -j2
	[ ! -e alone ]
	[ "$(sort ran.log | tr '\n' ' ')" = "counts lengths report " ]
	[ "$(tail -n 1 ran.log)" = report ]
	[ "$(cat report/part-* | sort | tr '\n' ' ')" = "$(printf '1\t1 2\t1 a\t1 b\t2 c\t1 ' )" ]
	# nothing to do the second time, and make -q agrees
	: > ran.log
	run -0 make -s -j2
	[ ! -s ran.log ]
	run -0 make -q
}

@test "touching one input runs again only what depends on it, after which make -q says all is up to date" {
	dag
	run -0 make -s -j2
	: > ran.log
	sleep 0.01
	touch b.txt
	# lengths alone runs again; its partner's marker is there from before
	run -0 make -s
	[ "$(tr '\n' ' ' < ran.log)" = "lengths report " ]
	run -0 make -q
	# a job run again by hand, on the same inputs, does nothing
	run -0 --separate-stderr mrrun -m cat -r NONE -o report counts lengths
	[ -z "$stderr" ]
	run -0 make -q
}

@test "a middle job that fails stops make with non-zero status, and leaves no _SUCCESS downstream" {
	dag
	printf '#!/bin/sh\nexit 3\n' > meet-a.sh
	run make -s -j2
	[ "$status" -ne 0 ]
	[ ! -e counts/_SUCCESS ]
	[ ! -e report/_SUCCESS ]
	[ "$(grep -c report ran.log)" -eq 0 ]
}

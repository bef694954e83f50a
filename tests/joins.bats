#!/usr/bin/env bats
# mrrun's input groups (one -m each) and --join: the reduce-side join of
# the groups, every type, against join(1) under LC_ALL=C and awk hash
# joins; framed records of any bytes against mrjoin of the sorted inputs;
# a many-to-many key past --memory; the counters; and the usage errors.

load test_helper

# users N SEED: N users "uid<TAB>birth_year", unique uids, in no order.
users() {
	awk -v n="$1" -v seed="$2" 'BEGIN {
		srand(seed)
		for (i = 0; i < n; i++)
			printf "u%d\t%d\n", i * 3, 1940 + int(rand() * 70)
	}' | sort -R --random-source=<(yes "$2")
}

# events N SEED: N events "uid<TAB>ts", with uids that users may lack.
events() {
	awk -v n="$1" -v seed="$2" 'BEGIN {
		srand(seed)
		for (i = 0; i < n; i++)
			printf "u%d\t%d\n", int(rand() * 1000), 1700000000 + i
	}'
}

# keysorted FILE: FILE sorted by its first field, for join(1).
keysorted() {
	sort -t "$TAB" -k1,1 "$1"
}

# data: users.tsv (300) and events.tsv (3000, about a third matching).
data() {
	users 300 1 > users.tsv
	events 3000 2 > events.tsv
}

@test "--join inner over 3 reducers gives join(1)'s rows" {
	data
	run -0 --separate-stderr mrrun -n 3 --split-size 8K -o out \
		-m NONE users.tsv -m NONE events.tsv --join inner
	[ -z "$stderr" ]
	[ "$(cd out && echo part-*)" = "part-00000 part-00001 part-00002" ]
	join -t "$TAB" <(keysorted users.tsv) <(keysorted events.tsv) | sort > want
	[ "$(wc -l < want)" -gt 500 ]
	sort out/part-* | cmp - want
}

@test "each group runs its own mapper, and inputs before the first -m are in group 1" {
	data
	# the events as ts<TAB>uid, swapped back by group 2's mapper
	awk -F '\t' -v OFS='\t' '{ print $2, $1 }' events.tsv > byts.tsv
	run -0 --separate-stderr mrrun -n 2 -o out users.tsv -m NONE \
		-m 'awk -F "\t" -v OFS="\t" "{ print \$2, \$1 }"' byts.tsv --join inner
	[ -z "$stderr" ]
	join -t "$TAB" <(keysorted users.tsv) <(keysorted events.tsv) | sort > want
	sort out/part-* | cmp - want
}

@test "left, right, full and anti give join(1)'s rows with -a, -v and -o auto; semi gives awk's" {
	data
	u=(-t "$TAB" -e '' -o auto)
	for type in left right full anti semi; do
		case $type in
		left) join "${u[@]}" -a 1 <(keysorted users.tsv) <(keysorted events.tsv) ;;
		right) join "${u[@]}" -a 2 <(keysorted users.tsv) <(keysorted events.tsv) ;;
		full) join "${u[@]}" -a 1 -a 2 <(keysorted users.tsv) <(keysorted events.tsv) ;;
		anti) join -t "$TAB" -v 1 <(keysorted users.tsv) <(keysorted events.tsv) ;;
		semi) awk -F '\t' 'NR == FNR { k[$1]; next } $1 in k' events.tsv users.tsv ;;
		esac | sort > want
		[ -s want ]
		run -0 --separate-stderr mrrun -n 2 -o "out-$type" \
			-m NONE users.tsv -m NONE events.tsv --join "$type"
		[ -z "$stderr" ]
		sort out-$type/part-* | cmp - want ||
			{ echo "--join $type differs"; return 1; }
	done
}

@test "three groups: the rows of join(1) of the first two, joined with the third" {
	data
	users 200 7 | sed 's/$/x/' > third.tsv
	run -0 --separate-stderr mrrun -n 2 -o out -m NONE users.tsv \
		-m NONE events.tsv -m cat third.tsv --join inner
	[ -z "$stderr" ]
	join -t "$TAB" <(keysorted users.tsv) <(keysorted events.tsv) |
		join -t "$TAB" - <(keysorted third.tsv) | sort > want
	[ -s want ]
	sort out/part-* | cmp - want
}

@test "--total-order: the parts of a join concatenate in key order" {
	data
	run -0 mrrun -n 3 --total-order --split-size 8K -o out \
		-m NONE users.tsv -m NONE events.tsv --join left
	cat out/part-* | cut -f 1 | sort -c
	join -t "$TAB" -e '' -o auto -a 1 <(keysorted users.tsv) <(keysorted events.tsv) |
		sort > want
	sort out/part-* | cmp - want
}

@test "a framed join of records of any bytes, the framed magic too, equals mrjoin of the sorted inputs" {
	# every third record of b.mr holds a whole framed stream as its
	# value, under the keys k0 to k89, which a.mr has too
	mrtest gen 4 600 3 > g1.mr
	awk 'BEGIN { for (i = 0; i < 90; i++) printf "k%d\tL%d\n", i, i }' > k.txt
	mrmap -o a.mr NONE g1.mr k.txt
	mrtest gen 2 40 12 > small.mr
	mrtest gen 9 600 3 > g2.mr
	mrtest embed 9 90 small.mr > e.mr
	mrmap -o b.mr NONE g2.mr e.mr
	mrsort a.mr -o sa.mr
	mrsort b.mr -o sb.mr
	mrjoin --framed -a 1 -o want.mr sa.mr sb.mr
	[ "$(mrtest dump < want.mr | wc -l)" -gt 600 ]
	[ "$(mrtest dump < want.mr | grep -c 894d52460d0a1a0a)" -ge 30 ]
	run -0 --separate-stderr mrrun -n 3 --split-size 4K --framed -o out \
		-m NONE a.mr -m NONE b.mr --join left
	[ -z "$stderr" ]
	cmp <(mrtest dump < want.mr | sort) <(cat out/part-* | mrtest dump | sort)
}

@test "a key with many records in both groups gives the whole cross product, past --memory" {
	awk 'BEGIN { for (i = 0; i < 400; i++) printf "hot\ta%03d\n", i; print "cold\ta" }' > a.tsv
	# 300 values of 200 bytes: more than a join's share of 16K
	awk 'BEGIN { for (i = 0; i < 300; i++) printf "hot\tb%0200d\n", i; print "cold\tb" }' > b.tsv
	run -0 --separate-stderr mrrun --memory 16K -o out \
		-m NONE a.tsv -m NONE b.tsv --join inner
	[ -z "$stderr" ]
	[ "$(wc -l < out/part-00000)" -eq 120001 ]
	join -t "$TAB" <(keysorted a.tsv) <(keysorted b.tsv) | sort | cmp - <(sort out/part-00000)
}

@test "a group whose inputs are empty joins as an empty input" {
	data
	: > none.tsv
	run -0 mrrun -o inner -m NONE users.tsv -m NONE none.tsv --join inner
	[ ! -s inner/part-00000 ]
	run -0 mrrun -o left -m NONE users.tsv -m NONE none.tsv --join left
	sed 's/$/\t/' users.tsv | sort | cmp - <(sort left/part-00000)
}

@test "the counters count the records read and the rows written" {
	data
	run -0 mrrun -n 2 -o out -m NONE users.tsv -m NONE events.tsv --join inner
	rows=$(cat out/part-* | wc -l)
	awk -F '\t' -v rows="$rows" -v n=3300 '
		$2 == "REDUCE_OUTPUT_RECORDS" { o = $3 }
		$2 == "REDUCE_INPUT_RECORDS" { i = $3 }
		$2 == "MAP_INPUT_RECORDS" { m = $3 }
		END { exit !(o == rows && i == n && m == n) }' out/_counters
}

@test "without --join the groups' records meet in one shuffle, each group mapped by its own mapper" {
	data
	awk -F '\t' -v OFS='\t' '{ print $2, $1 }' events.tsv > byts.tsv
	run -0 --separate-stderr mrrun -n 2 -o out -m NONE users.tsv \
		-m 'awk -F "\t" -v OFS="\t" "{ print \$2, \$1 }"' byts.tsv -r count
	[ -z "$stderr" ]
	cut -f 1 users.tsv events.tsv | sort | uniq -c |
		awk -v OFS='\t' '{ print $2, $1 }' > want
	sort out/part-* | cmp - want
}

@test "--join usage errors: one group, a group without inputs, -r, -c, --values, --reverse, a bad type, right of 3, stdin" {
	data
	printf 'a\t1\n' > x
	for args in "-m NONE x --join inner" \
	    "-m NONE x -m NONE users.tsv --join inner -r count" \
	    "-m NONE x -m NONE users.tsv --join inner -c count" \
	    "-m NONE x -m NONE users.tsv --join inner --values" \
	    "-m NONE x -m NONE users.tsv --join inner --reverse" \
	    "-m NONE x -m NONE users.tsv --join outer" \
	    "-m NONE x -m NONE users.tsv -m NONE events.tsv --join right" \
	    "-m NONE - -m NONE users.tsv --join inner" \
	    "-m NONE - -m NONE users.tsv -r count" \
	    "-m NONE - x - -r count"; do
		run -2 --separate-stderr mrrun -o out $args
		[[ "$stderr" == mrrun:* ]] || { echo "$args: $stderr"; return 1; }
		[ ! -e out ]
	done
	for args in "-m NONE x -m NONE --join inner" "-m NONE -m NONE x --join inner" \
	    "-m NONE x -m NONE -m NONE users.tsv -r count"; do
		run -2 --separate-stderr mrrun -o out $args
		[[ "${stderr%%$'\n'*}" == "mrrun: -m NONE (group "[12]") has no input after it" ]] ||
			{ echo "$args: $stderr"; return 1; }
	done
	run -2 --separate-stderr mrrun -m NONE - -m NONE x --join inner
	[ "${stderr%%$'\n'*}" = "mrrun: standard input is for a job of one mapper: name the inputs of each group" ]
	run -2 --separate-stderr mrrun -m NONE x --join inner
	[ "${stderr%%$'\n'*}" = "mrrun: --join needs two input groups or more: -m CMD INPUT... -m CMD INPUT..." ]
}

@test "the work directory of a job on stdout tells apart jobs whose inputs are in other groups" {
	data
	work() {
		mrrun --dry-run "$@" | grep -o 'mrrun-[0-9]*-[0-9a-f]*' | head -n 1
	}
	a=$(work -m NONE users.tsv events.tsv -m cat users.tsv --join inner)
	b=$(work -m NONE users.tsv -m cat events.tsv users.tsv --join inner)
	[ -n "$a" ] && [ -n "$b" ]
	[ "$a" != "$b" ]
	[ "$a" = "$(work -m NONE users.tsv events.tsv -m cat users.tsv --join inner)" ]
}

# reduce_side TYPE ARGS...: the rows of the reduce-side --join TYPE of the
# groups ARGS, sorted.
reduce_side() {
	local type=$1
	shift
	mrrun -o "rs-$type" "$@" --join "$type" && sort rs-$type/part-*
}

@test "--broadcast 2 gives the reduce-side join's rows for inner, left, semi and anti, a part a map task" {
	data
	groups=(-m NONE events.tsv -m cat users.tsv)
	n=$(map_tasks --split-size 8K "${groups[@]}" --join inner --broadcast 2)
	[ "$n" -gt 3 ]
	for type in inner left semi anti; do
		reduce_side "$type" "${groups[@]}" > want
		[ -s want ]
		run -0 --separate-stderr mrrun --split-size 8K -o "bc-$type" \
			"${groups[@]}" --join "$type" --broadcast 2
		[ -z "$stderr" ]
		[ "$(ls bc-$type | grep -c '^part-')" -eq "$n" ]
		sort bc-$type/part-* | cmp - want || { echo "$type differs"; return 1; }
	done
	# the rows of a map task come in the order of its records
	[ "$(cut -f 2 bc-inner/part-00000 | sort -c -n && echo sorted)" = sorted ]
}

@test "--broadcast 1: group 1's values come first, for inner and right" {
	data
	groups=(-m NONE users.tsv -m cat events.tsv)
	for type in inner right; do
		reduce_side "$type" "${groups[@]}" > want
		run -0 --separate-stderr mrrun --split-size 8K -o "bc-$type" \
			"${groups[@]}" --join "$type" --broadcast 1
		[ -z "$stderr" ]
		sort bc-$type/part-* | cmp - want || { echo "$type differs"; return 1; }
	done
}

@test "--broadcast of framed records of any bytes gives the reduce-side join's, --framed" {
	mrtest gen 4 600 3 > a.mr
	mrtest gen 9 300 3 > b.mr
	mrrun --framed -o want -m NONE a.mr -m NONE b.mr --join left
	run -0 --separate-stderr mrrun --framed --split-size 4K -o out \
		-m NONE a.mr -m NONE b.mr --join left --broadcast 2
	[ -z "$stderr" ]
	cmp <(cat want/part-* | mrtest dump | sort) <(cat out/part-* | mrtest dump | sort)
}

@test "--broadcast counts the rows it writes, and the broadcast group's records and counters once" {
	data
	run -0 --separate-stderr mrrun --split-size 8K -o out -m NONE events.tsv \
		-m 'cat; echo reporter:counter:g,bc,1 >&2' users.tsv \
		--join inner --broadcast 2
	[ -z "$stderr" ]
	awk -F '\t' -v rows="$(cat out/part-* | wc -l)" '
		$2 == "REDUCE_OUTPUT_RECORDS" { o = $3 }
		$2 == "REDUCE_INPUT_RECORDS" { i = $3 }
		$2 == "MAP_INPUT_RECORDS" { m = $3 }
		$1 == "g" && $2 == "bc" { c = $3 }
		END { exit !(o == rows && m == 3300 && i == 0 && c == 1) }' out/_counters
}

@test "a broadcast group larger than --memory fails the job with mrjoin's message and no output" {
	data
	run -1 --separate-stderr mrrun --retries 0 --memory 2K -o out \
		-m NONE events.tsv -m NONE users.tsv --join inner --broadcast 2
	[[ "$stderr" == *"mrjoin: "*"does not fit"* ]] || { echo "$stderr"; return 1; }
	[ ! -e out ]
}

@test "--dry-run of a join with a group under 10 MiB says that --broadcast would do" {
	data
	run -0 --separate-stderr mrrun --dry-run -m NONE events.tsv -m NONE users.tsv --join left
	[ "${stderr_lines[0]}" = "mrrun: group 2's inputs hold $(wc -c < users.tsv) bytes, under 10 MiB: --broadcast 2 would join them in the map tasks, with no shuffle" ]
	for no in "--join full" "--join inner -n 2" "--join inner -n 2 --total-order" \
	    "--join inner --memory 4K"; do
		run -0 --separate-stderr mrrun --dry-run -m NONE events.tsv -m NONE users.tsv $no
		[ -z "$stderr" ] || { echo "$no: $stderr"; return 1; }
	done
	run -0 --separate-stderr mrrun --dry-run -m NONE events.tsv -m NONE users.tsv --join left --broadcast 2
	[ -z "$stderr" ]
	[ "$(printf '%s\n' "$output" | grep -c '^# broadcast task ')" -eq 1 ]
}

@test "--broadcast usage errors: no --join, three groups, a bad group, a type that keeps its unmatched rows, -n, --total-order" {
	data
	g=(-m NONE events.tsv -m NONE users.tsv)
	for args in "--broadcast 2 -r count" "--join inner --broadcast 3" \
	    "--join inner --broadcast 0" "--join inner --broadcast x" \
	    "--join full --broadcast 2" "--join right --broadcast 2" \
	    "--join left --broadcast 1" "--join semi --broadcast 1" \
	    "--join anti --broadcast 1" "--join inner --broadcast 2 -n 2" \
	    "--join inner --broadcast 2 --total-order" \
	    "--join inner --broadcast 2 -m NONE events.tsv"; do
		run -2 --separate-stderr mrrun -o out "${g[@]}" $args
		[[ "$stderr" == mrrun:* ]] || { echo "$args: $stderr"; return 1; }
		[ ! -e out ]
	done
}

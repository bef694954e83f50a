#!/usr/bin/env bats
# mrreduce: each built-in op against awk, exact decimal sums, order checks,
# partial states merged in many random ways, errors.

load test_helper

# pairs N SEED KEYS MODE: N lines key<TAB>value, sorted stably by key, over
# KEYS keys; MODE int (-999..999), cents (two fraction digits), or mixed
# (numbers of 0 to 3 fraction digits, some with a sign or leading zeros).
pairs() {
	awk -v n="$1" -v seed="$2" -v keys="$3" -v mode="$4" 'BEGIN {
		srand(seed)
		for (i = 0; i < n; i++) {
			k = sprintf("k%d", int(rand() * keys))
			c = int(rand() * 200000) - 100000
			if (mode == "int")
				v = sprintf("%d", c % 1000)
			else if (mode == "cents")
				v = sprintf("%s%d.%02d", c < 0 ? "-" : "",
				    (c < 0 ? -c : c) / 100, (c < 0 ? -c : c) % 100)
			else {
				f = int(rand() * 4)
				v = sprintf("%d", c < 0 ? -c : c)
				if (f > 0)
					v = substr(v, 1, length(v) - 1) "." \
					    substr("1234", 1, f)
				if (rand() < 0.1)
					v = "0" v
				if (c < 0)
					v = "-" v
				else if (rand() < 0.1)
					v = "+" v
			}
			print k "\t" v
		}
	}' | sort -s -t "$TAB" -k1,1
}

# by_key AWKPROG: runs the awk program on pairs on stdin with k (key) and
# v (value) set for each line; its END prints key<TAB>result lines, which
# come out sorted by key.
by_key() {
	awk -F "$TAB" "{ k = \$1; v = \$2 } $1" | sort -t "$TAB" -k1,1
}

# exact_mean: key<TAB>sum<TAB>count lines of integers to the mean that
# mrreduce prints for integers: rounded half to even at 6 fraction digits,
# trailing zeros removed.  Exact in awk's doubles while sums stay below
# 2^53 / 10^6.
exact_mean() {
	awk -F "$TAB" '{
		s = $2; n = $3; neg = s < 0; if (neg) s = -s
		num = s * 1000000
		q = int(num / n)
		while (q * n > num) q--
		while ((q + 1) * n <= num) q++
		r = num - q * n
		if (2 * r > n || (2 * r == n && q % 2 == 1)) q++
		ip = sprintf("%.0f", int(q / 1000000))
		fp = sprintf("%06d", q % 1000000)
		sub(/0+$/, "", fp)
		out = fp == "" ? ip : ip "." fp
		if (neg && q != 0) out = "-" out
		print $1 "\t" out
	}'
}

@test "count equals uniq -c" {
	words 2000 1 | sort > in
	mrreduce count in > got
	uniq -c in | awk '{ print $2 "\t" $1 }' | cmp - got
}

@test "count counts every value, empty ones and non-numbers too" {
	printf 'a\nb\tx\nb\t\nb\t1\n' > in
	run -0 mrreduce count in
	[ "$output" = "a${TAB}1
b${TAB}3" ]
}

@test "sum of integers equals awk" {
	pairs 5000 2 50 int > in
	mrreduce sum in > got
	by_key '{ s[k] += v } END { for (k in s) printf "%s\t%.0f\n", k, s[k] }' \
		< in | cmp - got
}

@test "sum of two-decimal values is exact, as awk's sum in cents" {
	pairs 5000 3 40 cents > in
	mrreduce sum in > got
	by_key '{ split(v, p, "."); c = p[1] * 100 + (v ~ /^-/ ? -p[2] : p[2])
		s[k] += c }
		END { for (k in s) { c = s[k]; a = c < 0 ? -c : c
			printf "%s\t%s%d.%02d\n", k, c < 0 ? "-" : "",
			    int(a / 100), a % 100 } }' < in | cmp - got
}

@test "sum keeps the largest scale of its values and prints no -0" {
	printf 'a\t1.5\na\t2.25\nb\t1.50\nb\t2\nc\t-1.5\nc\t1.5\nd\t-0\ne\t+5.\ne\t.5\ne\t007\nf\t-0.000\n' > in
	run -0 mrreduce sum in
	[ "$output" = "a${TAB}3.75
b${TAB}3.50
c${TAB}0.0
d${TAB}0
e${TAB}12.5
f${TAB}0.000" ]
}

@test "ten times 0.1 is exactly 1.0, a million times 0.1 exactly 100000.0" {
	for i in 1 2 3 4 5 6 7 8 9 10; do printf 'x\t0.1\n'; done > in
	run -0 mrreduce sum in
	[ "$output" = "x${TAB}1.0" ]
	awk 'BEGIN { for (i = 0; i < 1000000; i++) print "x\t0.1" }' > big
	run -0 mrreduce sum big
	[ "$output" = "x${TAB}100000.0" ]
}

@test "sum of negative and mixed-scale numbers equals awk" {
	pairs 3000 4 30 mixed > in
	mrreduce sum in > got
	# every value has at most 3 fraction digits: awk sums thousandths
	by_key '{ s[k] += v * 1000; f = index(v, ".") ? length(v) - index(v, ".") : 0
		if (f > sc[k]) sc[k] = f }
		END { for (k in s) { m = sprintf("%.0f", s[k]); neg = m ~ /^-/
			sub(/^-/, "", m); while (length(m) < 4) m = "0" m
			ip = substr(m, 1, length(m) - 3); fp = substr(m, length(m) - 2)
			out = ip; if (sc[k] > 0) out = out "." substr(fp, 1, sc[k])
			if (neg && out !~ /^[0.]*$/) out = "-" out
			print k "\t" out } }' < in | cmp - got
}

@test "a group of a million values sums and counts as awk does" {
	awk 'BEGIN { srand(7); for (i = 0; i < 1000000; i++)
		printf "g\t%d\n", int(rand() * 2000001) - 1000000 }' > in
	mrreduce sum in > got
	awk -F "$TAB" '{ s += $2 } END { printf "g\t%.0f\n", s }' in | cmp - got
	run -0 mrreduce count in
	[ "$output" = "g${TAB}1000000" ]
	mrreduce mean in > got
	awk -F "$TAB" '{ s += $2 } END { printf "g\t%.0f\t%d\n", s, NR }' in |
		exact_mean | cmp - got
}

@test "mean of integers equals an exact awk oracle" {
	pairs 4000 5 300 int > in
	mrreduce mean in > got
	by_key '{ s[k] += v; n[k]++ } END { for (k in s)
		printf "%s\t%.0f\t%d\n", k, s[k], n[k] }' < in | exact_mean | cmp - got
}

@test "mean rounds half to even at six more digits and trims those zeros" {
	{
		printf 'a\t1\na\t2\n'
		printf 'b\t1\nb\t1\nb\t2\n'
		printf 'c\t1.50\nc\t2.50\n'
		printf 'd\t1\n'; for i in $(seq 127); do printf 'd\t0\n'; done
		printf 'e\t3\n'; for i in $(seq 127); do printf 'e\t0\n'; done
		printf 'f\t-3\n'; for i in $(seq 127); do printf 'f\t0\n'; done
		printf 'g\t0.1\ng\t0.2\ng\t0.2\n'
		printf 'h\t-0.0000001\nh\t0\nh\t0\n'
	} > in
	run -0 mrreduce mean in
	[ "$output" = "a${TAB}1.5
b${TAB}1.333333
c${TAB}2.00
d${TAB}0.007812
e${TAB}0.023438
f${TAB}-0.023438
g${TAB}0.1666667
h${TAB}-0.0000000333333" ]
	# the oracle agrees on the ties: 1/128 and 3/128 are exact in binary
	[ "$(awk 'BEGIN { printf "%.6f %.6f", 1/128, 3/128 }')" = "0.007812 0.023438" ]
}

@test "min and max compare numbers, not bytes, and print the value as written" {
	pairs 3000 6 40 mixed > in
	mrreduce min in > gotmin
	mrreduce max in > gotmax
	# awk compares numerically too; no two values here are equal numbers
	# with different bytes unless they are equal strings up to a 0 or +
	by_key '{ x = v + 0; if (!(k in lo) || x < lo[k] + 0) lo[k] = v
		if (!(k in hi) || x > hi[k] + 0) hi[k] = v }
		END { for (k in lo) print k "\t" lo[k] }' < in > wantmin
	awk -F "$TAB" '{ print $1 "\t" $2 + 0 }' gotmin > a
	awk -F "$TAB" '{ print $1 "\t" $2 + 0 }' wantmin > b
	cmp a b
	by_key '{ x = v + 0; if (!(k in hi) || x > hi[k] + 0) hi[k] = v }
		END { for (k in hi) print k "\t" hi[k] + 0 }' < in > wantmax
	awk -F "$TAB" '{ print $1 "\t" $2 + 0 }' gotmax | cmp - wantmax
	# and each result is one of the key's values, byte for byte
	cat gotmin gotmax | while IFS="$TAB" read -r k v; do
		grep -qxF "$k$TAB$v" in
	done
}

@test "min and max break ties between equal numbers by bytes, in any order" {
	for order in '1 1.0 01' '01 1 1.0' '1.0 01 1'; do
		for v in $order; do printf 'k\t%s\n' "$v"; done > in
		run -0 mrreduce min in
		[ "$output" = "k${TAB}01" ]
		run -0 mrreduce max in
		[ "$output" = "k${TAB}1.0" ]
	done
	printf 'k\t-0\nk\t0\nk\t+0\n' > in
	run -0 mrreduce min in
	[ "$output" = "k${TAB}+0" ]
	run -0 mrreduce max in
	[ "$output" = "k${TAB}0" ]
}

@test "min and max of numbers longer than any integer type" {
	big=123456789012345678901234567890123456789012345678901234567890
	printf 'k\t%s\nk\t%s1\nk\t-%s\nk\t%s.5\n' $big $big $big $big > in
	run -0 mrreduce max in
	[ "$output" = "k${TAB}${big}1" ]
	run -0 mrreduce min in
	[ "$output" = "k${TAB}-$big" ]
}

@test "first, last and collect keep input order, empty values included" {
	printf 'a\tx\na\t\na\tz\nb\t\nc\tq\n' > in
	run -0 mrreduce first in
	[ "$output" = "a${TAB}x
b
c${TAB}q" ]
	run -0 mrreduce last in
	[ "$output" = "a${TAB}z
b
c${TAB}q" ]
	run -0 mrreduce collect in
	[ "$output" = "a${TAB}x,,z
b
c${TAB}q" ]
}

@test "first, last and collect equal awk over many groups" {
	pairs 3000 8 100 mixed > in
	mrreduce first in > got
	by_key '!(k in f) { f[k] = v } END { for (k in f) print k "\t" f[k] }' < in |
		cmp - got
	mrreduce last in > got
	by_key '{ l[k] = v } END { for (k in l) print k "\t" l[k] }' < in | cmp - got
	mrreduce -d ' | ' collect in > got
	by_key '{ c[k] = n[k]++ ? c[k] " | " v : v }
		END { for (k in c) print k "\t" c[k] }' < in | cmp - got
}

@test "collect joins with -d, any string, or none" {
	printf 'a\t1\na\t2\na\t3\n' > in
	run -0 mrreduce -d '' collect in
	[ "$output" = "a${TAB}123" ]
	run -0 mrreduce --delimiter=', ' collect in
	[ "$output" = "a${TAB}1, 2, 3" ]
}

@test "distinct counts different values as sort -u does" {
	pairs 5000 9 30 int | awk -F "$TAB" '{ print $1 "\t" $2 % 50 }' > in
	printf 'zz\t\nzz\t\nzz\tx\n' >> in
	mrreduce distinct in > got
	sort -u in | awk -F "$TAB" '{ n[$1]++ } END { for (k in n) print k "\t" n[k] }' |
		sort -t "$TAB" -k1,1 | cmp - got
	tail -n 1 got | cmp - <(printf 'zz\t2\n')
}

@test "one group, and a group per record" {
	printf 'only\t4\nonly\t6\n' > in
	run -0 mrreduce sum in
	[ "$output" = "only${TAB}10" ]
	seq 1000 | awk '{ printf "%06d\t%d\n", $1, $1 }' > in
	mrreduce sum in | cmp - in
}

@test "an empty input gives an empty output" {
	: > in
	run -0 mrreduce sum in
	[ -z "$output" ]
	mrreduce --framed count in > out.mr
	run -0 mrmerge --text out.mr
	[ -z "$output" ]
}

@test "a value that is not a number is an error naming input, record and key" {
	printf 'a\t1\nb\t2\nb\tx\nc\t3\n' > in
	for op in sum mean min max; do
		run -1 --separate-stderr mrreduce -o out "$op" in
		[ "$stderr" = 'mrreduce: in: record 3: key "b": value "x" is not a number' ]
		[ ! -e out ]
	done
	no_temps .
	for bad in '' ' 1' '1 ' '1e3' '0x10' 'inf' 'nan' '1,5' '.' '-' '+' '1.2.3' '--1' "1$(printf '\r')"; do
		printf 'k\t%s\n' "$bad" > in
		run -1 --separate-stderr mrreduce sum in
		assert_stderr_prefix 'mrreduce: in: record 1: key "k": value '
	done
}

@test "the error names the input of the bad value among several" {
	printf 'a\t1\nc\t2\n' > one
	printf 'b\t1\nb\toops\n' > two
	run -1 --separate-stderr mrreduce sum one two
	[ "$stderr" = 'mrreduce: two: record 2: key "b": value "oops" is not a number' ]
}

@test "keys and values in messages are quoted with escapes and cut short" {
	printf 'a\tb\t\001x\n' > in
	run -1 --separate-stderr mrreduce -t '\0' sum in
	[ "$stderr" = 'mrreduce: in: record 1: key "a\tb\t\x01x": value "" is not a number' ]
	long=$(printf 'y%.0s' $(seq 100))
	printf 'k\t%s\n' "$long" > in
	run -1 --separate-stderr mrreduce sum in
	[ "$stderr" = "mrreduce: in: record 1: key \"k\": value \"${long:0:40}\"... is not a number" ]
}

@test "--skip-bad reduces the numbers, reports the skipped values, exits 1" {
	printf 'a\t1\na\tx\na\t2\nb\t-\nc\t5\nc\t\n' > in
	run -1 --separate-stderr mrreduce --skip-bad sum in
	[ "$output" = "a${TAB}3
c${TAB}5" ]
	[ "$stderr" = "mrreduce: skipped 3 values that are not numbers" ]
	run -1 --separate-stderr mrreduce --skip-bad -o out mean in
	[ "$stderr" = "mrreduce: skipped 3 values that are not numbers" ]
	[ "$(cat out)" = "a${TAB}1.5
c${TAB}5" ]
	printf 'a\t1\na\tx\n' > in
	run -1 --separate-stderr mrreduce --skip-bad max in
	[ "$stderr" = "mrreduce: skipped 1 value that is not a number" ]
	[ "$output" = "a${TAB}1" ]
	# nothing to skip: exit 0; and count has nothing to skip
	printf 'a\t1\na\tx\n' > in
	run -0 --separate-stderr mrreduce --skip-bad count in
	[ -z "$stderr" ]
}

@test "a sum over 38 digits is an error naming the key" {
	n38=99999999999999999999999999999999999999
	printf 'big\t%s\nbig\t1\nok\t1\n' $n38 > in
	run -1 --separate-stderr mrreduce -o out sum in
	[ "$stderr" = 'mrreduce: in: key "big": the sum has more than 38 digits' ]
	[ ! -e out ]
	# values near 10^38 summed
	awk 'BEGIN { for (i = 0; i < 3; i++) print "x\t6" sprintf("%037d", 0) }' > in
	run -1 --separate-stderr mrreduce sum in
	[ "$stderr" = 'mrreduce: in: key "x": the sum has more than 38 digits' ]
	# 38 digits in all, the fraction's included
	printf 'f\t0.%s\nf\t1\n' $n38 > in
	run -1 --separate-stderr mrreduce sum in
	[ "$stderr" = 'mrreduce: in: key "f": the sum has more than 38 digits' ]
}

@test "a sum that comes back under 38 digits is exact, in any order" {
	n38=99999999999999999999999999999999999999
	for order in "$n38 $n38 -$n38" "-$n38 $n38 $n38" "$n38 0.5 -$n38"; do
		for v in $order; do printf 'k\t%s\n' "$v"; done > in
		run -0 mrreduce sum in
		case $order in
		*0.5*) [ "$output" = "k${TAB}0.5" ] ;;
		*) [ "$output" = "k${TAB}$n38" ] ;;
		esac
	done
	printf 'k\t%s\nk\t%s\n' $n38 $n38 > in
	run -0 mrreduce mean in
	[ "$output" = "k${TAB}$n38" ]
}

@test "a value with more than 38 digits before or after its point is an error" {
	printf 'k\t1%s\n' 00000000000000000000000000000000000000 > in
	run -1 --separate-stderr mrreduce sum in
	[ "$stderr" = 'mrreduce: in: record 1: key "k": value "100000000000000000000000000000000000000" has more than 38 digits before or after its point' ]
	printf 'k\t0.%s1\n' 00000000000000000000000000000000000000 > in
	run -1 --separate-stderr mrreduce mean in
	assert_stderr_prefix 'mrreduce: in: record 1: key "k": value "0.0000'
	# leading zeros do not count
	printf 'k\t0000000000%s\n' 99999999999999999999999999999999999999 > in
	run -0 mrreduce sum in
}

@test "NONE passes records through, as text or framed with the metadata" {
	pairs 500 10 20 mixed > in
	mrreduce NONE in | cmp - in
	printf 'a\t2 3\nb\t1 1\n' | mrtest frame 'values=partial:mean\n' > p.mr
	mrreduce --framed NONE p.mr > copy.mr
	cmp p.mr copy.mr
	run -0 mrreduce mean copy.mr
	[ "$output" = "a${TAB}1.5
b${TAB}1" ]
	printf 'b\t1\na\t2\n' > bad
	run -1 --separate-stderr mrreduce NONE bad
	[ "$stderr" = "mrreduce: bad: record 2 is out of order (sort it with mrsort)" ]
}

@test "binary keys and values survive framed in and out" {
	printf 'k\0\t\001\nk\0\t\002\nk\001\t\n' > t
	mrtest frame '' < t > in.mr
	mrreduce --framed collect in.mr | mrtest dump > got
	printf '%s\n' '6b00 012c02' '6b01 ' | cmp - got
}

@test "unsorted input is an error naming the record, text or framed" {
	printf 'a\t1\nb\t1\nb\t2\na\t3\n' > bad
	run -1 --separate-stderr mrreduce -o out count bad
	[ "$stderr" = "mrreduce: bad: record 4 is out of order (sort it with mrsort)" ]
	[ ! -e out ]
	no_temps .
	mrtest frame '' < bad > bad.mr
	run -1 --separate-stderr mrreduce sum bad.mr
	[ "$stderr" = "mrreduce: bad.mr: record 4 is out of order (sort it with mrsort)" ]
	run -1 --separate-stderr bash -c 'cat bad | mrreduce count'
	[ "$stderr" = "mrreduce: stdin: record 4 is out of order (sort it with mrsort)" ]
}

@test "-n reads keys sorted by number, -r reverse-sorted keys" {
	printf '2\ta\n10\tb\n10\tc\n' > num
	run -1 --separate-stderr mrreduce count num
	[ "$stderr" = "mrreduce: num: record 2 is out of order (sort it with mrsort)" ]
	run -0 mrreduce -n collect num
	[ "$output" = "2${TAB}a
10${TAB}b,c" ]
	# 1 and 1.0 are different keys, in byte order
	printf '1\tx\n1.0\ty\n2\tz\n' > num
	run -0 mrreduce -n count num
	[ "$output" = "1${TAB}1
1.0${TAB}1
2${TAB}1" ]
	printf '10\tx\n2\ty\n' > num
	run -1 --separate-stderr mrreduce -n count num
	[ "$stderr" = "mrreduce: num: record 2 is out of order (sort it with mrsort)" ]
	run -0 mrreduce -nr count num
	[ "$output" = "10${TAB}1
2${TAB}1" ]
	words 500 11 | sort -r > rev
	mrreduce -r count rev > got
	uniq -c rev | awk '{ print $2 "\t" $1 }' | cmp - got
	run -1 --separate-stderr mrreduce count rev
	assert_stderr_prefix "mrreduce: rev: record "
}

@test "several inputs are merged, each checked for order" {
	pairs 3000 12 40 int > all
	awk 'NR % 3 == 0' all > a
	awk 'NR % 3 == 1' all > b
	awk 'NR % 3 == 2' all | mrtest frame '' > c.mr
	mrreduce sum all > want
	mrreduce sum a b c.mr > got
	cmp want got
	printf 'z\t1\na\t1\n' > bad
	run -1 --separate-stderr mrreduce sum a bad
	assert_stderr_prefix "mrreduce: bad: record 2 is out of order"
}

@test "-t, -z and -o" {
	printf 'a:1\0a:2\0b:3\0' > in
	mrreduce -z -t : -o out sum in
	printf 'a:3\0b:3\0' | cmp - out
	no_temps .
}

@test "--framed writes records the other tools read" {
	pairs 1000 13 30 int > in
	mrreduce --framed sum in > out.mr
	mrmerge --text out.mr | cmp - <(mrreduce sum in)
	mrreduce --framed sum in | mrreduce last | cmp - <(mrreduce sum in)
}

@test "partial states crafted by hand merge to the result of the values" {
	printf 'a\t3\na\t4\nb\t1\n' | mrtest frame 'values=partial:count\n' > c.mr
	run -0 mrreduce count c.mr
	[ "$output" = "a${TAB}7
b${TAB}1" ]
	printf 'a\t1.50\na\t-2\nb\t\nb\t7\n' | mrtest frame 'values=partial:sum\n' > s.mr
	run -0 mrreduce sum s.mr
	[ "$output" = "a${TAB}-0.50
b${TAB}7" ]
	printf 'a\t2 3\na\t1 0.5\n' | mrtest frame 'values=partial:mean\n' > m.mr
	run -0 mrreduce mean m.mr
	[ "$output" = "a${TAB}1.1666667" ]
	printf 'a\t1.0\na\t01\na\t1\n' | mrtest frame 'values=partial:max\n' > x.mr
	run -0 mrreduce max x.mr
	[ "$output" = "a${TAB}1.0" ]
	printf 'a\tx,y\na\t\na\tz\n' | mrtest frame 'values=partial:collect\n' > l.mr
	run -0 mrreduce collect l.mr
	[ "$output" = "a${TAB}x,y,,z" ]
	printf 'a\tx\na\ty\n' | mrtest frame 'values=partial:first\n' > f.mr
	run -0 mrreduce first f.mr
	[ "$output" = "a${TAB}x" ]
}

# reduce_in_pieces OP SEED FILE: cuts the sorted FILE into 1 to 9 pieces
# at random lines, reduces each to partial states with --partial, and
# reduces the merged states; the result must be the bytes of reducing
# FILE whole.  Then deals the lines out at random to 1 to 5 inputs, as map
# tasks would, and checks the same against the values merged.
reduce_in_pieces() {
	local op=$1 seed=$2 file=$3 k i
	rm -f piece.* state.*
	k=$(awk -v s="$seed" 'BEGIN { srand(s); print 1 + int(rand() * 9) }')
	awk -v s="$seed" -v k="$k" -v n="$(wc -l < "$file")" 'BEGIN {
		srand(s); for (i = 1; i < k; i++) cut[int(rand() * (n + 1))] = 1
	} { while (p < k - 1 && cut[NR - 1] && !done[NR - 1]++) p++
		print > ("piece." p) }' "$file"
	for f in piece.*; do
		mrreduce --partial "$op" "$f" > "state.${f#piece.}"
	done
	mrmerge state.* | mrreduce "$op" > got
	mrreduce "$op" "$file" > want
	cmp want got || { echo "$op seed $seed: $k pieces differ" >&2; return 1; }
	# states as several inputs of one mrreduce, and states of states
	mrreduce "$op" state.* | cmp want -
	mrmerge state.* | mrreduce --partial "$op" | mrreduce "$op" | cmp want -

	rm -f piece.* state.*
	k=$(awk -v s="$seed" 'BEGIN { srand(s + 1); print 1 + int(rand() * 5) }')
	awk -v s="$seed" -v k="$k" 'BEGIN { srand(s + 2) }
		{ print > ("piece." int(rand() * k)) }' "$file"
	for f in piece.*; do
		mrreduce --partial "$op" "$f" > "state.${f#piece.}"
	done
	mrmerge piece.* | mrreduce "$op" > want
	mrmerge state.* | mrreduce "$op" > got
	cmp want got || { echo "$op seed $seed: dealt to $k differ" >&2; return 1; }
}

@test "partial states of random pieces merge to the whole, every op" {
	for seed in 1 2 3 4 5 6; do
		pairs 400 $((20 + seed)) 12 mixed > in
		for op in count sum mean min max first last collect; do
			reduce_in_pieces "$op" "$seed" in
		done
	done
}

@test "partial states of pieces merge to the whole for wide and tiny numbers" {
	awk 'BEGIN { srand(31); for (i = 0; i < 600; i++) {
		v = ""; m = 1 + int(rand() * 18)
		for (j = 0; j < m; j++) v = v int(rand() * 10)
		f = int(rand() * 12); fr = ""
		for (j = 0; j < f; j++) fr = fr int(rand() * 10)
		printf "k%d\t%s%s%s\n", int(rand() * 5), rand() < 0.5 ? "-" : "",
		    v, f ? "." fr : "" } }' | sort -s -t "$TAB" -k1,1 > in
	for seed in 1 2 3; do
		for op in sum mean min max; do
			reduce_in_pieces "$op" "$seed" in
		done
	done
	# and in-process, a thousand random cuts of one group of each op
	cut -f2 in > values
	for op in count sum mean min max first last collect; do
		run -0 mrtest cut "$op" 7 1000 < values
	done
	run -0 mrtest cut collect 8 200 '<>' < values
	run -0 mrtest cut distinct 9 50 < values
}

@test "--partial writes the states with their metadata" {
	printf 'a\t1\na\t2.5\n' > in
	mrreduce --partial mean in > p.mr
	mrreduce NONE p.mr | cmp - <(printf 'a\t2 3.5\n')
	run -1 --separate-stderr mrreduce sum p.mr
	assert_stderr_prefix "mrreduce: p.mr: holds partial states of mean"
	run -0 mrreduce mean p.mr
	[ "$output" = "a${TAB}1.75" ]
	# a group whose values were all skipped leaves no state behind
	printf 'a\t1\nb\tx\n' > in
	run -1 --separate-stderr mrreduce --skip-bad --partial -o s.mr sum in
	[ "$stderr" = "mrreduce: skipped 1 value that is not a number" ]
	run -0 mrreduce NONE s.mr
	[ "$output" = "a${TAB}1" ]
}

@test "partial states of another op are an error that names the right op" {
	printf 'a\t3\n' | mrtest frame 'values=partial:sum\n' > s.mr
	run -1 --separate-stderr mrreduce count s.mr
	[ "$stderr" = "mrreduce: s.mr: holds partial states of sum (mrmap --combine=sum); reduce it with mrreduce sum" ]
	run -1 --separate-stderr mrreduce 'cat' s.mr
	[ "$stderr" = "mrreduce: s.mr: holds partial states of sum, which a command cannot read; reduce it with mrreduce sum" ]
}

@test "other metadata, or metadata that differs between inputs, is an error" {
	printf 'a\t3\n' | mrtest frame 'values=plain\n' > m.mr
	run -1 --separate-stderr mrreduce count m.mr
	[ "$stderr" = "mrreduce: m.mr: unknown stream metadata (mrreduce reads plain values or values=partial:OP)" ]
	printf 'a\t3\n' | mrtest frame 'values=partial:distinct\n' > d.mr
	run -1 --separate-stderr mrreduce distinct d.mr
	assert_stderr_prefix "mrreduce: d.mr: unknown stream metadata"
	printf 'a\t3\n' | mrtest frame 'values=partial:sum\n' > s.mr
	printf 'a\t3\n' > plain
	run -1 --separate-stderr mrreduce sum plain s.mr
	assert_stderr_prefix "mrreduce: s.mr: stream metadata differs from the first input's"
	run -1 --separate-stderr mrreduce sum s.mr plain
	assert_stderr_prefix "mrreduce: plain: stream metadata differs from the first input's"
}

@test "a partial state that does not parse is an error naming it" {
	printf 'a\t1\na\tx\n' | mrtest frame 'values=partial:count\n' > c.mr
	run -1 --separate-stderr mrreduce count c.mr
	[ "$stderr" = 'mrreduce: c.mr: record 2: key "a": "x" is not a partial state of count' ]
	for bad in '3' '0 1' '1 x' '1  2' 'x 1' '-1 2' '1 '; do
		printf 'a\t%s\n' "$bad" | mrtest frame 'values=partial:mean\n' > m.mr
		run -1 --separate-stderr mrreduce mean m.mr
		[ "$stderr" = "mrreduce: m.mr: record 1: key \"a\": \"$bad\" is not a partial state of mean" ]
	done
	printf 'a\t99999999999999999999\n' | mrtest frame 'values=partial:count\n' > c.mr
	run -1 --separate-stderr mrreduce count c.mr
	assert_stderr_prefix 'mrreduce: c.mr: record 1: key "a": '
}

@test "bad usage is exit 2, a missing file exit 1" {
	run -2 --separate-stderr mrreduce
	assert_stderr_prefix "mrreduce: no OP or COMMAND given"
	[[ "$stderr" == *"usage: mrreduce"* ]]
	run -2 --separate-stderr mrreduce -t ab count
	assert_stderr_prefix "mrreduce: bad separator: ab"
	run -2 --separate-stderr mrreduce --bogus count
	[[ "$stderr" == *"usage: mrreduce"* ]]
	run -2 --separate-stderr mrreduce count - -
	assert_stderr_prefix "mrreduce: standard input named twice"
	run -2 --separate-stderr mrreduce --partial distinct
	assert_stderr_prefix "mrreduce: distinct has no partial states"
	run -2 --separate-stderr mrreduce --partial NONE
	assert_stderr_prefix "mrreduce: --partial needs a built-in op"
	run -1 --separate-stderr mrreduce -o out count nosuch
	[ "$stderr" = "mrreduce: nosuch: No such file or directory" ]
	[ ! -e out ]
}

@test "a truncated framed input fails and leaves no output" {
	pairs 20000 14 100 int | mrtest frame '' > full.mr
	head -c 5000 full.mr > cut.mr
	run -1 --separate-stderr mrreduce -o out sum cut.mr
	assert_stderr_prefix "mrreduce: cut.mr: "
	[ ! -e out ]
	no_temps .
}

@test "a reducer command gets key TAB value lines in order and writes the output" {
	printf 'a\t1\na\t2\nb\nc\t\tx\n' > in.txt
	run -0 mrreduce 'cat; echo "ismap=$mapreduce_task_ismap"' in.txt
	[ "$output" = "$(printf 'a\t1\na\t2\nb\nc\t\tx\nismap=false')" ]
	mrsort in.txt -o in.mr
	run -0 mrreduce -o out.txt 'awk -F"\t" "{ n[\$1]++ } END { for (k in n) print k \"=\" n[k] }" | sort' in.mr
	[ "$(cat out.txt)" = "$(printf 'a=2\nb=1\nc=1')" ]
}

@test "--framed reads a reducer command's output back as records" {
	printf 'a\t1\nb\t2\n' > in.txt
	mrreduce --framed -o out.mr 'sed "s/\t/\tv/"' in.txt
	[ "$(head -c 8 out.mr | od -An -tx1 | tr -d ' ')" = 894d52460d0a1a0a ]
	[ "$(mrmerge --text out.mr)" = "$(printf 'a\tv1\nb\tv2')" ]
}

@test "a reducer command that fails fails mrreduce and leaves no output" {
	printf 'a\t1\n' > in.txt
	run -1 --separate-stderr mrreduce -o out.txt 'cat; exit 4' in.txt
	[ "$stderr" = 'mrreduce: command "cat; exit 4" exited with status 4' ]
	[ ! -e out.txt ]
	no_temps .
}

@test "a reducer command that stops reading early is no error" {
	seq 200000 | sed 's/$/\tx/' | sort > in.txt
	run -0 mrreduce 'head -n 2' in.txt
	[ "$output" = "$(head -n 2 in.txt)" ]
}

@test "unsorted input kills a reducer command and all its processes" {
	seq 300000 | sed 's/$/\tx/' | sort > in.txt
	printf '0\tlate\n' >> in.txt
	run -1 --separate-stderr mrreduce 'cat | wc -l; echo done' in.txt
	[ "$output" = "" ]
	[ "$stderr" = "mrreduce: in.txt: record 300001 is out of order (sort it with mrsort)" ]
}

@test "a reducer command writing to a closed pipe ends mrreduce quietly" {
	seq 200000 | sed 's/$/\tv/' | sort > in.txt
	run --separate-stderr bash -c "env --default-signal=PIPE mrreduce cat in.txt | head -n 1; exit \${PIPESTATUS[0]}"
	[ "$status" -eq 141 ]
	[ -z "$stderr" ]
}

@test "a reducer command's reporter counters are summed on stderr" {
	printf 'a\t1\nb\t2\n' > in.txt
	run -0 --separate-stderr mrreduce 'while read l; do echo "reporter:counter:R,Groups,1" >&2; echo "reporter:status:busy" >&2; done; echo note >&2' in.txt
	[ "$stderr" = "$(printf 'note\nreporter:counter:R,Groups,2')" ]
}

@test "--counters writes the records, groups and results of a built-in op" {
	printf 'a\t1\na\t2\nb\t5\n' > in.txt
	run -0 --separate-stderr mrreduce --counters c.tsv sum in.txt
	[ -z "$stderr" ]
	[ "$(cat c.tsv)" = "$(printf 'mr\tREDUCE_INPUT_RECORDS\t3\nmr\tREDUCE_INPUT_GROUPS\t2\nmr\tSKIPPED_VALUES\t0\nmr\tREDUCE_OUTPUT_RECORDS\t2')" ]
}

@test "--counters takes a command's counters once, and not its text output's records" {
	printf 'a\t1\nb\t2\n' > in.txt
	run -0 --separate-stderr mrreduce --counters c.tsv 'echo reporter:counter:u,x,1 >&2; cat' in.txt
	[ -z "$stderr" ]
	[ "$(cat c.tsv)" = "$(printf 'mr\tREDUCE_INPUT_RECORDS\t2\nmr\tREDUCE_INPUT_GROUPS\t2\nmr\tSKIPPED_VALUES\t0\nu\tx\t1')" ]
}

@test "a misspelt op is a usage error that lists the ops" {
	printf 'a\t1\n' > in.txt
	run -2 --separate-stderr mrreduce stdev in.txt
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "mrreduce: stdev: neither a built-in op nor a command on PATH" ]
	[ "${stderr_lines[1]}" = "mrreduce: the ops are count, sum, min, max, mean, first, last, collect, distinct" ]
	[[ "${stderr_lines[2]}" == "usage: mrreduce "* ]]
	# a word of the characters of an op list to come is checked the same
	run -2 --separate-stderr mrreduce count,stdev@2 in.txt
	assert_stderr_prefix "mrreduce: count,stdev@2: neither a built-in op"
	# ops are names, exactly
	run -2 --separate-stderr mrreduce Count in.txt
	assert_stderr_prefix "mrreduce: Count: neither a built-in op"
}

@test "a word on PATH, a path or a command line still runs as a command" {
	printf 'a\t1\n' > in.txt
	mkdir bin
	printf '#!/bin/sh\necho ran\n' > bin/stdev
	chmod +x bin/stdev
	run -0 --separate-stderr env PATH="$PWD/bin:$PATH" mrreduce stdev in.txt
	[ "$output" = "ran" ]
	[ -z "$stderr" ]
	# an empty entry of PATH is the current directory, as for the shell
	run -0 --separate-stderr bash -c 'cd bin && PATH="$PATH:" mrreduce stdev ../in.txt'
	[ "$output" = "ran" ]
	run -0 --separate-stderr mrreduce ./bin/stdev in.txt
	[ "$output" = "ran" ]
	run -0 --separate-stderr mrreduce "$PWD/bin/stdev" in.txt
	[ "$output" = "ran" ]
	run -0 --separate-stderr mrreduce cat in.txt
	[ "$output" = "a${TAB}1" ]
	run -0 --separate-stderr mrreduce /bin/cat in.txt
	[ "$output" = "a${TAB}1" ]
	# a command with arguments runs, and fails as the shell says
	run -1 --separate-stderr mrreduce 'stdev -x' in.txt
	[ "$output" = "" ]
	[ "${stderr_lines[-1]}" = "mrreduce: command \"stdev -x\" exited with status 127" ]
	# words that the shell runs itself
	run -0 --separate-stderr mrreduce : in.txt
	[ "$output" = "" ]
	[ -z "$stderr" ]
}

@test "a word that is on PATH but not executable is no command" {
	printf 'a\t1\n' > in.txt
	mkdir bin
	printf 'echo ran\n' > bin/stdev
	mkdir bin/sdev
	run -2 --separate-stderr env PATH="$PWD/bin:$PATH" mrreduce stdev in.txt
	assert_stderr_prefix "mrreduce: stdev: neither a built-in op"
	run -2 --separate-stderr env PATH="$PWD/bin:$PATH" mrreduce sdev in.txt
	assert_stderr_prefix "mrreduce: sdev: neither a built-in op"
}

@test "--help lists the built-in ops" {
	run -0 --separate-stderr mrreduce --help
	[ -z "$stderr" ]
	n=${#lines[@]}
	[ "${lines[n - 3]}" = "The built-in ops (NONE, or identity, passes the records through):" ]
	[ "${lines[n - 2]}" = "  count, sum, min, max, mean, first, last, collect, distinct" ]
	# each of them is an op
	for op in $(printf '%s\n' "${lines[n - 2]}" | tr -d ,); do
		printf 'a\t1\n' | mrreduce "$op" > /dev/null
	done
}

@test "200 inputs over a limit of 32 open files are merged in passes, then reduced" {
	for i in $(seq 0 199); do
		pairs 40 "$i" 60 int > "in$i"
	done
	mkdir tmp
	sort -s -m -t "$TAB" -k1,1 in* > all
	run -0 --separate-stderr low_limit mrreduce -T tmp count in*
	[ -z "$stderr" ]
	[ "$output" = "$(cut -f1 all | uniq -c | awk '{ print $2 "\t" $1 }')" ]
	run -0 --separate-stderr low_limit mrreduce -T tmp NONE in*
	[ "$output" = "$(cat all)" ]
	# a command gets the records in the order of one merge
	run -0 --separate-stderr low_limit mrreduce -T tmp 'cut -f2' in*
	[ "$output" = "$(cut -f2 all)" ]
	[ -z "$(ls -A tmp)" ]
	# partial states, framed, as mrmap --combine writes them
	for i in $(seq 0 199); do
		mrmap --combine=sum cat "in$i" | mrsort -o "c$i.mr"
	done
	mrreduce sum c*.mr > want
	TMPDIR=$PWD/tmp low_limit mrreduce sum c*.mr > got
	cmp want got
	awk -F '\t' '{ s[$1] += $2 } END { for (k in s) print k "\t" s[k] }' all |
		sort | cmp - got
	mrreduce --partial sum c*.mr > want.mr
	low_limit mrreduce --partial sum c*.mr > got.mr
	cmp want.mr got.mr
	[ -z "$(ls -A tmp)" ]
}

@test "a merge in passes keeps -n and -r, and names a bad value's inputs" {
	for i in $(seq 0 99); do
		awk -v s="$i" 'BEGIN { srand(s); for (j = 0; j < 20; j++)
			printf "%d\t%d\n", int(rand() * 50), s }' |
			sort -s -n -r -t "$TAB" -k1,1 > "in$i"
	done
	mrreduce -n -r collect in* > want
	low_limit mrreduce -n -r collect in* > got
	cmp want got
	[ "$(wc -l < got)" -eq 50 ]
	printf '1000\tx\n' > in0
	run -1 --separate-stderr low_limit mrreduce -n -r sum in*
	assert_stderr_prefix "mrreduce: in0 ... in"
	[[ "$stderr" == *" (merged): record 1: key \"1000\": value \"x\" is not a number" ]]
	printf '1\tx\n2\ty\n' > in7
	run -1 --separate-stderr low_limit mrreduce -n -r sum in*
	[ "$stderr" = "mrreduce: in7: record 2 is out of order (inputs must be sorted)" ]
}

@test "--key-fields K with --framed: the key of the command's line is its first K fields" {
	printf 'a\t1\nb\t2\n' > in
	prog='awk -F "\t" -v OFS="\t" "{ print \$1, \$2, \"v\" NR; print \$1 }"'
	run -0 --separate-stderr bash -c "mrreduce --framed --key-fields 2 '$prog' in | mrtest dump"
	[ "$output" = "$(printf '%s\n' "610931 7631" "61 " "620932 7632" "62 ")" ]
	run -0 --separate-stderr bash -c "mrreduce --framed '$prog' in | mrtest dump"
	[ "${lines[0]}" = "61 31097631" ]
	for bad in "--key-fields 0 --framed cat" "--key-fields x --framed cat" \
	    "--key-fields 2 cat" "--key-fields 2 --framed count" \
	    "--key-fields 2 --framed NONE"; do
		run -2 --separate-stderr mrreduce $bad in
		[[ "$stderr" == "mrreduce: "* ]] || { echo "$bad: $stderr"; return 1; }
	done
}

#!/usr/bin/env bats
# mrjoin: inner, outer (-a), anti (-v) and semi joins of sorted inputs
# against join(1) and awk oracles, many-to-many and three-way joins, -n
# keys, separators, framed and binary-safe inputs and outputs, groups that
# spill to disk, order checks, damaged inputs and usage errors.

load test_helper

# pairs N SEED KEYS NAME: N lines key<TAB>value over about KEYS keys
# (k0, k1, ...), each key a few times, sorted stably by key as join(1)
# reads them; the value (NAME, the line number, sometimes a space and
# more) tells the records apart.
pairs() {
	awk -v n="$1" -v seed="$2" -v keys="$3" -v name="$4" 'BEGIN {
		srand(seed)
		for (i = 1; i <= n; i++) {
			v = name i
			if (rand() < 0.2)
				v = v " x"
			printf "k%d\t%s\n", int(rand() * keys), v
		}
	}' | sort -s -t "$TAB" -k1,1
}

# two: a and b, random sorted inputs with keys in both, in one only, and
# repeated keys on both sides.
two() {
	pairs 400 1 250 a > a
	pairs 400 2 250 b > b
}

# oracle FILL KEEP FILE...: the rows of the join of the text FILEs with
# every record a key<TAB>value line: for each key (in byte order) present
# in every FILE, or in a FILE whose number is in the string KEEP, the
# cross product of the FILEs' values in input order, the last FILE
# varying fastest, a FILE lacking the key giving FILL.
oracle() {
	local fill=$1 keep=$2
	shift 2
	cut -f 1 "$@" | sort -u > oracle.keys
	awk -F "$TAB" -v fill="$fill" -v keep="$keep" '
	function rows(k, i, row,    j, c) {
		if (i > nin) {
			print row
			return
		}
		c = n[i, k] ? n[i, k] : 1
		for (j = 1; j <= c; j++)
			rows(k, i + 1, row "\t" (n[i, k] ? val[i, k, j] : fill))
	}
	FNR == 1 { f++ }
	f == 1 { order[++nk] = $0; next }
	{
		i = f - 1; nin = i; k = $1
		v = index($0, "\t") ? substr($0, length(k) + 2) : ""
		val[i, k, ++n[i, k]] = v
	}
	END {
		for (x = 1; x <= nk; x++) {
			k = order[x]; all = 1; kept = 0
			for (i = 1; i <= nin; i++)
				if (!n[i, k]) all = 0
				else if (index(keep, i)) kept = 1
			if (all || kept)
				rows(k, 1, k)
		}
	}' oracle.keys "$@"
}

# semi_oracle FILE...: the records of the first FILE whose key is in
# every other FILE.
semi_oracle() {
	awk -F "$TAB" -v nin=$# '
	FNR == 1 { f++ }
	f < nin { if (!((f, $1) in seen)) { seen[f, $1] = 1; cnt[$1]++ }; next }
	FILENAME == ARGV[ARGC - 1] && cnt[$1] == nin - 1' "${@:2}" "$1"
}

# self_oracle: from `mrtest dump` lines of sorted framed records, the dump
# of their join with themselves with --framed: for each key, each pair of
# its values (the second varying fastest), "KEY V1 09 V2" in hex.
self_oracle() {
	awk -F '[ ]' '{
		k = $1 ""; v = $2 ""
		if (nk == 0 || k != key[nk]) key[++nk] = k
		val[nk, ++n[nk]] = v
	}
	END {
		for (x = 1; x <= nk; x++)
			for (i = 1; i <= n[x]; i++)
				for (j = 1; j <= n[x]; j++)
					print key[x] " " val[x, i] "09" val[x, j]
	}'
}

# first_disorder: from `mrtest dump` lines, the number of the first record
# whose key sorts before the previous one (hex compares as the bytes do).
first_disorder() {
	awk -F '[ ]' 'NR > 1 && ($1 "") < (prev "") { print NR; exit } { prev = $1 }'
}

@test "the inner join of random inputs with repeated keys equals join(1)" {
	two
	[ "$(join -t "$TAB" a b | wc -l)" -gt 300 ]
	run -0 --separate-stderr mrjoin a b
	[ -z "$stderr" ]
	[ "$output" = "$(join -t "$TAB" a b)" ]
}

@test "a many-to-many key gives every pair, input 1's records outermost" {
	printf 'j\t0\nk\t1\nk\t2\nl\t3\n' > a
	printf 'k\tx\nk\ty\nk\tz\nm\tw\n' > b
	run -0 mrjoin a b
	[ "$output" = "k${TAB}1${TAB}x
k${TAB}1${TAB}y
k${TAB}1${TAB}z
k${TAB}2${TAB}x
k${TAB}2${TAB}y
k${TAB}2${TAB}z" ]
}

@test "a line without TAB is a key with an empty value; a value keeps its TABs" {
	printf 'a\nb\t1\nc\tp\tq\n' > a
	printf 'a\tx\nb\nc\tr\n' > b
	run -0 mrjoin a b
	[ "$output" = "a${TAB}${TAB}x
b${TAB}1${TAB}
c${TAB}p${TAB}q${TAB}r" ]
	# the last line may lack its newline
	printf 'a\tx\nc\tr' > b
	run -0 mrjoin a b
	[ "$output" = "a${TAB}${TAB}x
c${TAB}p${TAB}q${TAB}r" ]
}

@test "-a 1 is the left outer join of join -a 1 -e" {
	two
	mrjoin -a 1 -e NONE a b > got
	join -t "$TAB" -a 1 -e NONE -o auto a b | cmp - got
	[ "$(grep -c "${TAB}NONE\$" got)" -gt 10 ]
}

@test "-a 2 is the right outer join of join -a 2 -e" {
	two
	mrjoin -a 2 -e '<none>' a b > got
	join -t "$TAB" -a 2 -e '<none>' -o auto a b | cmp - got
	[ "$(grep -c "^k[0-9]*${TAB}<none>${TAB}" got)" -gt 10 ]
}

@test "-a 1 -a 2 is the full outer join of join -a 1 -a 2 -e" {
	two
	mrjoin -a 1 -a 2 -e 'n/a' a b > got
	join -t "$TAB" -a 1 -a 2 -e 'n/a' -o auto a b | cmp - got
	# the order of the options does not matter
	mrjoin -e 'n/a' -a 2 -a 1 a b | cmp - got
}

@test "the fill of a missing input is empty without -e" {
	printf 'a\t1\nb\t2\n' > a
	printf 'b\tx\nc\ty\n' > b
	run -0 mrjoin -a 1 -a 2 a b
	[ "$output" = "a${TAB}1${TAB}
b${TAB}2${TAB}x
c${TAB}${TAB}y" ]
}

@test "-v 1 and -v 2 write the unpaired records as join -v does" {
	two
	mrjoin -v 1 a b > got
	join -t "$TAB" -v 1 a b | cmp - got
	[ -s got ]
	mrjoin -v 2 a b > got
	join -t "$TAB" -v 2 a b | cmp - got
	[ -s got ]
	mrjoin -v 1 -v 2 a b > got
	join -t "$TAB" -v 1 -v 2 a b | cmp - got
}

@test "--semi writes each record of input 1 whose key input 2 has, once" {
	printf 'a\t1\na\t2\nb\t3\nd\t4\n' > a
	printf 'a\tx\na\ty\na\tz\nc\tw\nd\tv\n' > b
	run -0 mrjoin --semi a b
	[ "$output" = "a${TAB}1
a${TAB}2
d${TAB}4" ]
	two
	mrjoin --semi a b > got
	semi_oracle a b | cmp - got
	[ "$(wc -l < got)" -gt 100 ]
}

@test "three inputs: the inner join needs the key in all three, as chained join(1)" {
	two
	pairs 300 3 250 c > c
	mrjoin a b c > got
	join -t "$TAB" a b | join -t "$TAB" - c | cmp - got
	[ "$(wc -l < got)" -gt 50 ]
	oracle '' '' a b c | cmp - got
}

@test "three inputs: -a 1 fills the inputs that lack input 1's key" {
	two
	pairs 300 3 250 c > c
	mrjoin -a 1 -e '-' a b c > got
	join -t "$TAB" -a 1 -e '-' -o auto a b |
		join -t "$TAB" -a 1 -e '-' -o auto - c | cmp - got
	oracle '-' 1 a b c | cmp - got
}

@test "three inputs: -a 2 -a 3, --semi and -v 2 equal the awk oracles" {
	two
	pairs 300 3 250 c > c
	mrjoin -a 2 -a 3 -e X a b c > got
	oracle X 23 a b c | cmp - got
	grep -q "^k[0-9]*${TAB}X${TAB}X${TAB}c" got
	grep -q "^k[0-9]*${TAB}X${TAB}b[^$TAB]*${TAB}c" got
	mrjoin --semi a b c > got
	semi_oracle a b c | cmp - got
	[ -s got ]
	# the records of b whose key a or c lacks
	mrjoin -v 2 a b c > got
	awk -F "$TAB" 'FNR == 1 { f++ } f == 1 { ina[$1] = 1 } f == 2 { inc[$1] = 1 }
		f == 3 && !(($1 in ina) && ($1 in inc))' a c b | cmp - got
	[ -s got ]
}

@test "three inputs: a small many-to-many join, with a fill" {
	printf 'k\t1\nk\t2\nm\t3\n' > a
	printf 'k\tx\nn\ty\n' > b
	printf 'k\tp\nk\tq\nm\tr\n' > c
	run -0 mrjoin a b c
	[ "$output" = "k${TAB}1${TAB}x${TAB}p
k${TAB}1${TAB}x${TAB}q
k${TAB}2${TAB}x${TAB}p
k${TAB}2${TAB}x${TAB}q" ]
	run -0 mrjoin -a 3 -e . a b c
	[ "$output" = "k${TAB}1${TAB}x${TAB}p
k${TAB}1${TAB}x${TAB}q
k${TAB}2${TAB}x${TAB}p
k${TAB}2${TAB}x${TAB}q
m${TAB}3${TAB}.${TAB}r" ]
}

@test "-n joins keys sorted by number as join(1) joins them zero-padded" {
	for s in 1 2; do
		awk -v seed=$s 'BEGIN { srand(seed); for (i = 1; i <= 300; i++)
			printf "%d\tv%d_%d\n", 1 + int(rand() * 200), seed, i }' |
			sort -s -n -t "$TAB" -k1,1 > n$s
		awk -F "$TAB" -v OFS="$TAB" '{ $1 = sprintf("%04d", $1); print }' n$s > p$s
	done
	mrsort -c -n n1
	mrsort -c -n n2
	unpad() { awk -F "$TAB" -v OFS="$TAB" '{ $1 = $1 + 0; print }'; }
	mrjoin -n n1 n2 > got
	join -t "$TAB" p1 p2 | unpad | cmp - got
	[ "$(wc -l < got)" -gt 200 ]
	mrjoin -n -a 1 -a 2 -e Z n1 n2 > got
	join -t "$TAB" -a 1 -a 2 -e Z -o auto p1 p2 | unpad | cmp - got
	mrjoin -n -v 2 n1 n2 > got
	join -t "$TAB" -v 2 p1 p2 | unpad | cmp - got
	# bytewise, 10 after 9 is out of order
	run -1 --separate-stderr mrjoin n1 n2
	[[ "$stderr" == "mrjoin: n"[12]": record "*" is out of order (sort it with mrsort)" ]]
}

@test "-n orders signs, fractions and keys that are not numbers as mrsort -n" {
	printf 'abc\t0\n-3\t1\n-1.5\t2\n0\t3\n2\t4\n10\t5\n' > a
	printf 'abc\tw\n-1.5\tx\n2\ty\n10\tz\n11\tq\n' > b
	mrsort -c -n a
	mrsort -c -n b
	run -0 --separate-stderr mrjoin -n a b
	[ "$output" = "abc${TAB}0${TAB}w
-1.5${TAB}2${TAB}x
2${TAB}4${TAB}y
10${TAB}5${TAB}z" ]
	run -1 --separate-stderr mrjoin -n a <(printf '2\ty\n1\tx\n')
	[[ "$stderr" == "mrjoin: "*": record 2 is out of order (sort it with mrsort)" ]]
}

@test "-t SEP separates key and values, in and out" {
	two
	tr '\t' , < a > a.csv
	tr '\t' , < b > b.csv
	mrjoin -t , a.csv b.csv > got
	join -t , a.csv b.csv | cmp - got
	mrjoin -t , -a 2 -e E a.csv b.csv > got
	join -t , -a 2 -e E -o auto a.csv b.csv | cmp - got
	[ "$(tr -cd '\t' < got | wc -c)" -eq 0 ]
}

@test "-z reads and writes NUL-terminated lines" {
	two
	tr '\n' '\0' < a > a.z
	tr '\n' '\0' < b > b.z
	mrjoin -z a.z b.z > got.z
	[ "$(tr -cd '\n' < got.z | wc -c)" -eq 0 ]
	[ "$(tail -c 1 got.z | od -An -tx1 | tr -d ' ')" = 00 ]
	tr '\0' '\n' < got.z | cmp - <(join -t "$TAB" a b)
	# a value may then hold a newline
	printf 'k\tline 1\nline 2\0' > x.z
	printf 'k\tv\0' > y.z
	mrjoin -z x.z y.z > got.z
	printf 'k\tline 1\nline 2\tv\0' | cmp - got.z
}

@test "- reads standard input, as either input" {
	two
	join -t "$TAB" a b > want
	cat b | mrjoin a - | cmp - want
	cat a | mrjoin - b | cmp - want
}

@test "framed and text inputs join alike; --framed writes framed records" {
	two
	frame a a.mr
	frame b b.mr
	join -t "$TAB" a b > want
	mrjoin a.mr b | cmp - want
	mrjoin a b.mr | cmp - want
	mrjoin a.mr b.mr | cmp - want
	mrjoin --framed a b > out.mr
	[ "$(head -c 9 out.mr | od -An -tx1 | tr -d ' ')" = 894d52460d0a1a0a48 ]
	mrmerge --text out.mr | cmp - want
	mrsort --text out.mr | cmp - want
	mrjoin --framed -a 1 -e X a.mr b.mr | mrmerge --text |
		cmp - <(join -t "$TAB" -a 1 -e X -o auto a b)
	# each record's key is the key and its value the values joined
	mrjoin --framed <(printf 'k\t1\n') <(printf 'k\t2\n') | mrtest dump > got
	[ "$(cat got)" = "6b 310932" ]
}

@test "a framed input joined with itself gives every pair of values, binary-safe" {
	mrtest gen 4 300 4 > r.mr
	mrtest gen 9 300 30 > s.mr
	mrsort r.mr s.mr s.mr -o in.mr
	mrtest dump < in.mr > in.dump
	# TAB, LF and NUL in keys and values; repeated keys
	keys=$(cut -d ' ' -f 1 in.dump | fold -w 2 | sort -u | tr '\n' ' ')
	vals=$(cut -d ' ' -f 2 in.dump | fold -w 2 | sort -u | tr '\n' ' ')
	for b in 00 09 0a; do
		[[ " $keys" == *" $b "* ]]
		[[ " $vals" == *" $b "* ]]
	done
	[ "$(cut -d ' ' -f 1 in.dump | uniq -d | wc -l)" -gt 100 ]
	run -0 --separate-stderr mrjoin --framed -o out.mr in.mr in.mr
	[ -z "$stderr" ]
	mrtest dump < out.mr > got
	[ "$(wc -l < got)" -eq "$(cut -d ' ' -f 1 in.dump | sort | uniq -c |
		awk '{ s += $1 * $1 } END { print s }')" ]
	self_oracle < in.dump | cmp - got
	# --semi of a file with itself is the file
	mrjoin --framed --semi in.mr in.mr | mrtest dump | cmp - in.dump
}

@test "an empty input is no records" {
	printf 'a\t1\nb\t2\n' > a
	: > empty
	run -0 --separate-stderr mrjoin a empty
	[ -z "$output" ]
	[ -z "$stderr" ]
	run -0 mrjoin empty empty
	[ -z "$output" ]
	run -0 mrjoin -a 1 -e X a empty
	[ "$output" = "a${TAB}1${TAB}X
b${TAB}2${TAB}X" ]
	run -0 mrjoin -a 2 empty a
	[ "$output" = "a${TAB}${TAB}1
b${TAB}${TAB}2" ]
	run -0 mrjoin -v 1 a empty
	[ "$output" = "$(cat a)" ]
	mrmerge -o empty.mr < /dev/null
	run -0 mrjoin -a 1 -e X a empty.mr
	[ "$output" = "a${TAB}1${TAB}X
b${TAB}2${TAB}X" ]
}

@test "an input out of order is an error naming it and the record, first or second" {
	printf 'a\t1\nb\t2\nd\t3\nc\t4\ne\t5\n' > bad
	printf 'a\tx\nb\ty\nc\tz\nd\tw\ne\tv\n' > good
	run -1 --separate-stderr mrjoin bad good
	[ "$stderr" = "mrjoin: bad: record 4 is out of order (sort it with mrsort)" ]
	run -1 --separate-stderr mrjoin good bad
	[ "$stderr" = "mrjoin: bad: record 4 is out of order (sort it with mrsort)" ]
	run -1 --separate-stderr mrjoin -a 1 good good bad
	[ "$stderr" = "mrjoin: bad: record 4 is out of order (sort it with mrsort)" ]
	# equal keys are in order
	printf 'a\t1\na\t0\n' > dup
	run -0 mrjoin dup dup
	# framed, unsorted, in the order mrtest gen wrote it
	mrtest gen 6 200 8 > u.mr
	mrsort u.mr -o s.mr
	n=$(mrtest dump < u.mr | first_disorder)
	[ "$n" -gt 1 ]
	run -1 --separate-stderr mrjoin u.mr s.mr
	[ "$stderr" = "mrjoin: u.mr: record $n is out of order (sort it with mrsort)" ]
}

@test "-o writes the whole output, or on an error no file and no temp file" {
	two
	mrjoin -o out a b
	join -t "$TAB" a b | cmp - out
	# b goes out of order after many rows are joined; -a 2 reads it all
	{ cat b; printf 'k0\tlate\n'; } > bad
	run -1 --separate-stderr mrjoin -a 2 -o out2 a bad
	[ "$stderr" = "mrjoin: bad: record 401 is out of order (sort it with mrsort)" ]
	[ ! -e out2 ]
	run -1 --separate-stderr mrjoin -a 1 -o out2 a nosuch
	[ ! -e out2 ]
	no_temps .
}

@test "a missing file is an error naming it" {
	printf 'a\t1\n' > a
	run -1 --separate-stderr mrjoin a nosuch
	assert_stderr_prefix "mrjoin: nosuch: "
	[ -z "$output" ]
	run -1 --separate-stderr mrjoin nosuch a
	assert_stderr_prefix "mrjoin: nosuch: "
}

@test "a truncated or corrupt framed input is an error naming it, with no -o file" {
	mrtest gen 5 3000 30 > g.mr
	mrsort g.mr -o s.mr
	head -c 20000 s.mr > t.mr
	run -1 --separate-stderr mrjoin -o out s.mr t.mr
	assert_stderr_prefix "mrjoin: t.mr: "
	[ ! -e out ]
	run -1 --separate-stderr mrjoin -a 2 -o out t.mr s.mr
	assert_stderr_prefix "mrjoin: t.mr: "
	[ ! -e out ]
	cp s.mr c.mr
	flip c.mr 300
	run -1 --separate-stderr mrjoin -o out s.mr c.mr
	assert_stderr_prefix "mrjoin: c.mr: "
	[ ! -e out ]
	no_temps .
}

@test "a framed input of partial aggregation states is an error" {
	printf 'a\na\n' | mrmap --combine count cat > p.mr
	printf 'a\tx\n' > a
	run -1 --separate-stderr mrjoin p.mr a
	assert_stderr_prefix "mrjoin: p.mr: "
	run -1 --separate-stderr mrjoin -o out a p.mr
	assert_stderr_prefix "mrjoin: p.mr: "
	[ ! -e out ]
}

@test "a group larger than -S spills under -T and is joined whole" {
	# one key with 300 records on each side; b's group is ~30K
	awk 'BEGIN { for (i = 1; i <= 300; i++) printf "k\ta%03d\n", i
		print "z\tlast" }' > a
	awk 'BEGIN { pad = sprintf("%90s", ""); gsub(/ /, "p", pad)
		print "j\tfirst"
		for (i = 1; i <= 300; i++) printf "k\tb%03d%s\n", i, pad
		print "z\tend" }' > b
	mkdir tmp
	mrjoin -S 16K -T tmp a b > got
	[ "$(wc -l < got)" -eq 90001 ]
	[ "$(head -n 1 got)" = "k${TAB}a001${TAB}b001$(printf 'p%.0s' $(seq 90))" ]
	[ "$(sed -n 301p got | cut -f 2,3 | cut -c 1-9)" = "a002${TAB}b001" ]
	[ "$(tail -n 1 got)" = "z${TAB}last${TAB}end" ]
	join -t "$TAB" a b | cmp - got
	[ -z "$(ls -A tmp)" ]
	# and framed, to a file
	mrjoin --framed -S 16K -T tmp -o out.mr a b
	mrmerge --text out.mr | cmp - got
	[ -z "$(ls -A tmp)" ]
	no_temps .
}

@test "a group that must spill to a missing -T DIR is an error, not a short join" {
	awk 'BEGIN { print "k\ta" }' > a
	awk 'BEGIN { pad = sprintf("%200s", ""); gsub(/ /, "p", pad)
		for (i = 1; i <= 500; i++) printf "k\tb%03d%s\n", i, pad }' > b
	run -0 mrjoin -S 1M -T nodir a b
	[ "${#lines[@]}" -eq 500 ]
	run -1 --separate-stderr mrjoin -S 16K -T nodir -o out a b
	assert_stderr_prefix "mrjoin: "
	[ ! -e out ]
}

@test "-S bounds the memory of a group of 40 MB" {
	awk 'BEGIN { print "k\ta" }' > a
	awk 'BEGIN { pad = "p"; while (length(pad) < 40000) pad = pad pad
		pad = substr(pad, 1, 40000)
		for (i = 1; i <= 1000; i++) printf "k\t%s\n", pad }' > b
	mkdir tmp
	/usr/bin/time -f %M -o rss mrjoin -S 1M -T tmp a b > got
	[ "$(wc -l < got)" -eq 1000 ]
	[ "$(wc -c < got)" -eq $((1000 * 40005)) ]
	[ "$(sort -u got | wc -l)" -eq 1 ]
	# max resident set in KiB, well under the group's 40 MB (but for
	# AddressSanitizer's own memory)
	[ -n "${ASAN_OPTIONS-}" ] || [ "$(tail -n 1 rss)" -lt 20000 ]
	[ -z "$(ls -A tmp)" ]
}

@test "fewer than two inputs is a usage error" {
	printf 'a\t1\n' > a
	run -2 --separate-stderr mrjoin
	assert_stderr_prefix "mrjoin: "
	run -2 --separate-stderr mrjoin a
	assert_stderr_prefix "mrjoin: "
	[ -z "$output" ]
	run -2 --separate-stderr mrjoin -a 1 -o out a
	assert_stderr_prefix "mrjoin: "
	[ ! -e out ]
}

@test "-a and -v take an input's number, 1 to the number of inputs" {
	printf 'a\t1\n' > a
	for opt in '-a 3' '-a 0' '-a x' '-a -1' '-a 1x' '-v 3' '-v 0' '-v x' '-a'; do
		run -2 --separate-stderr mrjoin $opt a a
		assert_stderr_prefix "mrjoin: "
		[ -z "$output" ]
	done
	printf 'a\t2\nb\t3\n' > c
	run -0 mrjoin -a 3 -e . a a c
	[ "$output" = "a${TAB}1${TAB}1${TAB}2
b${TAB}.${TAB}.${TAB}3" ]
	run -0 mrjoin -v 3 a a c
	[ "$output" = "b${TAB}3" ]
}

@test "-v with -a or --semi, and --semi with -a, are usage errors" {
	printf 'a\t1\n' > a
	for opts in '-v 1 -a 2' '-a 1 -v 1' '-v 1 --semi' '--semi -v 2' '--semi -a 1' '-a 2 --semi'; do
		run -2 --separate-stderr mrjoin $opts a a
		assert_stderr_prefix "mrjoin: "
		[ -z "$output" ]
	done
}

@test "an unknown option or a bad -S size is a usage error" {
	printf 'a\t1\n' > a
	for opts in '--nosuch' '-q' '-S abc' '-S 1X' '-S -5'; do
		run -2 --separate-stderr mrjoin $opts a a
		assert_stderr_prefix "mrjoin: "
		[ -z "$output" ]
	done
	run -0 mrjoin -S 64K a a
	[ "$output" = "a${TAB}1${TAB}1" ]
}

@test "--help prints the usage on stdout and --version a version" {
	run -0 --separate-stderr mrjoin --help
	[ -z "$stderr" ]
	[[ "${lines[0]}" == "usage: mrjoin "* ]]
	[[ "$output" == *"--semi"* ]]
	run -0 --separate-stderr mrjoin --version
	[ -z "$stderr" ]
	[ -n "$output" ]
}

@test "-n orders keys as numbers, and keys join by their bytes: 7 and 07 are two keys" {
	printf '07\tb\n7\tc\n' > a
	printf '7\tX\n' > b
	run -0 --separate-stderr mrjoin -n a b
	[ "$output" = "$(printf '7\tc\tX')" ]
	run -0 --separate-stderr mrjoin -n -a 1 -a 2 -e - a b
	[ "$output" = "$(printf '07\tb\t-\n7\tc\tX')" ]
	# 7 before 07 is out of the order of mrsort -n
	printf '7\tc\n07\tb\n' > c
	run -1 --separate-stderr mrjoin -n c b
	[ "$stderr" = "mrjoin: c: record 2 is out of order (sort it with mrsort)" ]
}

@test "many inputs whose groups all spill get the open files they need" {
	for i in $(seq 1 60); do printf 'k\t%d\n' "$i" > "in$i"; done
	mkdir tmp
	run -0 --separate-stderr bash -c 'ulimit -Sn 70; mrjoin -S 1b -T tmp in$(seq -s " in" 1 60)'
	[ "$output" = "k$TAB$(seq -s "$TAB" 1 60)" ]
	[ -z "$(ls -A tmp)" ]
}

# groups: sorted files a1 a2 a3 (input 1) and b1 b2 (input 2) with keys
# in several files of a group and in both groups, and a and b, the stable
# sorts of each group's concatenation: the records of a key in file order.
groups() {
	pairs 200 11 150 a1_ > a1
	pairs 150 12 150 a2_ > a2
	pairs 100 13 150 a3_ > a3
	pairs 200 14 150 b1_ > b1
	pairs 150 15 150 b2_ > b2
	cat a1 a2 a3 | sort -s -t "$TAB" -k1,1 > a
	cat b1 b2 | sort -s -t "$TAB" -k1,1 > b
}

@test "--inputs joins groups of sorted files as join(1) joins their sorted concatenations" {
	groups
	[ "$(join -t "$TAB" a b | wc -l)" -gt 300 ]
	run -0 --separate-stderr mrjoin --inputs=3,2 a1 a2 a3 b1 b2
	[ -z "$stderr" ]
	[ "$output" = "$(join -t "$TAB" a b)" ]
	mrjoin --inputs 3,2 -a 1 -a 2 -e X a1 a2 a3 b1 b2 > got
	join -t "$TAB" -a 1 -a 2 -e X -o auto a b | cmp - got
	mrjoin --inputs=3,2 -v 2 a1 a2 a3 b1 b2 > got
	join -t "$TAB" -v 2 a b | cmp - got
	[ -s got ]
	mrjoin --inputs=2,3 --semi b1 b2 a1 a2 a3 > got
	semi_oracle b a | cmp - got
	[ -s got ]
	# three inputs, one of them a single file
	pairs 300 16 150 c > c
	mrjoin --inputs=1,3,2 c a1 a2 a3 b1 b2 > got
	oracle '' '' c a b | cmp - got
	[ -s got ]
}

@test "--inputs: framed and text files mix in a group, and binary keys merge" {
	groups
	frame a2 a2.mr
	frame b1 b1.mr
	mrjoin --inputs=3,2 a1 a2.mr a3 b1.mr b2 | cmp - <(join -t "$TAB" a b)
	mrtest gen 21 300 40 | mrsort -o r1.mr
	mrtest gen 22 300 40 | mrsort -o r2.mr
	mrtest gen 23 300 40 | mrsort -o s.mr
	mrsort r1.mr r2.mr -o r.mr
	mrjoin --framed --inputs=2,1 r1.mr r2.mr s.mr | mrtest dump > got
	mrjoin --framed r.mr s.mr | mrtest dump | cmp - got
	[ "$(wc -l < got)" -gt 100 ]
	# r1 and r2 joined with themselves, pair by pair in file order
	mrtest dump < r.mr > r.dump
	mrjoin --framed --inputs=2,2 r1.mr r2.mr r1.mr r2.mr | mrtest dump |
		cmp - <(self_oracle < r.dump)
}

@test "--inputs: an input whose files are all empty has no records" {
	printf 'a\t1\nb\t2\n' > b
	: > e1
	: > e2
	run -0 --separate-stderr mrjoin --inputs=2,1 e1 e2 b
	[ -z "$output" ]
	[ -z "$stderr" ]
	run -0 mrjoin --inputs=2,1 -a 2 -e X e1 e2 b
	[ "$output" = "a${TAB}X${TAB}1
b${TAB}X${TAB}2" ]
	# an empty file beside others is no records of its own
	run -0 mrjoin --inputs=1,3 b e1 b e2
	[ "$output" = "a${TAB}1${TAB}1
b${TAB}2${TAB}2" ]
}

@test "--inputs: a file out of order in a group is an error naming it and the record" {
	groups
	{ head -n 50 a2; printf 'a\tlate\n'; tail -n +51 a2; } > bad
	run -1 --separate-stderr mrjoin --inputs=3,2 -o out a1 bad a3 b1 b2
	[ "$stderr" = "mrjoin: bad: record 51 is out of order (inputs must be sorted)" ]
	[ ! -e out ]
	run -1 --separate-stderr mrjoin --inputs=2,3 -a 2 -o out b1 b2 a1 a3 bad
	[ "$stderr" = "mrjoin: bad: record 51 is out of order (inputs must be sorted)" ]
	[ ! -e out ]
	no_temps .
}

@test "--inputs numbers that are not two or more counts adding up to the files are usage errors" {
	printf 'a\t1\n' > a
	for v in 2,1 1,1,1 1,1,1,1,1 3 4 0,4 4,0 2,0,2 1,-3 x 2,x '' , 2, ,2 2,,2 +2,2 ' 2,2' '2, 2' 2.0,2; do
		run -2 --separate-stderr mrjoin --inputs="$v" -o out a a a a
		[[ "${stderr_lines[0]}" == "mrjoin: --inputs $v: "* ]] ||
			{ echo "$v: $stderr"; return 1; }
		[[ "${stderr_lines[1]}" == "usage: mrjoin "* ]]
		[ -z "$output" ]
		[ ! -e out ]
	done
	run -2 --separate-stderr mrjoin --inputs=2,1 a a a a
	[ "${stderr_lines[0]}" = "mrjoin: --inputs 2,1: 3 files, but 4 are given" ]
	run -2 --separate-stderr mrjoin --inputs=0,4 a a a a
	[ "${stderr_lines[0]}" = "mrjoin: --inputs 0,4: an input of no files (an empty input is an empty file)" ]
	run -2 --separate-stderr mrjoin --inputs=4 a a a a
	[ "${stderr_lines[0]}" = "mrjoin: --inputs 4: two inputs or more are needed" ]
	# -a and -v count inputs, not files
	run -2 --separate-stderr mrjoin --inputs=2,2 -a 3 a a a a
	[ "${stderr_lines[0]}" = "mrjoin: -a 3: there are 2 inputs" ]
	run -0 mrjoin --inputs=2,2 -v 2 a a a a
	[ -z "$output" ]
	run -0 mrjoin --inputs=3,1 a a a a
	[ "${#lines[@]}" -eq 3 ]
}

@test "--inputs: many files get the open files they need, or a clear error" {
	for i in $(seq 1 60); do printf 'k\t%d\n' "$i" > "in$i"; done
	run -0 --separate-stderr bash -c 'ulimit -Sn 40; mrjoin --inputs=30,30 in$(seq -s " in" 1 60)'
	[ "${#lines[@]}" -eq 900 ]
	[ "${lines[0]}" = "k${TAB}1${TAB}31" ]
	[ "${lines[899]}" = "k${TAB}30${TAB}60" ]
	# over the hard limit, each input's files are merged first
	want=$output
	run -0 --separate-stderr bash -c 'ulimit -n 40; mrjoin --inputs=30,30 -o out in$(seq -s " in" 1 60)'
	[ "$(cat out)" = "$want" ]
	run -1 --separate-stderr bash -c 'ulimit -n 12; mrjoin --inputs=30,30 -o out2 in$(seq -s " in" 1 60)'
	[ "$stderr" = "mrjoin: 4 files need 20 open, over the limit on open files (ulimit -n)" ]
	[ ! -e out2 ]
}

# counters FILE: the counters of FILE as "NAME=TOTAL" words, in the group
# mr, in the order of the file.
counters() {
	awk -F "$TAB" '$1 == "mr" { printf "%s%s=%s", sep, $2, $3; sep = " " }
		END { print "" }' "$1"
}

@test "--counters counts the records read, the keys and the rows written" {
	groups
	mrjoin --inputs=3,2 --counters=c -o out a1 a2 a3 b1 b2
	[ "$(wc -l < c)" -eq 3 ]
	[ "$(awk -F "$TAB" 'NF != 3 || $1 != "mr"' c)" = "" ]
	recs=$(cat a1 a2 a3 b1 b2 | wc -l)
	keys=$(cut -f 1 a b | sort -u | wc -l)
	[ "$(counters c)" = "REDUCE_INPUT_RECORDS=$recs REDUCE_INPUT_GROUPS=$keys REDUCE_OUTPUT_RECORDS=$(wc -l < out)" ]
	[ "$(wc -l < out)" -gt 300 ]
	# framed rows, --semi records
	mrjoin --framed --counters=c -o out.mr a b
	[ "$(counters c)" = "REDUCE_INPUT_RECORDS=$recs REDUCE_INPUT_GROUPS=$keys REDUCE_OUTPUT_RECORDS=$(mrtest dump < out.mr | wc -l)" ]
	mrjoin --semi --counters=c a b > out
	[ "$(counters c)" = "REDUCE_INPUT_RECORDS=$recs REDUCE_INPUT_GROUPS=$keys REDUCE_OUTPUT_RECORDS=$(wc -l < out)" ]
	# empty inputs
	: > e
	mrjoin --counters c e e
	[ "$(counters c)" = "REDUCE_INPUT_RECORDS=0 REDUCE_INPUT_GROUPS=0 REDUCE_OUTPUT_RECORDS=0" ]
}

@test "--counters is written only when the join succeeds" {
	groups
	{ cat b; printf 'k0\tlate\n'; } > bad
	run -1 --separate-stderr mrjoin --counters=c -o out a bad
	[ ! -e c ]
	[ ! -e out ]
	run -1 --separate-stderr mrjoin --counters=nodir/c -o out a b
	assert_stderr_prefix "mrjoin: nodir/c: "
	[ ! -e out ]
	no_temps .
}

# shuffled N SEED KEYS NAME: pairs in a random order.
shuffled() {
	pairs "$1" "$2" "$3" "$4" |
		awk -v seed="$2" 'BEGIN { srand(seed) } { print rand() "\t" $0 }' |
		sort -k1,1 | cut -f 2-
}

# hash_oracle FILL ALL SMALL FILE...: an awk hash join: each record of the
# FILEs in turn, with a row for each value of its key in SMALL, in
# SMALL's order, or with ALL set a row with FILL when SMALL lacks the key.
hash_oracle() {
	awk -F "$TAB" -v fill="$1" -v all="$2" '
	{ k = $1; v = index($0, "\t") ? substr($0, length(k) + 2) : "" }
	FILENAME == ARGV[1] { val[k, ++n[k]] = v; next }
	k in n { for (i = 1; i <= n[k]; i++) print k "\t" v "\t" val[k, i]; next }
	all { print k "\t" v "\t" fill }' "${@:3}"
}

# hash_pair: small and big, unsorted, keys repeated on both sides, keys
# in one side only.
hash_pair() {
	shuffled 300 31 200 s > small
	shuffled 1000 32 300 b > big
}

@test "--hash joins unsorted inputs as an awk hash join, and as join(1) after sorting" {
	hash_pair
	# repeated keys on both sides, and not sorted
	[ "$(cut -f 1 small | sort | uniq -d | wc -l)" -gt 50 ]
	! sort -c -t "$TAB" -k1,1 small 2>/dev/null
	! sort -c -t "$TAB" -k1,1 big 2>/dev/null
	run -0 --separate-stderr mrjoin --hash small big
	[ -z "$stderr" ]
	[ "$output" = "$(hash_oracle '' '' small big)" ]
	[ "${#lines[@]}" -gt 500 ]
	sort -s -t "$TAB" -k1,1 small > small.s
	sort -s -t "$TAB" -k1,1 big > big.s
	[ "$(printf '%s\n' "$output" | sort)" = "$(join -t "$TAB" big.s small.s | sort)" ]
}

@test "--hash: each streamed record meets SMALL's values of its key in SMALL's order" {
	printf 'k\t2\nj\t0\nk\t1\nk\t3\n' > small
	printf 'k\ty\nm\tz\nk\tx\nj\tw\n' > big
	run -0 mrjoin --hash small big
	[ "$output" = "k${TAB}y${TAB}2
k${TAB}y${TAB}1
k${TAB}y${TAB}3
k${TAB}x${TAB}2
k${TAB}x${TAB}1
k${TAB}x${TAB}3
j${TAB}w${TAB}0" ]
}

@test "--hash -a 1, -v 1 and --semi are the streamed side's, as awk and join(1) have them" {
	hash_pair
	sort -s -t "$TAB" -k1,1 small > small.s
	sort -s -t "$TAB" -k1,1 big > big.s
	mrjoin --hash -a 1 -e NONE small big > got
	hash_oracle NONE 1 small big | cmp - got
	[ "$(grep -c "${TAB}NONE\$" got)" -gt 50 ]
	sort got | cmp - <(join -t "$TAB" -a 1 -e NONE -o auto big.s small.s | sort)
	mrjoin --hash -v 1 small big > got
	awk -F "$TAB" 'FILENAME == ARGV[1] { s[$1]; next } !($1 in s)' small big | cmp - got
	[ -s got ]
	sort got | cmp - <(join -t "$TAB" -v 1 big.s small.s | sort)
	mrjoin --hash --semi small big > got
	awk -F "$TAB" 'FILENAME == ARGV[1] { s[$1]; next } $1 in s' small big | cmp - got
	[ "$(wc -l < got)" -gt 200 ]
}

@test "--hash streams several FILEs in turn, or standard input; SMALL may be standard input" {
	hash_pair
	split -l 300 big part.
	hash_oracle '' '' small big > want
	mrjoin --hash small part.* | cmp - want
	mrjoin --hash small < big | cmp - want
	mrjoin --hash small - < big | cmp - want
	mrjoin --hash - big < small | cmp - want
}

@test "--hash --inputs=K,M: SMALL in K parts, in order, and M files to stream" {
	hash_pair
	split -l 100 small small.
	split -l 300 big part.
	hash_oracle '' '' small big > want
	mrjoin --hash --inputs=3,4 small.aa small.ab small.ac part.* | cmp - want
	cat part.ad | mrjoin --hash --inputs=3,4 small.aa small.ab small.ac part.aa part.ab part.ac - | cmp - want
	mrjoin --hash --inputs=1,1 small big | cmp - want
}

@test "--hash of framed binary records equals an awk hash join of their dumps" {
	mrtest gen 41 400 3 > small.mr
	mrtest gen 42 1000 3 > big.mr
	mrtest dump < small.mr > small.dump
	mrtest dump < big.mr > big.dump
	# TAB, LF and NUL in keys; repeated keys on both sides
	keys=$(cut -d ' ' -f 1 small.dump big.dump | fold -w 2 | sort -u | tr '\n' ' ')
	for b in 00 09 0a; do
		[[ " $keys" == *" $b "* ]]
	done
	[ "$(cut -d ' ' -f 1 small.dump | sort | uniq -d | wc -l)" -gt 10 ]
	mrjoin --hash --framed -o out.mr small.mr big.mr
	mrtest dump < out.mr > got
	awk -F '[ ]' 'FILENAME == ARGV[1] { val[$1 "", ++n[$1 ""]] = $2 ""; next }
		($1 "") in n { for (i = 1; i <= n[$1 ""]; i++) print $1 " " $2 "09" val[$1 "", i] }' \
		small.dump big.dump | cmp - got
	[ "$(wc -l < got)" -gt 100 ]
	# the same rows as the sort-merge join of the sorted inputs
	mrsort small.mr -o small.s.mr
	mrsort big.mr -o big.s.mr
	mrjoin --framed big.s.mr small.s.mr | mrtest dump | sort | cmp - <(sort got)
	# -v 1 writes the streamed records as they are
	mrjoin --hash --framed -v 1 small.mr big.mr | mrtest dump > got
	awk -F '[ ]' 'FILENAME == ARGV[1] { s[$1 ""]; next } !(($1 "") in s)' \
		small.dump big.dump | cmp - got
	[ -s got ]
}

@test "--hash with an empty SMALL: no rows, or every streamed record with -a 1 and -v 1" {
	printf 'b\t1\na\t2\n' > big
	: > empty
	run -0 --separate-stderr mrjoin --hash empty big
	[ -z "$output" ]
	[ -z "$stderr" ]
	run -0 mrjoin --hash -a 1 -e X empty big
	[ "$output" = "b${TAB}1${TAB}X
a${TAB}2${TAB}X" ]
	run -0 mrjoin --hash -v 1 empty big
	[ "$output" = "$(cat big)" ]
	run -0 mrjoin --hash --semi empty big
	[ -z "$output" ]
	# the streamed input is read to its end all the same
	mrtest gen 5 3000 30 > g.mr
	head -c 20000 g.mr > t.mr
	run -1 --separate-stderr mrjoin --hash -o out empty t.mr
	assert_stderr_prefix "mrjoin: t.mr: "
	[ ! -e out ]
}

@test "--hash: a SMALL larger than -S is an error saying so, with no output" {
	awk 'BEGIN { for (i = 0; i < 2000; i++) printf "k%d\t%0100d\n", i, i }' > small
	printf 'k1\tx\n' > big
	run -0 mrjoin --hash -S 1M small big
	[ "$output" = "k1${TAB}x${TAB}$(printf '%0100d' 1)" ]
	# 200 KB of records do not fit in 128 KiB, nor with the table in 256
	for s in 128K 256K; do
		run -1 --separate-stderr mrjoin --hash -S $s -o out small big
		[ "$stderr" = "mrjoin: small: SMALL does not fit in -S $s of memory; give it more, or join the inputs sorted, without --hash" ]
		[ -z "$output" ]
		[ ! -e out ]
	done
	run -1 --separate-stderr mrjoin --hash -S 128K small big
	[ -z "$output" ]
	# in the second part of SMALL
	head -n 100 small > s1
	run -1 --separate-stderr mrjoin --hash --inputs=2,1 -S 128K s1 small big
	assert_stderr_prefix "mrjoin: small: SMALL does not fit"
	no_temps .
}

@test "--hash -S bounds the memory that SMALL takes" {
	awk 'BEGIN { for (i = 0; i < 100000; i++) printf "k%d\t%d\n", i, i }' > small
	awk 'BEGIN { for (i = 0; i < 100000; i += 1000) printf "k%d\tb\n", i }' > big
	/usr/bin/time -f %M -o rss mrjoin --hash -S 10M small big > got
	[ "$(wc -l < got)" -eq 100 ]
	# max resident set in KiB (but for AddressSanitizer's own memory)
	[ -n "${ASAN_OPTIONS-}" ] || [ "$(tail -n 1 rss)" -lt 16000 ]
	run -1 --separate-stderr mrjoin --hash -S 4M small big
	assert_stderr_prefix "mrjoin: small: SMALL does not fit in -S 4M"
}

@test "--hash -n joins keys by their bytes, as without -n" {
	printf '07\tb\n7\tc\n1.0\td\n' > small
	printf '7\tX\n1\tY\n07\tZ\n' > big
	run -0 mrjoin --hash -n small big
	[ "$output" = "7${TAB}X${TAB}c
07${TAB}Z${TAB}b" ]
	hash_pair
	mrjoin --hash small big > want
	mrjoin --hash -n small big | cmp - want
}

@test "--hash: -a 2, -v 2, --inputs of other than two, and no SMALL are usage errors" {
	printf 'a\t1\n' > a
	for opts in '-a 2' '-v 2' '-a 1 -a 2' '-a 3' '-v 3' '--inputs=1,1,1' '--inputs=3' '--inputs=1,3' '-a 1 -v 1' '--semi -a 1'; do
		run -2 --separate-stderr mrjoin --hash $opts -o out a a a
		[[ "${stderr_lines[0]}" == "mrjoin: "* ]]
		[[ "${stderr_lines[1]}" == "usage: mrjoin "* ]]
		[ -z "$output" ]
		[ ! -e out ]
	done
	run -2 --separate-stderr mrjoin --hash -a 2 a a
	[ "${stderr_lines[0]}" = "mrjoin: -a 2: --hash writes the unmatched records of input 1, the streamed one, alone; for SMALL's, join sorted inputs without --hash" ]
	run -2 --separate-stderr mrjoin --hash -v 2 a a
	[ "${stderr_lines[0]}" = "mrjoin: -v 2: --hash writes the unmatched records of input 1, the streamed one, alone; for SMALL's, join sorted inputs without --hash" ]
	run -2 --separate-stderr mrjoin --hash --inputs=1,1,1 a a a
	[ "${stderr_lines[0]}" = "mrjoin: --inputs 1,1,1: --hash joins two inputs, SMALL and the streamed one" ]
	run -2 --separate-stderr mrjoin --hash
	[ "${stderr_lines[0]}" = "mrjoin: --hash needs SMALL" ]
	run -2 --separate-stderr mrjoin --hash - < a
	[ "${stderr_lines[0]}" = "mrjoin: --hash: SMALL is standard input, so the FILEs to stream must be named" ]
}

@test "--hash: --counters counts the records of both inputs and the rows, not keys" {
	hash_pair
	mrjoin --hash --counters=c small big > got
	[ "$(counters c)" = "REDUCE_INPUT_RECORDS=1300 REDUCE_OUTPUT_RECORDS=$(wc -l < got)" ]
	mrjoin --hash --semi --framed --counters=c small big > got.mr
	[ "$(counters c)" = "REDUCE_INPUT_RECORDS=1300 REDUCE_OUTPUT_RECORDS=$(mrtest dump < got.mr | wc -l)" ]
}

@test "--hash: an input of partial states, or missing, is an error naming it" {
	printf 'a\na\n' | mrmap --combine count cat > p.mr
	printf 'a\tx\n' > a
	run -1 --separate-stderr mrjoin --hash -o out p.mr a
	assert_stderr_prefix "mrjoin: p.mr: "
	[ ! -e out ]
	run -1 --separate-stderr mrjoin --hash -o out a p.mr
	assert_stderr_prefix "mrjoin: p.mr: "
	[ ! -e out ]
	run -1 --separate-stderr mrjoin --hash -o out nosuch a
	assert_stderr_prefix "mrjoin: nosuch: "
	run -1 --separate-stderr mrjoin --hash -o out a nosuch
	assert_stderr_prefix "mrjoin: nosuch: "
	[ ! -e out ]
}

@test "--hash --small-first: SMALL's values come first, as in the sorted join with SMALL as input 1" {
	printf 'b\tB1\na\tA1\nc\tC1\na\tA2\n' > small
	printf 'a\tx\nd\ty\nc\tz\na\tw\n' > big
	sort -t "$TAB" -k1,1 -s small > s1
	sort -t "$TAB" -k1,1 -s big > s2
	run -0 --separate-stderr mrjoin --hash --small-first small big
	[ "$(printf '%s\n' "$output" | sort)" = "$(join -t "$TAB" s1 s2 | sort)" ]
	run -0 --separate-stderr mrjoin --hash --small-first -a 2 -e E small big
	[ "$(printf '%s\n' "$output" | sort)" = "$(join -t "$TAB" -a 2 -e E -o auto s1 s2 | sort)" ]
	run -0 --separate-stderr mrjoin --hash --small-first -v 2 small big
	[ "$output" = "d${TAB}y" ]
	for bad in "-a 1" "-v 1" "--semi"; do
		run -2 --separate-stderr mrjoin --hash --small-first $bad small big
		[[ "$stderr" == "mrjoin: "* ]]
	done
	run -2 --separate-stderr mrjoin --small-first s1 s2
	[ "${stderr%%$'\n'*}" = "mrjoin: --small-first needs --hash" ]
}

# big: a and b, sorted, a of 200000 records over 50000 keys (many read-
# ahead batches), b of 30000 over the same keys, some records long.
big() {
	awk 'BEGIN { srand(51); for (i = 0; i < 200000; i++) {
		v = "a" i; if (rand() < 0.01) v = v sprintf("%3000s", "")
		printf "k%06d\t%s\n", int(rand() * 50000), v } }' |
		sort -s -t "$TAB" -k1,1 > a
	awk 'BEGIN { srand(52); for (i = 0; i < 30000; i++)
		printf "k%06d\tb%d\n", int(rand() * 50000), i }' |
		sort -s -t "$TAB" -k1,1 > b
}

@test "a large input 1, read ahead in many batches, joins as join(1)" {
	big
	mrjoin a b > got
	join -t "$TAB" a b | cmp - got
	[ "$(wc -l < got)" -gt 100000 ]
	mrjoin -a 1 -e X a b > got
	join -t "$TAB" -a 1 -e X -o auto a b | cmp - got
	frame a a.mr
	mrjoin --framed a.mr b | mrmerge --text | cmp - <(join -t "$TAB" a b)
	# input 1 from a pipe, and as several files
	cat a | mrjoin - b | cmp - <(join -t "$TAB" a b)
	split -l 70000 a part.
	mrjoin --inputs=3,1 part.* b | cmp - <(join -t "$TAB" a b)
}

@test "an error late in a large input 1 names its record, with no -o file" {
	big
	{ head -n 150000 a; printf 'k000000\tlate\n'; tail -n +150001 a; } > bad
	run -1 --separate-stderr mrjoin -o out bad b
	[ "$stderr" = "mrjoin: bad: record 150001 is out of order (sort it with mrsort)" ]
	[ ! -e out ]
	frame a a.mr
	head -c $(($(wc -c < a.mr) - 5000)) a.mr > t.mr
	run -1 --separate-stderr mrjoin -o out t.mr b
	assert_stderr_prefix "mrjoin: t.mr: "
	[ ! -e out ]
	# and the streamed input of a hash join
	run -1 --separate-stderr mrjoin --hash -o out b t.mr
	assert_stderr_prefix "mrjoin: t.mr: "
	[ ! -e out ]
	no_temps .
}

@test "--hash streams a large input in many batches as the awk hash join" {
	big
	mrjoin --hash b a > got
	hash_oracle '' '' b a | cmp - got
	[ "$(wc -l < got)" -gt 100000 ]
	cat a | mrjoin --hash -v 1 b > got
	awk -F "$TAB" 'FILENAME == ARGV[1] { s[$1]; next } !($1 in s)' b a | cmp - got
}

@test "--inputs with more files than the open-file limit lets it hold merges each input first, to the same rows" {
	awk 'BEGIN { srand(7); for (i = 0; i < 6000; i++) printf "k%04d\ta%d\n", int(rand() * 3000), i }' > A
	awk 'BEGIN { srand(8); for (i = 0; i < 6000; i++) printf "k%04d\tb%d\n", int(rand() * 3000), i }' > B
	split -n l/60 A pa.
	split -n l/60 B pb.
	for f in pa.* pb.*; do sort -s -t "$TAB" -k1,1 "$f" > "s.$f"; done
	mrjoin --counters=c1 --inputs=60,60 s.pa.* s.pb.* > want
	[ "$(wc -l < want)" -gt 5000 ]
	run -0 --separate-stderr bash -c 'ulimit -Sn 40 -Hn 40 && mrjoin --counters=c2 --inputs=60,60 "$@" > got' sh s.pa.* s.pb.*
	[ -z "$stderr" ]
	cmp want got
	cmp c1 c2
	no_temps .
}

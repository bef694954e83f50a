#!/usr/bin/env bats
# --values=KEYDEF of mrsort and mrmerge: keys within values, as sort -k
# picks them within lines, against LC_ALL=C sort with each field number
# one higher (the line's first field is the record's key).

load test_helper

# events N SEED: N lines user<TAB>time<TAB>path, few users, times in
# epoch seconds of 9 and 10 digits about 10^9, some repeated.
events() {
	awk -v n="$1" -v seed="$2" 'BEGIN { srand(seed)
		for (i = 0; i < n; i++)
			printf "u%d\t%d\t/p%d\n", int(rand() * 20),
			    999998500 + int(rand() * 3000), int(rand() * 40) }'
}

# numbers N SEED: N lines key<TAB>word<TAB>number<TAB>word, the numbers
# negative or not, of 1 to 12 digits, some with a fraction.
numbers() {
	awk -v n="$1" -v seed="$2" 'BEGIN { srand(seed)
		for (i = 0; i < n; i++) {
			x = sprintf("%d", int(rand() * 10 ^ int(1 + rand() * 12)))
			if (rand() < 0.3)
				x = x "." int(rand() * 100)
			if (rand() < 0.4)
				x = "-" x
			printf "k%d\t%c\t%s\t%c\n", int(rand() * 5),
			    97 + int(rand() * 3), x, 97 + int(rand() * 3)
		} }'
}

# fields N SEED: N lines key<TAB>value, values of 0 to 4 fields of 0 to 5
# letters, for byte positions and missing fields.
fields() {
	awk -v n="$1" -v seed="$2" 'BEGIN { srand(seed)
		for (i = 0; i < n; i++) {
			v = ""
			nf = int(rand() * 5)
			for (f = 0; f < nf; f++) {
				w = ""
				for (j = int(rand() * 6); j > 0; j--)
					w = w sprintf("%c", 97 + int(rand() * 3))
				v = v (f > 0 ? "\t" : "") w
			}
			# a value of one empty field is an empty value
			printf "k%d%s\n", int(rand() * 3), v == "" ? "" : "\t" v
		} }'
}

# keysort ARGS...: the oracle, a stable sort on the key, then ARGS.
keysort() {
	sort -s -t "$TAB" -k1,1 "$@"
}

# line_key KEYDEF: sort's -k for the key that KEYDEF picks of a value,
# within the line, whose first field is the record's key.
line_key() {
	printf '%s\n' "$1" | awk -F , -v OFS=, '{
		for (i = 1; i <= NF; i++) {
			match($i, /^[0-9]+/)
			$i = substr($i, 1, RLENGTH) + 1 substr($i, RLENGTH + 1)
		}
		print "-k" $0 }'
}

@test "--values=1n orders epoch seconds of 9 and 10 digits by time" {
	events 5000 1 > in.txt
	grep -q '	999999999	' in.txt
	grep -q '	1000000000	' in.txt
	mrsort --values=1n --text in.txt > got
	keysort -k2,2n -k2 in.txt | cmp - got
	# bytewise, 999999999 comes after 1000000000
	mrsort --values --text in.txt > bytewise
	run -1 cmp -s bytewise got
	mrmerge --values=1n --text got | cmp - got
}

@test "numeric keys of values: negative numbers, fractions, n and nr" {
	numbers 5000 2 > in.txt
	mrsort --values=2n --text in.txt > got
	keysort -k3,3n -k2 in.txt | cmp - got
	mrsort --values=2nr --text in.txt > got
	keysort -k3,3nr -k2 in.txt | cmp - got
	# the modifiers may follow POS2, or both
	mrsort --values=2,2nr --text in.txt | cmp - got
	mrsort --values=2n,2r --text in.txt | cmp - got
}

@test "numbers equal in value tie, so the next KEYDEF decides" {
	printf 'k\t%s\n' '1.0	a' '1	b' '01	c' '-0	d' '0	e' '0.00	a' \
		'-1	b' '1	a' '.5	z' '0.50	y' '5.	x' '-.5	w' > in.txt
	mrsort --values=1n --values=2 --text in.txt > got
	keysort -k2,2n -k3 -k2 in.txt | cmp - got
	[ "$(cut -f 2,3 got | tr "\n$TAB" " :")" = "-1:b -.5:w 0.00:a -0:d 0:e 0.50:y .5:z 1:a 1.0:a 1:b 01:c 5.:x " ]
}

@test "-r reverses keys within values too, and r turns one back" {
	events 5000 3 > in.txt
	mrsort -r --values=1n --text in.txt > got
	sort -s -t "$TAB" -k1,1r -k2,2nr -k2r in.txt | cmp - got
	mrsort -r --values=1nr --text in.txt > got
	sort -s -t "$TAB" -k1,1r -k2,2n -k2r in.txt | cmp - got
	mrmerge -r --values=1nr --text got | cmp - got
}

@test "several KEYDEFs compare in order, then the whole value" {
	events 5000 4 > in.txt
	mrsort --values=2,2 --values=1nr --text in.txt > got
	keysort -k3,3 -k2,2nr -k2 in.txt | cmp - got
	# the path alone leaves ties among times, which the value breaks
	mrsort --values=2,2 --text in.txt > got
	keysort -k3,3 -k2 in.txt | cmp - got
	# -n keys and numeric values at once
	awk -F "$TAB" -v OFS="$TAB" '{ $1 = NR % 13 - 6 } 1' in.txt > num.txt
	mrsort -n --values=1nr --values=2 --text num.txt > got
	sort -s -t "$TAB" -k1,1n -k2,2nr -k3 -k2 num.txt | cmp - got
}

@test "byte positions F.C pick bytes of fields, and run on past their end" {
	fields 5000 5 > in.txt
	[ "$(line_key 2.6r,12.9n)" = "-k3.6r,13.9n" ]
	for kd in 1.2,1.3 2.3 1.2,2.1 3.4,3 2.6,2.9r 1,1.9 1.3,1.2 2.1,1.1 \
	    2.2,2.0 1.1r,3; do
		mrsort --values="$kd" --text in.txt > got
		keysort "$(line_key "$kd")" -k2 in.txt | cmp - got ||
			{ echo "KEYDEF $kd"; return 1; }
	done
}

@test "a value with fewer fields than a KEYDEF asks for has an empty key there" {
	fields 5000 6 > in.txt
	mrsort --values=3,3 --values=4r --text in.txt > got
	keysort -k4,4 -k5r -k2 in.txt | cmp - got
	# as a number, empty is no number: it comes before all numbers
	printf 'k\t%s\n' 'x	5' 'x' 'x	-7' 'x	' 'x	abc' 'x	10' > in.txt
	run -0 mrsort --values=2n --text in.txt
	[ "$output" = "$(printf 'k\t%s\n' 'x' 'x	' 'x	abc' 'x	-7' 'x	5' 'x	10')" ]
}

@test "-t SEP splits the fields of values too" {
	numbers 3000 7 | tr '\t' , > in.txt
	mrsort -t , --values=2n --values=1r --text in.txt > got
	sort -s -t , -k1,1 -k3,3n -k2r -k2 in.txt | cmp - got
}

@test "framed records with binary values sort by KEYDEF as sort -z does" {
	# NUL-terminated: values hold LF, CR, 0x01 and 0xff
	awk 'BEGIN { srand(8); split("10 13 1 255 97 9", b, " ")
		for (i = 0; i < 4000; i++) {
			v = ""
			for (j = int(rand() * 4); j > 0; j--)
				v = v sprintf("%c", b[1 + int(rand() * 6)])
			printf "k%d\t%d\t%s%c", int(rand() * 4),
			    999999990 + int(rand() * 20), v, 0
		} }' > in.z
	grep -q "$(printf '\377')" in.z
	mrmap -z -o in.mr NONE in.z
	mrsort --values=1n --values=2r in.mr -o got.mr
	mrmerge -z --text got.mr > got.z
	sort -z -s -t "$TAB" -k1,1 -k2,2n -k3r -k2 in.z | cmp - got.z
	mrsort -S 1K --values=1n --values=2r in.mr | cmp - got.mr
	# newline-terminated: values hold NUL
	tr '\0\n' '\n\0' < in.z > in.txt
	mrmap -o nul.mr NONE in.txt
	mrsort --values=1n --values=2r --text nul.mr > got.txt
	sort -s -t "$TAB" -k1,1 -k2,2n -k3r -k2 in.txt | cmp - got.txt
}

@test "a sort that spills runs gives the same bytes as one in memory" {
	events 30000 9 > in.txt
	mrsort --values=1n --values=2,2r in.txt -o want.mr
	mrsort -S 1K --values=1n --values=2,2r in.txt -o got.mr
	cmp want.mr got.mr
	mrmerge --text got.mr | cmp - <(keysort -k2,2n -k3,3r -k2 in.txt)
	mrsort -r -S 1K --values=1n in.txt | cmp - <(mrsort -r --values=1n in.txt)
}

@test "mrmerge merges runs sorted by KEYDEF as sort -m does" {
	for i in 0 1 2 3 4; do
		events 2000 $((20 + i)) | keysort -k2,2n -k3,3r -k2 > "run$i"
	done
	mrmerge --values=1n --values=2,2r --text run* > got
	sort -m -s -t "$TAB" -k1,1 -k2,2n -k3,3r -k2 run* | cmp - got
	# framed runs that mrsort wrote, and a merge in passes
	for i in $(seq 0 59); do
		events 100 $((30 + i)) | mrsort --values=1n --values=2,2r -o "r$i.mr"
	done
	mrmerge --values=1n --values=2,2r r*.mr > want.mr
	low_limit mrmerge --values=1n --values=2,2r r*.mr > got.mr
	cmp want.mr got.mr
	for i in $(seq 0 59); do mrmerge --text "r$i.mr"; done |
		keysort -k2,2n -k3,3r -k2 | cmp - <(mrmerge --text got.mr)
}

@test "inputs out of KEYDEF order are named, by mrmerge and by mrsort -c" {
	printf 'u\t1000000000\nu\t999999999\n' > run0
	printf 'u\t5\n' > run1
	run -0 mrmerge --values --text run0 run1
	run -1 --separate-stderr mrmerge --values=1n -o out run0 run1
	[ "$stderr" = "mrmerge: run0: record 2 is out of order (inputs must be sorted)" ]
	[ ! -e out ]
	run -0 mrsort -c --values run0
	run -1 --separate-stderr mrsort -c --values=1n run0
	[ "$stderr" = "mrsort: run0: record 2 is out of order" ]
	run -0 mrsort -c --values=1nr run0
	run -0 mrsort -c -r --values=1n run0
}

@test "each user's profile first, then the user's events by time" {
	events 3000 10 | awk -F "$TAB" -v OFS="$TAB" '{ print $1, 1, $2, $3 }' > events.txt
	awk 'BEGIN { for (i = 19; i >= 0; i--) printf "u%d\t0\t%d\n", i, 1950 + i }' > users.txt
	mrsort --values=1,1 --values=2n --text users.txt events.txt > got
	cat users.txt events.txt | keysort -k2,2 -k3,3n -k2 | cmp - got
	# the first record of each user is the profile
	awk -F "$TAB" '$1 != u { if ($2 != 0) exit 1; u = $1 }' got
}

@test "a KEYDEF that does not parse is a usage error that names it" {
	printf 'a\t1\n' > in.txt
	while IFS='|' read -r kd why; do
		for t in mrsort mrmerge; do
			run -2 --separate-stderr "$t" --values="$kd" -o out in.txt
			[ "${stderr_lines[0]}" = "$t: bad KEYDEF in --values=$kd: $why" ] ||
				{ echo "$t --values=$kd: $stderr"; return 1; }
			[[ "${stderr_lines[1]}" == "usage: $t "* ]]
			[ -z "$output" ]
			[ ! -e out ]
		done
	done <<-'EOF'
		|no field number at the start
		0|fields count from 1, not 0
		2x|unknown modifier 'x' (n and r are known)
		1,|no field number after ','
		a|no field number at the start
		2.0|bytes count from 1 (.0 only ends a key)
		1,0|fields count from 1, not 0
		1.|a byte position must follow '.'
		1,2.|a byte position must follow '.'
		1,2,3|unexpected text ",3" after the key
		1nb|unknown modifier 'b' (n and r are known)
		-1|no field number at the start
		1 |unexpected text " " after the key
		1,2n.3|unexpected text ".3" after the key
	EOF
}

@test "--values KEYDEF, with a space, is plain --values and an input named KEYDEF" {
	printf 'a\t1\n' > in.txt
	run -1 --separate-stderr mrsort --values 1n in.txt
	[ "$stderr" = "mrsort: 1n: No such file or directory" ]
	run -1 --separate-stderr mrmerge --values 1n in.txt
	[ "$stderr" = "mrmerge: 1n: No such file or directory" ]
}

@test "large field and byte numbers are past the end of every value" {
	events 1000 11 > in.txt
	mrsort --values=99999999999999999999999 --values=1n --text in.txt > got
	keysort -k2,2n -k2 in.txt | cmp - got
	mrsort --values=1.99999999999999999999999,2 --values=2,2 --text in.txt > got
	keysort -k3,3 -k2 in.txt | cmp - got
}

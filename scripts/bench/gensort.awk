# gensort.awk: n records like those of sortbenchmark.org's "gensort -a",
# as text lines of exactly 100 bytes: a 10-byte key of printable ASCII
# (space to tilde, so never TAB or LF), a TAB, an 88-byte value, an LF.
#
#	awk -v n=1000000 -f gensort.awk > records.txt
#
# The keys come from the Park-Miller "minimal standard" generator with a
# fixed seed.  Its products stay below 2^46, so they are exact in awk's
# doubles and every awk prints the same bytes.  The value is the record
# number and a rotating run of capitals, as gensort's is.

BEGIN {
	for (i = 32; i < 127; i++)
		ch[i - 32] = sprintf("%c", i)
	fill = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	fill = fill fill fill fill
	x = 1
	for (r = 0; r < n; r++) {
		# Three draws of 31 bits give twelve base-95 digits; keep ten.
		key = ""
		for (d = 0; d < 3; d++) {
			x = (x * 16807) % 2147483647
			y = x
			for (j = 0; j < 4; j++) {
				key = key ch[y % 95]
				y = int(y / 95)
			}
		}
		printf "%s\t%010d%s\n", substr(key, 1, 10), r,
		    substr(fill, r % 26 + 1, 78)
	}
}

# groups.awk: n short key<TAB>value records for a reduce, the keys drawn
# from a bounded set of k keys, u0 to u(k-1), so that each key comes about
# n/k times, and the values integers from 0 to 999.
#
#	awk -v n=20000000 -v k=1000000 -f groups.awk > groups.txt
#
# The draws come from the Park-Miller "minimal standard" generator with a
# fixed seed, as in gensort.awk: its products stay below 2^46, exact in
# awk's doubles, so every awk prints the same bytes.  The key is a draw
# mod k, the value the next draw mod 1000.

BEGIN {
	x = 1
	for (r = 0; r < n; r++) {
		x = (x * 16807) % 2147483647
		key = x % k
		x = (x * 16807) % 2147483647
		print "u" key "\t" x % 1000
	}
}

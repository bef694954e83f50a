# partition.awk: the partitioner a user would write in awk, the peer of
# "mrpartition -n 16".  Each key<TAB>value line goes to one of 16 files,
# dir/part-00 to dir/part-15, by the sum of the key's byte values mod 16.
#
#	awk -v dir=out -f partition.awk text

BEGIN {
	FS = "\t"
	for (i = 1; i < 256; i++)
		ord[sprintf("%c", i)] = i
	for (i = 0; i < 16; i++)
		part[i] = sprintf("%s/part-%02d", dir, i)
}

{
	key = $1
	h = 0
	n = length(key)
	for (i = 1; i <= n; i++)
		h += ord[substr(key, i, 1)]
	print > part[h % 16]
}

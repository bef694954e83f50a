# words.awk: key<TAB>value lines from a list of words, one a line, read
# again and again (name the file as often as needed) until the output
# would pass max bytes.
#
#	awk -v max=58000000 -f words.awk words words words > text
#
# The value is a small count-like number that changes with the position
# and the pass, so the passes are not byte-for-byte copies of each other.

FNR == 1 {
	pass++
}

length($0) > 0 {
	line = $0 "\t" (FNR * 7 + pass) % 1000
	size += length(line) + 1
	if (size > max)
		exit
	print line
}

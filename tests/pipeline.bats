#!/usr/bin/env bats
# Whole jobs as pipelines of the mr tools: a word count, and Hadoop
# Streaming scripts in another language, against oracles.

load test_helper

MAN=$BATS_TEST_DIRNAME/../man
TOKENIZE="tr -cs 'A-Za-z0-9' '\\n'"

# The oracle: "COUNT WORD" lines of the words of mr's man pages.
oracle_counts() {
	cat "$MAN"/*.[157] | tr -cs 'A-Za-z0-9' '\n' | sort | uniq -c |
		awk '{ print $1, $2 }'
}

# wordcount [MRMAP OPTION...]: the word count of mr's man pages as a
# pipeline of the mr tools, 3 partitions, as "COUNT WORD" lines.
wordcount() {
	cat "$MAN"/*.[157] > pages.txt
	mrmap "$@" "$TOKENIZE" pages.txt | mrpartition -n 3 -o part-%d
	for p in 0 1 2; do
		mrsort "part-$p" | mrreduce count
	done | sort | awk -F'\t' '{ print $2, $1 }'
}

@test "a word count of the man pages matches tr | sort | uniq -c" {
	oracle_counts > want
	wordcount > got
	cmp got want
}

@test "the word count with --combine count gives the same counts" {
	oracle_counts > want
	wordcount --combine=count > got
	cmp got want
	# and with a table so small that it flushes many times
	wordcount --combine=count -S 16K > small
	cmp small want
}

@test "a sum with --combine gives the bytes of a sum without it" {
	awk 'BEGIN { srand(3); for (i = 0; i < 20000; i++)
		printf "k%d\t%.2f\n", int(rand() * 50), rand() * 200 - 100 }' > v.txt
	mrmap cat v.txt | mrsort | mrreduce sum > plain
	mrmap --combine=sum -S 8K cat v.txt | mrsort | mrreduce sum > combined
	cmp plain combined
	awk -F'\t' '{ s[$1] += $2 } END { for (k in s) printf "%s\t%.2f\n", k, s[k] }' v.txt |
		sort > want
	awk -F'\t' '{ printf "%s\t%.2f\n", $1, $2 }' plain > got
	cmp got want
}

@test "a Python Streaming mapper and reducer run unmodified" {
	cat > mapper.py <<'EOF'
#!/usr/bin/env python3
import os, re, sys
assert os.environ["mapreduce_task_ismap"] == "true"
for line in sys.stdin:
    for word in re.findall(r"[A-Za-z0-9]+", line):
        print(f"{word}\t1")
EOF
	cat > reducer.py <<'EOF'
#!/usr/bin/env python3
import sys
current, total = None, 0
for line in sys.stdin:
    word, n = line.rstrip("\n").split("\t", 1)
    if word != current:
        if current is not None:
            print(f"{current}\t{total}")
        current, total = word, 0
    total += int(n)
if current is not None:
    print(f"{current}\t{total}")
sys.stderr.write("reporter:counter:Reducer,Groups,1\n")
EOF
	chmod +x mapper.py reducer.py
	cat "$MAN"/*.[157] > pages.txt
	mrmap ./mapper.py pages.txt | mrsort | mrreduce ./reducer.py > got.tsv
	cat "$MAN"/*.[157] | tr -cs 'A-Za-z0-9' '\n' | grep -v '^$' | sort |
		uniq -c | awk '{ printf "%s\t%s\n", $2, $1 }' > want.tsv
	cmp got.tsv want.tsv
}

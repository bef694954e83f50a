# Shared setup for the mr bats suites: the tools under test come first in
# PATH (MR_BUILD, set by `make check`), each test runs in its own scratch
# directory, and the C locale makes sort and awk oracles bytewise.

bats_require_minimum_version 1.5.0

MR_BUILD=${MR_BUILD:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)/build}
PATH=$MR_BUILD/bin:$MR_BUILD:$PATH
export LC_ALL=C

setup() {
	cd "$BATS_TEST_TMPDIR" || exit 1
}

TAB=$(printf '\t')

# flip FILE OFFSET: xor the byte at OFFSET with 0x01.
flip() {
	local byte
	byte=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "\\$(printf %o $((byte ^ 1)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# frame TEXTFILE OUT: convert text lines to a framed stream.
frame() {
	mrmerge "$1" -o "$2"
}

# words N SEED: N pseudo-random lowercase words with repeats, one a line.
words() {
	awk -v n="$1" -v seed="$2" 'BEGIN {
		srand(seed)
		for (i = 0; i < n; i++) {
			len = 1 + int(rand() * 6)
			w = ""
			for (j = 0; j < len; j++)
				w = w sprintf("%c", 97 + int(rand() * 6))
			print w
		}
	}'
}

# assert_status WANT: the status of the last `run`.
assert_status() {
	if [ "$status" -ne "$1" ]; then
		echo "status $status, want $1; stderr: ${stderr-}" >&2
		return 1
	fi
}

# assert_stderr_prefix PREFIX
assert_stderr_prefix() {
	case "$stderr" in
	"$1"*) ;;
	*) echo "stderr '$stderr' does not start with '$1'" >&2; return 1 ;;
	esac
}

# no_temps DIR: no temp file of an output is left in DIR.
no_temps() {
	local left
	left=$(find "$1" -name '.*.??????' | head -n 5)
	if [ -n "$left" ]; then
		echo "temp files left: $left" >&2
		return 1
	fi
}

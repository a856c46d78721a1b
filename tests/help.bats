#!/usr/bin/env bats
# Every program in $PM_BIN: --help is its man page's SYNOPSIS, --version
# names it, an unknown option is a usage error (in the spirit of git's
# t0450-txt-doc-vs-help.sh). Written over $PM_BIN/pm-*, so a new program
# is covered without an edit here.
#
# Normalisation, applied to both sides before comparing:
#   man page: `mandoc -Tascii -Owidth=200 man/pm-x.1 | col -b`, the lines
#             after the SYNOPSIS heading up to the next heading
#   --help:   its standard output with the leading "usage:" of the first
#             line removed
#   both:     lines joined with spaces, runs of blanks squeezed to one
#             space, leading and trailing blanks dropped
# So "usage: pm-x [-ab] file\n       pm-x -c" equals a SYNOPSIS of two
# .Nm blocks rendering "pm-x [-ab] file" and "pm-x -c".

load helper

setup() {
	PROGS=()
	local p
	for p in "$PM_BIN"/pm-*; do
		[ -x "$p" ] && PROGS+=("${p##*/}")
	done
	[ "${#PROGS[@]}" -gt 0 ] || fail "no programs in $PM_BIN (run make)"
	MANDIR=$BATS_TEST_DIRNAME/../man
}

# squeeze: join stdin's lines, squeeze blanks, trim.
squeeze() {
	tr -s ' \t\n' '   ' | sed 's/^ //; s/ $//'
}

# synopsis PROG: the normalised SYNOPSIS of man/PROG.1.
synopsis() {
	mandoc -Tascii -Owidth=200 "$MANDIR/$1.1" | col -b |
	    sed -n '/^SYNOPSIS$/,/^[^[:space:]]/{/^[^[:space:]]/d;p;}' | squeeze
}

# help_text TEXT: TEXT, the output of --help, normalised.
help_text() {
	printf '%s\n' "$1" | sed '1s/^usage://' | squeeze
}

@test "help: every program has a section 1 man page" {
	local p bad=
	for p in "${PROGS[@]}"; do
		[ -f "$MANDIR/$p.1" ] || bad+=" $p"
	done
	[ -z "$bad" ] || fail "no man/PROG.1 for:$bad"
}

@test "help: --help and -h print the man page SYNOPSIS on stdout" {
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	command -v col >/dev/null || skip "col is not installed"
	local p want errs=
	for p in "${PROGS[@]}"; do
		[ -f "$MANDIR/$p.1" ] || continue
		want=$(synopsis "$p")
		[ -n "$want" ] || { errs+=$'\n'"$p: empty SYNOPSIS in man/$p.1"; continue; }
		run --separate-stderr "$p" --help
		if [ "$status" -ne 0 ] || [ -n "$stderr" ]; then
			errs+=$'\n'"$p --help: exit $status, stderr '$stderr'"
			continue
		fi
		[[ ${lines[0]:-} == "usage: $p"* ]] ||
		    errs+=$'\n'"$p --help: does not start with 'usage: $p'"
		[ "$(help_text "$output")" = "$want" ] ||
		    errs+=$'\n'"$p --help: $(help_text "$output")"$'\n'"$p.1 SYNOPSIS: $want"
		run --separate-stderr "$p" -h
		[ "$status" -eq 0 ] && [ "$(help_text "$output")" = "$want" ] ||
		    errs+=$'\n'"$p -h: exit $status, differs from --help"
	done
	[ -z "$errs" ] || fail "help and SYNOPSIS differ:$errs"
}

@test "help: --version prints 'pm-x X.Y.Z'" {
	local p errs=
	for p in "${PROGS[@]}"; do
		run --separate-stderr "$p" --version
		[ "$status" -eq 0 ] && [ -z "$stderr" ] &&
		    [[ $output =~ ^$p\ [0-9]+\.[0-9]+\.[0-9]+$ ]] ||
		    errs+=$'\n'"$p --version: exit $status, '$output'"
	done
	[ -z "$errs" ] || fail "bad --version:$errs"
}

@test "help: an unknown option is exit 2 with the usage on stderr" {
	local p help n errs=
	for p in "${PROGS[@]}"; do
		run --separate-stderr "$p" --help
		help=$output
		n=${#lines[@]}
		run --separate-stderr "$p" --no-such-option
		if [ "$status" -ne 2 ] || [ -n "$output" ]; then
			errs+=$'\n'"$p --no-such-option: exit $status, stdout '$output'"
			continue
		fi
		# The usage ends stderr; a message about the option comes first.
		[ "${#stderr_lines[@]}" -gt "$n" ] &&
		    [ "$(printf '%s\n' "${stderr_lines[@]}" | tail -n "$n")" = "$help" ] &&
		    [[ ${stderr_lines[0]} == "$p: "* ]] ||
		    errs+=$'\n'"$p --no-such-option: stderr '$stderr'"
	done
	[ -z "$errs" ] || fail "bad usage errors:$errs"
}

#!/usr/bin/env bats
# pm-leakcheck and the share/ examples, run as written: pm-leakcheck
# against a leaking and a non-leaking grower.py, the crontab line as cron runs it, the systemd
# units (verified, and their ExecStart run), the CI job's leak gate, and
# the sh blocks of share/ssh.md with ssh replaced by a local stand-in.

load helper

VERSIONS="3.8 3.9 3.10 3.11 3.12 3.13"

setup() {
	SHARE=$(cd "$BATS_TEST_DIRNAME/../share" && pwd)
	LEAKCHECK=$PM_BIN/pm-leakcheck
	T=$BATS_TEST_TMPDIR
}

teardown() {
	pm_stop_target
}

# newest: the newest python installed.
newest() {
	local v n=
	for v in $VERSIONS; do
		pm_pythons | grep -q "^$v " && n=$v
	done
	[ -n "$n" ] || skip "no python 3.8 to 3.13 is installed"
	echo "$n"
}

# grow_once TRUTH: SIGUSR1 the grower that writes TRUTH, wait for the round.
grow_once() {
	local truth=$1 pid r i
	pid=$(pm_truth pid "$truth")
	r=$(pm_truth round "$truth")
	kill -USR1 "$pid"
	for ((i = 0; i < 200; i++)); do
		[ "$(pm_truth round "$truth")" -gt "$r" ] && return 0
		sleep 0.1
	done
	fail "grower $pid did not grow"
}

# leak_row TRUTH: the record pm-types prints for the last round's growth.
leak_row() {
	printf '+%s\t+%s\t%s\t%s\t__main__.Leak' "$(pm_truth added.count "$1")" \
	    "$(pm_truth added.bytes "$1")" "$(pm_truth leak.count "$1")" \
	    "$(pm_truth leak.bytes "$1")"
}

# leak_since COUNT BYTES TRUTH: the Leak record of the growth since the
# target held COUNT instances of BYTES bytes.
leak_since() {
	local c b
	c=$(pm_truth leak.count "$3")
	b=$(pm_truth leak.bytes "$3")
	printf '+%s\t+%s\t%s\t%s\t__main__.Leak' "$((c - $1))" "$((b - $2))" "$c" "$b"
}

# suspects: the growth table of the last run's output, up to its blank
# line; where: the table after it.
suspects() {
	printf '%s\n' "$output" | sed '/^$/,$d'
}
where() {
	printf '%s\n' "$output" | sed '1,/^$/d'
}

# check_where OLD NEW MIN MAX: the where table names __main__.Leak, with
# its count of new objects, one of them, and that one's path: an item of
# LEAKS between MIN and MAX; the example is a Leak in snapshot NEW, not
# in OLD.
check_where() {
	local old=$1 new=$2 min=$3 max=$4 row addr idx
	[ "$(where | head -n 1)" = "$(printf 'NEW\tTYPE\tEXAMPLE\tPATH')" ] ||
	    fail "no where table: $output"
	row=$(where | grep -P '^[0-9]+\t__main__\.Leak\t') || fail "no Leak row: $output"
	[[ $row =~ ^[0-9]+$'\t'__main__\.Leak$'\t'(0x[0-9a-f]+)$'\t'sys\.modules\[\'__main__\'\]\.LEAKS\[([0-9]+)\]$ ]] ||
	    fail "bad Leak row: $row"
	addr=${BASH_REMATCH[1]} idx=${BASH_REMATCH[2]}
	[ "$idx" -ge "$min" ] && [ "$idx" -le "$max" ] ||
	    fail "LEAKS[$idx] is not one of the new ones ($min to $max)"
	run -0 pm-objects -a "$addr" "$new" </dev/null
	assert_output --regexp "^$addr"$'\t__main__\\.Leak\t'
	run -0 --separate-stderr pm-objects "$old" <<<"$addr"
	refute_output --partial $'\t__main__.Leak\t'
	printf '%s\n' "$row"
}

# snaps DIR: the snapshot names in DIR, one line.
snaps() {
	(cd "$1" && ls -- *.pmd 2>/dev/null | paste -sd' ' -)
}

@test "pm-leakcheck: a leaking process fails with its suspects" {
	local v d=$T/snaps
	v=$(newest)
	pm_start_target "$v" grower.py "$T/truth" leak 500
	run -1 --separate-stderr "$LEAKCHECK" -i 1 -k 2 -r 5 -n 1000 -d "$d" \
	    -p "$PM_TARGET_PID"
	assert_line --index 0 "$(printf 'DCOUNT\tDBYTES\tCOUNT\tBYTES\tTYPE')"
	assert_line --regexp $'^\\+[0-9]+\t\\+[0-9]+\t[0-9]+\t[0-9]+\t__main__\\.Leak$'
	# At most -s 10 suspects, each one growing.
	[ "$(suspects | wc -l)" -le 11 ] || fail "more than 10 suspects: $output"
	suspects | sed 1d | grep -vE $'^(\\+[0-9]+|0|-[0-9]+)\t(\\+[0-9]+|0|-[0-9]+)\t' &&
	    fail "not pm-types records: $output"
	# The first comparison (round 2) already fails.
	local p=$PM_TARGET_PID
	# Where the new Leaks are: at least as many as the growth, in LEAKS.
	local grew row
	grew=$(suspects | awk -F'\t' '$5 == "__main__.Leak" { print substr($1, 2) }')
	row=$(check_where "$d/$p-000000001.pmd" "$d/$p-000000002.pmd" 1000 1000000000)
	[ "${row%%$'\t'*}" -ge "$grew" ] || fail "fewer new than grown: $row"
	assert_equal "$(snaps "$d")" "$p-000000001.pmd $p-000000002.pmd"
	assert_regex "${stderr_lines[0]}" '^pm-types: __main__\.Leak grew by [0-9]+ objects \(limit 1000\)$'
	assert_equal "${stderr_lines[-1]}" "pm-leakcheck: pid $p grew past the limits between $d/$p-000000001.pmd and $d/$p-000000002.pmd"
	# The snapshots are kept for a closer look.
	run -0 pm-types "$d/$p-000000002.pmd"
	assert_line --partial $'\t__main__.Leak'
}

@test "pm-leakcheck: a busy process that does not leak passes, silently" {
	local v d=$T/snaps p
	v=$(newest)
	pm_start_target "$v" grower.py "$T/truth" steady
	p=$PM_TARGET_PID
	run -0 --separate-stderr "$LEAKCHECK" -i 1 -k 3 -r 4 -n 1000 -d "$d" -p "$p"
	assert_output ""
	assert_equal "$stderr" ""
	# The newest 3 are kept; the lock is gone.
	assert_equal "$(snaps "$d")" "$p-000000002.pmd $p-000000003.pmd $p-000000004.pmd"
	[ ! -e "$d/lock" ] || fail "lock left behind"
	# -v says what each round did.
	run -0 --separate-stderr "$LEAKCHECK" -v -i 0 -k 3 -r 2 -n 1000 -d "$d" -p "$p"
	assert_output ""
	assert_equal "$stderr" "pm-leakcheck: round 1: $d/$p-000000005.pmd
pm-leakcheck: no type grew past the limits between $p-000000003.pmd and $p-000000005.pmd
pm-leakcheck: round 2: $d/$p-000000006.pmd
pm-leakcheck: no type grew past the limits between $p-000000004.pmd and $p-000000006.pmd"
}

# check_rounds V: one round per run, as from cron: quiet with one
# snapshot, then exactly +5000 after a SIGUSR1.
check_rounds() {
	local v=$1 d=$T/snaps
	pm_start_target "$v" grower.py "$T/truth"
	run -0 --separate-stderr "$LEAKCHECK" -r 1 -n 1000 -d "$d" -p "$PM_TARGET_PID"
	assert_output ""
	assert_equal "$stderr" ""
	grow_once "$T/truth"
	run -1 --separate-stderr "$LEAKCHECK" -r 1 -n 1000 -t __main__.Leak \
	    -d "$d" -p "$PM_TARGET_PID"
	assert_line --index 0 "$(printf 'DCOUNT\tDBYTES\tCOUNT\tBYTES\tTYPE')"
	assert_line "$(leak_row "$T/truth")"
	assert_equal "${stderr_lines[0]}" "pm-types: __main__.Leak grew by 5000 objects (limit 1000)"
	# Exactly the round's 5000 are new: LEAKS[1000] to LEAKS[5999].
	local p=$PM_TARGET_PID row
	row=$(check_where "$d/$p-000000001.pmd" "$d/$p-000000002.pmd" 1000 5999)
	[ "${row%%$'\t'*}" = 5000 ] || fail "not 5000 new: $row"
	# The same with a byte limit of the added bytes: passes (not more).
	run -0 --separate-stderr "$LEAKCHECK" -r 1 -k 3 \
	    -b "$(pm_truth added.bytes "$T/truth")" -t __main__.Leak \
	    -d "$d" -p "$PM_TARGET_PID"
	assert_output ""
}

@test "3.8: pm-leakcheck -r 1 twice catches +5000" { check_rounds 3.8; }
@test "3.9: pm-leakcheck -r 1 twice catches +5000" { check_rounds 3.9; }
@test "3.10: pm-leakcheck -r 1 twice catches +5000" { check_rounds 3.10; }
@test "3.11: pm-leakcheck -r 1 twice catches +5000" { check_rounds 3.11; }
@test "3.12: pm-leakcheck -r 1 twice catches +5000" { check_rounds 3.12; }
@test "3.13: pm-leakcheck -r 1 twice catches +5000" { check_rounds 3.13; }

@test "pm-leakcheck: usage errors, a bad directory, a process that is gone" {
	local usage
	usage=$("$LEAKCHECK" -h)
	[[ $usage == "usage: pm-leakcheck "* ]] || fail "-h: $usage"
	run -2 --separate-stderr "$LEAKCHECK"
	assert_equal "$stderr" "pm-leakcheck: -p pid is required
$usage"
	run -2 --separate-stderr "$LEAKCHECK" -p 1 extra
	assert_equal "$stderr" "pm-leakcheck: unexpected operand 'extra'
$usage"
	run -2 --separate-stderr "$LEAKCHECK" -x -p 1
	assert_equal "${stderr_lines[-2]}${stderr_lines[-1]}" "$(printf '%s' "$usage" | tr -d '\n')"
	run -2 --separate-stderr "$LEAKCHECK" -p x
	assert_equal "$stderr" "pm-leakcheck: invalid pid 'x'"
	run -2 --separate-stderr "$LEAKCHECK" -p 1 -k 1
	assert_equal "$stderr" "pm-leakcheck: invalid -k value '1' (at least 2)"
	run -2 --separate-stderr "$LEAKCHECK" -p 1 -i 1.5
	assert_equal "$stderr" "pm-leakcheck: invalid -i value '1.5'"
	run -2 --separate-stderr "$LEAKCHECK" -p 1 -n 10k
	assert_equal "$stderr" "pm-leakcheck: invalid -n value '10k'"
	run -2 --separate-stderr "$LEAKCHECK" -p 1 -b 10MB
	assert_equal "$stderr" "pm-leakcheck: invalid -b value '10MB'"
	: >"$T/file"
	run -2 --separate-stderr "$LEAKCHECK" -p 1 -d "$T/file"
	assert_equal "$stderr" "pm-leakcheck: '$T/file' is not a directory"
	mkdir "$T/real"
	ln -s "$T/real" "$T/link"
	run -2 --separate-stderr "$LEAKCHECK" -p 1 -d "$T/link"
	assert_equal "$stderr" "pm-leakcheck: '$T/link' is not a directory"
	# A pid that is gone: pm-dump's message, then exit 3.
	local dead
	dead=$(sh -c 'echo $$')
	run -3 --separate-stderr "$LEAKCHECK" -r 1 -d "$T/d" -p "$dead"
	assert_equal "${stderr_lines[-1]}" "pm-leakcheck: cannot dump pid $dead (pm-dump exit 3)"
	[[ ${stderr_lines[0]} == "pm-dump: "* ]] || fail "no pm-dump message: $stderr"
}

@test "pm-leakcheck: a restart drops the old pid's snapshots; locks" {
	local v d=$T/snaps p
	v=$(newest)
	mkdir -m 700 "$d"
	: >"$d/99999999-000000001.pmd"
	pm_start_target "$v" grower.py "$T/truth"
	p=$PM_TARGET_PID
	run -0 --separate-stderr "$LEAKCHECK" -r 1 -d "$d" -p "$p"
	assert_equal "$(snaps "$d")" "$p-000000001.pmd"
	# A lock held by a live process is refused; a dead one's is taken.
	mkdir "$d/lock"
	echo $$ >"$d/lock/pid"
	run -2 --separate-stderr "$LEAKCHECK" -r 1 -d "$d" -p "$p"
	assert_equal "$stderr" "pm-leakcheck: '$d' is in use by pm-leakcheck pid $$"
	sh -c 'echo $$' >"$d/lock/pid"
	run -0 --separate-stderr "$LEAKCHECK" -r 1 -d "$d" -p "$p"
	assert_equal "$stderr" ""
	assert_equal "$(snaps "$d")" "$p-000000001.pmd $p-000000002.pmd"
	[ ! -e "$d/lock" ] || fail "lock left behind"
}

@test "pm-leakcheck is POSIX sh" {
	run -0 head -n 1 "$LEAKCHECK"
	assert_output "#!/bin/sh"
	[ -x "$LEAKCHECK" ] || fail "not executable"
	run -0 dash -n "$LEAKCHECK"
	if command -v shellcheck >/dev/null; then
		run -0 shellcheck -s sh "$LEAKCHECK"
	fi
}

# The command of each schedule line of the crontab.
cron_command() {
	local line re='^[^#A-Z]([^ ]* +){5}(.*)$'
	while IFS= read -r line; do
		[[ $line =~ $re ]] && printf '%s\n' "${BASH_REMATCH[2]}"
	done <"$SHARE/cron/pm-leakcheck.crontab"
	return 0
}

@test "the crontab line runs as cron would run it" {
	local f=$SHARE/cron/pm-leakcheck.crontab v cmd line
	local re='^([^ ]+ ){5}[^ ]'
	# Each line: a comment, NAME=value, or a schedule of five fields.
	while IFS= read -r line; do
		case $line in
		'' | '#'*) ;;
		[A-Z]*=*) ;;
		*) [[ $line =~ $re ]] || fail "bad crontab line: $line" ;;
		esac
	done <"$f"
	[ "$(cron_command | grep -c .)" -eq 1 ] || fail "not one schedule line"
	v=$(newest)
	pm_start_target "$v" grower.py "$T/truth"
	# myapp.py names the service: here, the grower's unique truth path.
	cmd=$(cron_command | sed "s|myapp\.py|$T/truth|g")
	mkdir "$T/home"
	cron() {
		env -i HOME="$T/home" PATH="$PM_BIN:/usr/bin:/bin" \
		    /bin/sh -c "$cmd"
	}
	run -0 --separate-stderr cron
	assert_output ""
	assert_equal "$stderr" ""
	# The line allows 10000 objects: 5000 more pass, 15000 do not.
	local c0 b0
	c0=$(pm_truth leak.count "$T/truth")
	b0=$(pm_truth leak.bytes "$T/truth")
	grow_once "$T/truth"
	run -0 --separate-stderr cron
	assert_output ""
	grow_once "$T/truth"
	grow_once "$T/truth"
	run -1 --separate-stderr cron
	assert_line "$(leak_since "$c0" "$b0" "$T/truth")"
	assert_equal "${stderr_lines[-1]}" "pm-leakcheck: pid $PM_TARGET_PID grew past the limits between $T/home/.cache/pm-leakcheck/myapp/$PM_TARGET_PID-000000001.pmd and $T/home/.cache/pm-leakcheck/myapp/$PM_TARGET_PID-000000003.pmd"
}

@test "the systemd timer and service verify, and ExecStart works" {
	local sd=$SHARE/systemd v exec
	if command -v systemd-analyze >/dev/null; then
		mkdir "$T/units"
		cp "$sd/pm-leakcheck@.service" "$T/units/pm-leakcheck@myapp.service"
		cp "$sd/pm-leakcheck@.timer" "$T/units/pm-leakcheck@myapp.timer"
		run -0 --separate-stderr systemd-analyze verify --man=no \
		    "$T/units/pm-leakcheck@myapp.timer" \
		    "$T/units/pm-leakcheck@myapp.service"
		assert_equal "$stderr" ""
	fi
	v=$(newest)
	pm_start_target "$v" grower.py "$T/truth"
	# systemctl show -p MainPID --value myapp.service: the grower.
	mkdir "$T/fakebin"
	cat >"$T/fakebin/systemctl" <<-EOF
	#!/bin/sh
	[ "\$*" = "show -p MainPID --value myapp.service" ] || exit 1
	echo $PM_TARGET_PID
	EOF
	chmod +x "$T/fakebin/systemctl"
	# What systemd would run: %i is the instance, \$\$ a dollar.
	exec=$(sed -n 's/^ExecStart=//p' "$sd/pm-leakcheck@.service" |
	    sed 's/%i/myapp/g; s/\$\$/$/g')
	[ -n "$exec" ] || fail "no ExecStart"
	mkdir -m 700 "$T/state"
	unit() {
		env -i STATE_DIRECTORY="$T/state" \
		    PATH="$T/fakebin:$PM_BIN:/usr/bin:/bin" /bin/sh -c "$exec"
	}
	run -0 --separate-stderr unit
	assert_output ""
	assert_equal "$stderr" ""
	# The unit allows 10000 objects: 15000 more do not pass.
	local c0 b0
	c0=$(pm_truth leak.count "$T/truth")
	b0=$(pm_truth leak.bytes "$T/truth")
	grow_once "$T/truth"
	grow_once "$T/truth"
	grow_once "$T/truth"
	run -1 --separate-stderr unit
	assert_line "$(leak_since "$c0" "$b0" "$T/truth")"
	assert_equal "$(snaps "$T/state")" "$PM_TARGET_PID-000000001.pmd $PM_TARGET_PID-000000002.pmd"
}

# The script of the CI job's "leak gate" step.
ci_script() {
	awk '
	    /- name: leak gate$/ { step = 1; next }
	    step && /run: \|$/ { body = 1; next }
	    body {
		if (indent == "") { match($0, /^ +/); indent = RLENGTH }
		if ($0 != "" && substr($0, 1, indent) !~ /^ +$/) exit
		print substr($0, indent + 1)
	    }' "$SHARE/ci/github-actions.yml"
}

@test "the CI job's leak gate fails under a leaking load, passes otherwise" {
	local v py
	v=$(newest)
	pm_python "$v"
	py=$PM_PY
	ci_script >"$T/gate.sh"
	grep -q 'pm-types --baseline' "$T/gate.sh" || fail "no gate in: $(cat "$T/gate.sh")"
	# LOAD: wait for the service, then grow it (leaking) or not.
	cat >"$T/leaky-load.sh" <<-'EOF'
	#!/bin/sh
	t=$1
	while [ ! -f "$t" ]; do sleep 0.1; done
	r=$(awk '$1 == "round" { print $2 }' "$t")
	kill -USR1 "$(awk '$1 == "pid" { print $2 }' "$t")"
	while [ "$(awk '$1 == "round" { print $2 }' "$t")" = "$r" ]; do sleep 0.1; done
	EOF
	cat >"$T/fine-load.sh" <<-'EOF'
	#!/bin/sh
	while [ ! -f "$1" ]; do sleep 0.1; done
	EOF
	mkdir "$T/leaky" "$T/fine"
	run -1 env SERVICE="$py $BATS_TEST_DIRNAME/targets/grower.py $T/leaky/truth" \
	    LOAD="sh $T/leaky-load.sh $T/leaky/truth" MAX_GROWTH=1000 \
	    MAX_GROWTH_BYTES=16M PATH="$PATH" \
	    bash -e -c "cd '$T/leaky' && . '$T/gate.sh'"
	assert_line "the service grew under sh $T/leaky-load.sh $T/leaky/truth; the top growing types:"
	assert_line "$(leak_row "$T/leaky/truth")"
	[ -f "$T/leaky/leak-gate/before.pmd" ] || fail "no snapshot kept"
	run -0 env SERVICE="$py $BATS_TEST_DIRNAME/targets/grower.py $T/fine/truth" \
	    LOAD="sh $T/fine-load.sh $T/fine/truth" MAX_GROWTH=1000 \
	    MAX_GROWTH_BYTES=16M PATH="$PATH" \
	    bash -e -c "cd '$T/fine' && . '$T/gate.sh'"
	# The services were stopped by the script's trap.
	local pid
	for pid in $(pm_truth pid "$T/leaky/truth") $(pm_truth pid "$T/fine/truth"); do
		sleep 0.2
		[ ! -d "/proc/$pid" ] || grep -q ') Z ' "/proc/$pid/stat" ||
		    fail "service $pid still runs"
	done
}

@test "the ssh recipes of share/ssh.md run as written" {
	local v n b
	v=$(newest)
	pm_start_target "$v" grower.py "$T/truth"
	# ssh [options] HOST COMMAND...: run COMMAND here, as sshd would.
	mkdir "$T/fakebin" "$T/work"
	cat >"$T/fakebin/ssh" <<-'EOF'
	#!/bin/sh
	while [ $# -gt 0 ]; do
		case $1 in
		-[46AaCfGgKkMNnqsTtVvXxYy]*) shift ;;
		-*) shift 2 ;;
		*) break ;;
		esac
	done
	shift
	exec sh -c "$*"
	EOF
	chmod +x "$T/fakebin/ssh"
	awk -v dir="$T" '
	    /^```sh$/ { on = 1; n++; next }
	    /^```$/ { on = 0; next }
	    on { print > (dir "/block" n ".sh") }' "$SHARE/ssh.md"
	n=$(ls "$T"/block*.sh | wc -l)
	[ "$n" -ge 6 ] || fail "only $n sh blocks in ssh.md"
	for ((b = 1; b <= n; b++)); do
		sed -i "s|myapp\.py|$T/truth|g" "$T/block$b.sh"
		# (pm-dump prints the pause on stderr.)
		run --separate-stderr env HOST=prod-1 PID="$PM_TARGET_PID" \
		    PATH="$T/fakebin:$PATH" bash -e -c "cd '$T/work' && . '$T/block$b.sh'"
		[ "$status" -eq 0 ] ||
		    fail "block $b: exit $status: $(cat "$T/block$b.sh"): $stderr"
		# After the census is kept, the service leaks 5000.
		if grep -q '> before.tsv' "$T/block$b.sh"; then
			grow_once "$T/truth"
		fi
		printf '%s\n' "$output" >"$T/out$b"
	done
	run -0 zstd -qt "$T/work/app.pmd"
	run -0 tail -n 1 "$T/work/before.tsv"
	assert_output --regexp $'^[0-9]+\t[0-9]+\t\\(total\\)$'
	run -0 grep -Fx "$(leak_row "$T/truth")" "$T/work/growth.tsv"
	# The gate block said so on stdout.
	grep -qFx "prod-1: pid $PM_TARGET_PID grew; the top growing types:" "$T/out$n" ||
	    fail "the gate did not trip: $(cat "$T/out$n")"
	# pm-dump refuses a terminal: what ssh -t would give it.
	run --separate-stderr script -qec "pm-dump -p $PM_TARGET_PID" /dev/null
	[ "$status" -ne 0 ] || fail "pm-dump wrote to a terminal"
}

@test "make install: pm-leakcheck in BINDIR, the examples in PREFIX/share/pmtools" {
	local root=$BATS_TEST_DIRNAME/.. dest=$T/dest f
	run -0 make -s -C "$root" install DESTDIR="$dest" PREFIX=/usr \
	    BUILD_DIR="$T/build" BIN_DIR="$T/bin"
	[ -f "$dest/usr/bin/pm-leakcheck" ] && [ -x "$dest/usr/bin/pm-leakcheck" ] ||
	    fail "no executable $dest/usr/bin/pm-leakcheck"
	cmp "$root/share/pm-leakcheck" "$dest/usr/bin/pm-leakcheck"
	[ ! -e "$dest/usr/share/pmtools/pm-leakcheck" ] || fail "pm-leakcheck in share too"
	cmp "$root/man/pm-leakcheck.1" "$dest/usr/share/man/man1/pm-leakcheck.1"
	for f in ssh.md cron/pm-leakcheck.crontab \
	    systemd/pm-leakcheck@.service systemd/pm-leakcheck@.timer \
	    ci/github-actions.yml demo/demo.sh demo/leaky_service.py; do
		cmp "$root/share/$f" "$dest/usr/share/pmtools/$f" ||
		    fail "$f not installed"
	done
	[ -x "$dest/usr/share/pmtools/demo/demo.sh" ] || fail "demo.sh not executable"
	# Installed, it runs: the usage, and the pm- programs beside it.
	run -0 "$dest/usr/bin/pm-leakcheck" --help
	assert_line --index 0 --partial "usage: pm-leakcheck "
	run -0 make -s -C "$root" uninstall DESTDIR="$dest" PREFIX=/usr \
	    BUILD_DIR="$T/build" BIN_DIR="$T/bin"
	run -0 find "$dest" -type f
	assert_output ""
}

@test "pm-leakcheck --version is the version of the other programs" {
	local want
	want=$(pm-types --version)
	run -0 --separate-stderr "$LEAKCHECK" --version
	assert_output "pm-leakcheck ${want#pm-types }"
	run -2 --separate-stderr "$LEAKCHECK" --bogus -p 1
	assert_equal "${stderr_lines[0]}" "pm-leakcheck: unknown option '--bogus'"
	run -2 --separate-stderr "$LEAKCHECK" -p
	assert_equal "${stderr_lines[0]}" "pm-leakcheck: option -p needs a value"
}

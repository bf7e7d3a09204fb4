#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make static: cppcheck and clang-tidy on the userspace C (fuzz/README.md).
# Exits 1 on any finding not listed in fuzz/static-suppressions.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
KSFT_DIR=${KSFT_DIR:-$TOP/.cache/src/linux-source-6.1/tools/testing/selftests}
cd "$TOP" || exit 2

files=$(ls tools/pvlens/*.c unit/*.c selftests/*/*.c fuzz/*.c 2>/dev/null)
nfiles=$(echo "$files" | wc -l)
defs=(-D_GNU_SOURCE -DPVLENS_VERSION='"0"' -U__KERNEL__)
incs=(-I include -I "$KSFT_DIR")
fail=0

# readdirCalled: readdir_r() is deprecated (glibc 2.24) and readdir() is
# safe on a stream only one thread reads.  kselftest*.h is the kernel's.
# shellcheck disable=SC2086
cppcheck -q --enable=warning,performance,portability --error-exitcode=1 \
	--inline-suppr --std=c11 --library=posix "${defs[@]}" "${incs[@]}" \
	--suppress='*:*/kselftest*.h' --suppress=readdirCalled \
	--template='{file}:{line}: {severity}: {message} [{id}]' $files || fail=1
[ $fail = 0 ] && echo "static: cppcheck clean ($nfiles files)"

# Why each check is off is in fuzz/README.md ("Static analysis").
checks='-*,bugprone-*,clang-analyzer-*,cert-err34-c'
checks+=',-bugprone-easily-swappable-parameters'
checks+=',-bugprone-suspicious-include'
checks+=',-bugprone-suspicious-string-compare'
checks+=',-bugprone-implicit-widening-of-multiplication-result'
checks+=',-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling'
checks+=',-clang-analyzer-security.insecureAPI.strcpy'
config="{CheckOptions: [
 {key: bugprone-narrowing-conversions.WarnOnIntegerToFloatingPointNarrowingConversion, value: false},
 {key: bugprone-reserved-identifier.AllowedIdentifiers, value: _GNU_SOURCE}]}"

log=$(mktemp)
# shellcheck disable=SC2086
clang-tidy -quiet --checks="$checks" --config="$config" $files -- \
	-std=gnu11 "${defs[@]}" "${incs[@]}" > "$log" 2>/dev/null
# A finding: "file:line:col: warning: text [check]" then the source line.
# Suppressions: "path-regex<TAB>check<TAB>source-line-regex", one a line,
# each below a comment saying why it is a false positive.
left=$(awk -v top="$TOP/" -F'\t' '
	FNR == NR { if ($0 !~ /^#/ && NF >= 3) { n++; fp[n] = $1; fc[n] = $2; fl[n] = $3 } next }
	want_src { src = $0; want_src = 0
		for (i = 1; i <= n; i++)
			if (file ~ fp[i] && chk == fc[i] && src ~ fl[i]) next
		if (!seen[file ":" line ":" chk]++) print file ":" line ": " msg
		next }
	/: (warning|error): .*\[[^]]*\]$/ {
		split($0, a, ":"); file = a[1]; line = a[2]
		sub("^" top, "", file); while (sub("[^/]*/\\.\\./", "", file)) ;
		chk = $0; sub(/.*\[/, "", chk); sub(/\]$/, "", chk)
		msg = $0; sub(/^[^:]*:[^:]*:[^:]*: /, "", msg)
		want_src = 1 }
' fuzz/static-suppressions "$log")
rm -f "$log"
if [ -n "$left" ]; then
	echo "$left"
	echo "static: clang-tidy: $(echo "$left" | wc -l) finding(s)"
	fail=1
else
	echo "static: clang-tidy clean ($nfiles files)"
fi
exit $fail

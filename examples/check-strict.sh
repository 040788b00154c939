#!/bin/sh
# Compile each example the way a user's build would: -std=c11 -Wall -Wextra -pedantic -Werror with
# only the public headers, none of the project's flags (no -D_GNU_SOURCE: a source that needs
# MAP_ANONYMOUS or poll() must define _DEFAULT_SOURCE itself).  With the compiler meson uses, and
# with gcc and clang too when they are installed.
# usage: check-strict.sh INCLUDE-DIR CC SOURCE...
set -u
inc="$1"
cc="$2"
shift 2
compilers="$cc"
for c in gcc clang; do
	command -v "$c" >/dev/null 2>&1 &&
		[ "$(readlink -f "$(command -v "$c")")" != "$(readlink -f "$(command -v "$cc")")" ] && compilers="$compilers $c"
done
fail=0
n=0
for c in $compilers; do
	for src in "$@"; do
		n=$((n + 1))
		if ! out=$("$c" -std=c11 -Wall -Wextra -pedantic -Werror -I"$inc" -c "$src" -o /dev/null 2>&1); then
			echo "not ok: $c $(basename "$src"):"
			printf '%s\n' "$out"
			fail=1
		fi
	done
done
[ $fail = 0 ] && echo "ok: $n compilations ($compilers) with -std=c11 -Wall -Wextra -pedantic -Werror"
exit $fail

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# examples_pattern_test.sh SOURCE_DIR
#
# The schedulers a user copies (examples/, templates/scheduler/) use the public API only:
# nothing from scxpp::internal, no const_cast (SetRodata(), Topology::FillBpf() take the
# skeleton's read-only variables), no skeleton pointer kept outside the runner
# (SkelOf<Skel>() gives hooks the skeleton), no signal to themselves and no signal mask
# (SchedulerBase::RequestStop(), HeldChild), no <name>__open_opts (Skel::open()).
src=$1
fail=0
files=$(find "$src/examples" "$src/templates/scheduler" -name '*.cc' -o -name '*.h' | sort)
[ -n "$files" ] || { echo "FAIL: no sources under $src/examples"; exit 1; }
check() {
  what=$1 pattern=$2
  # shellcheck disable=SC2086  # one file per word
  hits=$(grep -nE -- "$pattern" $files)
  if [ -n "$hits" ]; then
    echo "FAIL: $what:"
    echo "$hits" | sed "s|^$src/|  |"
    fail=1
  fi
}
check "scxpp::internal used" 'internal::'
check "const_cast" 'const_cast'
check "signals itself" 'kill\(getpid|raise\(|kill\(0,'
check "touches the signal mask" 'sigprocmask|pthread_sigmask'
check "passes <name>__open_opts" '__open_opts'
# The skeleton types: every scheduler in examples/schedulers.txt, and the template's.
skels=$(grep -v '^ *\(#\|$\)' "$src/examples/schedulers.txt" | tr '\n' '|')@name@
check "keeps a skeleton pointer" "(^|[^:])\\b($skels)\\* *[a-z][a-z0-9_]*[a-z0-9] *= *(nullptr|&)"
[ "$fail" = 0 ] && echo "examples_pattern_test: $(echo "$files" | wc -l) files use the public API only"
exit $fail

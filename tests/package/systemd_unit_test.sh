#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# systemd_unit_test.sh UNIT WORK NAME...
#
# `systemd-analyze verify` accepts the scxpp@.service template for each instance NAME
# without a single complaint (it reports unknown keys and bad values but still exits 0, so
# any output fails the test). It also insists that ExecStart exists; the bare
# `scxpp-<name>` is resolved through systemd's fixed search path on a real system, so here
# it is pointed at a stand-in executable. Also checks the settings the deployment relies
# on: restart on failure, stats to the journal, SIGINT to detach, readiness once attached
# (Type=notify), and no race with the scx project's scheduler services.
set -eu
unit=$1 work=$2
shift 2
rm -rf "$work"
mkdir -p "$work"
printf '#!/bin/sh\nexit 0\n' >"$work/stand-in"
chmod +x "$work/stand-in"
sed "s|^ExecStart=scxpp-%i|ExecStart=$work/stand-in|" "$unit" >"$work/scxpp@.service"
grep -q "^ExecStart=$work/stand-in --stats_interval" "$work/scxpp@.service" ||
  { echo "FAIL: ExecStart is not 'scxpp-%i --stats_interval=...'"; exit 1; }
for key in "Restart=on-failure" "RestartPreventExitStatus=2" "KillSignal=SIGINT" \
           "StandardOutput=journal" "ConditionPathIsDirectory=/sys/kernel/sched_ext" \
           "Type=notify" "Conflicts=scx.service scx_loader.service"; do
  grep -qx "$key" "$unit" || { echo "FAIL: the unit lacks $key"; exit 1; }
done
for name in "$@"; do
  ln -sf "scxpp@.service" "$work/scxpp@$name.service"
  out=$(systemd-analyze verify --man=no "$work/scxpp@$name.service" 2>&1) ||
    { echo "FAIL: systemd-analyze verify scxpp@$name.service:"; echo "$out"; exit 1; }
  [ -z "$out" ] || { echo "FAIL: systemd-analyze complained about scxpp@$name.service:"; echo "$out"; exit 1; }
  echo "ok: scxpp@$name.service"
done
echo "PASS: scxpp@.service verifies for: $*"

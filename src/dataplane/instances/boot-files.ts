/**
 * The files privlink hands an instance at each boot (bound read-only at /run/privlink): the boot
 * script PID 1 (tini) runs, the shims that turn `poweroff`/`shutdown`/`reboot` inside into a
 * request to privlink, and the network files.
 *
 * The boot script does what cloud-init does by default: the scripts in
 * /var/lib/cloud/scripts/per-boot run on every boot, user data (`/run/privlink/user-data`, only
 * present on the instance's first boot) runs once, and its output goes to the console. Then it
 * waits; SIGTERM (a shutdown request forwarded by tini) ends it and with it the sandbox.
 */
export const BOOT_SCRIPT = `#!/bin/sh
trap 'exit 0' TERM INT
echo "privlink: boot $(hostname) ($PRIVLINK_INSTANCE_ID), kernel $(uname -r)"
for f in /var/lib/cloud/scripts/per-boot/*; do
  [ -f "$f" ] && [ -x "$f" ] || continue
  echo "privlink: per-boot script $f"
  "$f" </dev/null
done
if [ -f /run/privlink/user-data ]; then
  mkdir -p /var/lib/cloud/instance/scripts
  cp /run/privlink/user-data /var/lib/cloud/instance/scripts/part-001
  chmod 700 /var/lib/cloud/instance/scripts/part-001
  echo "privlink: running user data"
  (
    cd /
    if head -c 2 /var/lib/cloud/instance/scripts/part-001 | grep -q '#!'; then
      /var/lib/cloud/instance/scripts/part-001 </dev/null
    else
      /bin/sh /var/lib/cloud/instance/scripts/part-001 </dev/null
    fi
    echo "privlink: user data finished (exit $?)"
  ) &
fi
echo "privlink: boot finished"
while :; do
  sleep 2147483647 &
  wait $!
done
`;

/** poweroff, halt, shutdown and reboot inside the instance: a request file, then SIGTERM to PID 1. */
export const SHUTDOWN_SHIM = `#!/bin/sh
req=poweroff
case "$(basename "$0")" in reboot) req=reboot ;; esac
for a in "$@"; do case "$a" in -r|--reboot) req=reboot ;; -c) exit 0 ;; esac; done
echo "$req" > /run/privlink/ctl/request
kill -TERM 1
`;

export const SHUTDOWN_COMMANDS = ['poweroff', 'halt', 'shutdown', 'reboot'] as const;

export function resolvConf(resolverIp: string): string {
  return `nameserver ${resolverIp}\noptions timeout:2 attempts:2\n`;
}

export function hostsFile(privateIp: string, hostname: string): string {
  const short = hostname.split('.')[0] ?? hostname;
  return `127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n${privateIp} ${hostname} ${short}\n`;
}

/**
 * Builds the built-in parts the root (src/emulator.ts) wires in: the data plane (before the
 * control plane, which reads its ports) and DNS (after it). Kept apart from emulator.ts so tests
 * of the API alone do not load the data plane.
 *
 * Pass both to Privlink: `new Privlink(options, { dataplane: createDataplane, components:
 * createComponents })`.
 */
import type { Component, DataplaneBase, Privlink } from './emulator.js';
import { Dataplane } from './dataplane/dataplane.js';
import { DnsComponent } from './dns/dns-component.js';

/** The data plane for these options (none with `dataplane: 'off'`). */
export function createDataplane(base: DataplaneBase): Dataplane | undefined {
  return base.options.dataplane === 'off' ? undefined : new Dataplane(base);
}

/** Components built after the control plane: DNS (the host resolver runs even without a data plane). */
export function createComponents(p: Privlink): Component[] {
  if (p.options.dataplane !== 'off' && !p.dataplane) {
    throw new Error(
      `dataplane '${p.options.dataplane}' asked for, but no data plane was built: pass createDataplane too`,
    );
  }
  const dns = p.dataplane instanceof Dataplane ? p.dataplane.dns : undefined;
  return [
    new DnsComponent({
      control: p.control,
      options: p.options,
      logger: p.logger.child('dns'),
      ...(dns && { dataplane: dns, bindInNamespace: dns.bindInNamespace }),
    }),
  ];
}

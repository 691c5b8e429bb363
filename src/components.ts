/**
 * Builds the data plane and DNS components for a Privlink instance from its options, and wires
 * the data plane's ports into the control plane and DNS.
 * (Kept apart from emulator.ts so tests of the API alone do not load the data plane.)
 */
import type { Component, Privlink } from './emulator.js';
import { Dataplane } from './dataplane/dataplane.js';
import { setConsoleSource } from './control/instances/instances.js';
import { DnsComponent } from './dns/dns-component.js';

export function createComponents(p: Privlink): Component[] {
  const components: Component[] = [];
  let dataplane: Dataplane | undefined;
  if (p.options.dataplane !== 'off') {
    dataplane = new Dataplane({
      store: p.store,
      clock: p.clock,
      ids: p.ids,
      options: p.options,
      logger: p.logger.child('dataplane'),
    });
    components.push(dataplane);
    // The ports answer before start() and after close() as if there were no data plane.
    const ports = dataplane.ports;
    p.control.health = ports.health;
    p.control.readiness = (ep) => ports.readiness.isReady(ep);
    setConsoleSource(p.control, (id) => ports.console.consoleOutputOf(id));
  }
  // DNS starts after the data plane (it needs the mode and the VPC events); the host resolver
  // runs even with the data plane off.
  const dns = dataplane?.dns;
  components.push(
    new DnsComponent({
      control: p.control,
      options: p.options,
      logger: p.logger.child('dns'),
      ...(dns && { dataplane: dns, bindInNamespace: dns.bindInNamespace }),
    }),
  );
  return components;
}

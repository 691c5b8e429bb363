/**
 * Builds the data plane and DNS components for a Privlink instance from its options.
 * (Kept apart from emulator.ts so tests of the API alone do not load the data plane.)
 */
import type { Component, Privlink } from './emulator.js';
import { Dataplane } from './dataplane/dataplane.js';
import { openInNamespace } from './dataplane/netns/ns-sockets.js';
import { trafficFor } from './dataplane/fabric/traffic.js';
import { DnsComponent } from './dns/dns-component.js';

export function createComponents(p: Privlink): Component[] {
  const components: Component[] = [];
  let dataplane: Dataplane | undefined;
  if (p.options.dataplane !== 'off') {
    dataplane = new Dataplane({
      store: p.store,
      control: p.control,
      options: p.options,
      logger: p.logger.child('dataplane'),
    });
    components.push(dataplane);
  }
  // DNS starts after the data plane (it needs the mode and the VPC events); the host resolver
  // runs even with the data plane off.
  const dp = dataplane;
  components.push(
    new DnsComponent({
      control: p.control,
      options: p.options,
      logger: p.logger.child('dns'),
      bindInNamespace: openInNamespace,
      ...(dp && {
        dataplane: {
          events: dp.events,
          vpcs: dp.vpcs,
          mode: () => dp.currentMode,
          // Loopback mode: answer the 127.77.x.y the endpoint proxies listen on (the endpoint
          // reconciler made the Traffic of this context at start, so this creates nothing).
          hostAddressOf: (eniId: string) => {
            const ctx = dp.context;
            return dp.currentMode === 'loopback' && ctx ? trafficFor(ctx).loopback?.lookup(eniId) : undefined;
          },
        },
      }),
    }),
  );
  return components;
}

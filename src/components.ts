/**
 * Builds the built-in parts the root (src/emulator.ts) wires in: the data plane (before the
 * control plane, which reads its ports) and DNS (after it). Kept apart from emulator.ts so tests
 * of the API alone do not load the data plane.
 *
 * Pass both to Privlink: `new Privlink(options, { dataplane: createDataplane, components:
 * createComponents })`.
 */
import type { Component, DataplaneBase, DataplaneComponent, Privlink } from './emulator.js';
import { Dataplane, type Control as DataplaneRelay } from './dataplane/dataplane.js';
import { openInNamespace } from './dataplane/netns/ns-sockets.js';
import { trafficFor } from './dataplane/fabric/traffic.js';
import { DnsComponent } from './dns/dns-component.js';
import { assumeHealthy, type DataplanePorts } from './control/ports.js';

/**
 * The data plane and the ports it reports through. Today's Dataplane still reports by writing
 * into the object it is handed as `control`; that object is a relay owned here, and the ports
 * read it. The control plane is never handed to the data plane.
 */
export function createDataplane(base: DataplaneBase): (Dataplane & DataplaneComponent) | undefined {
  if (base.options.dataplane === 'off') return undefined;
  const relay: DataplaneRelay = {
    store: base.store,
    clock: base.clock,
    ids: base.ids,
    health: assumeHealthy,
  };
  const ports: DataplanePorts = {
    health: { healthOf: (tg, target, port) => relay.health.healthOf(tg, target, port) },
    readiness: { isReady: (ep) => relay.readiness?.(ep) ?? true },
    console: { consoleOutputOf: (id) => relay.consoleOutputOf?.(id) },
  };
  const dataplane = new Dataplane({
    store: base.store,
    control: relay,
    options: base.options,
    logger: base.logger,
  });
  return Object.assign(dataplane, { ports });
}

/** Components built after the control plane: DNS (the host resolver runs even without a data plane). */
export function createComponents(p: Privlink): Component[] {
  if (p.options.dataplane !== 'off' && !p.dataplane) {
    throw new Error(
      `dataplane '${p.options.dataplane}' asked for, but no data plane was built: pass createDataplane too`,
    );
  }
  const dp = p.dataplane instanceof Dataplane ? p.dataplane : undefined;
  return [
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
  ];
}

/**
 * The fabric: one namespace per host (`<prefix>-fabric`) holding a bridge that joins every
 * endpoint-ENI namespace and NLB-node namespace on the internal range `fabricCidr`. Nothing in it
 * overlaps (the range is allocated here, unique per ENI), so it needs no NAT and no routing; the
 * fabric agent lives here too (gateway address .1, health-check source .2). The host namespace
 * never gets an address or route in this range: links are created directly inside the
 * namespaces they belong to.
 */
import type { Logger } from '../../shared/logger.js';
import { fabricNamespace, linkName, stableMac } from '../netns/naming.js';
import { NO_BRIDGE_NETFILTER, deleteNamespace, ipBatch, nsExec, run } from '../netns/run.js';
import { AddressPool, FABRIC_AGENT_OFFSET, FABRIC_HEALTH_OFFSET } from './address-pool.js';

export const FABRIC_BRIDGE = 'fab0';
/** Name of the fabric leg inside an ENI namespace. */
export const FABRIC_LEG = 'f';

export class Fabric {
  readonly namespace: string;
  readonly pool: AddressPool;
  private up = false;
  private creating: Promise<void> | undefined;

  constructor(
    readonly prefix: string,
    readonly cidr: string,
    private readonly logger: Logger,
  ) {
    this.namespace = fabricNamespace(prefix);
    this.pool = new AddressPool(cidr);
  }

  /** The agent's address (outbound PPv2 upstream connections). */
  get agentAddress(): string {
    return this.pool.addressAt(FABRIC_AGENT_OFFSET);
  }

  /** Source address of health checks (NLB nodes DNAT these to targets by port). */
  get healthAddress(): string {
    return this.pool.addressAt(FABRIC_HEALTH_OFFSET);
  }

  get isUp(): boolean {
    return this.up;
  }

  /** Creates the namespace and bridge once (idempotent, concurrent callers share the work). */
  ensure(): Promise<void> {
    if (this.up) return Promise.resolve();
    this.creating ??= this.create().finally(() => {
      this.creating = undefined;
    });
    return this.creating;
  }

  private async create(): Promise<void> {
    await deleteNamespace(this.namespace);
    await run(['ip', 'netns', 'add', this.namespace]);
    try {
      const p = this.pool.prefix;
      await ipBatch(
        [
          'link set lo up',
          // A bridge without an explicit MAC takes the lowest of its ports' and changes it as ports
          // come and go; NLB nodes that cached the agent's MAC would then drop its replies.
          `link add ${FABRIC_BRIDGE} address ${stableMac(`fabric-bridge:${this.prefix}`)} type bridge`,
          `link set ${FABRIC_BRIDGE} up`,
          `addr add ${this.agentAddress}/${p} dev ${FABRIC_BRIDGE}`,
          `addr add ${this.healthAddress}/${p} dev ${FABRIC_BRIDGE}`,
        ],
        this.namespace,
      );
      // Bridged frames must not traverse the fabric's netfilter (br_netfilter is on by default).
      await nsExec(this.namespace, [
        'sysctl',
        '-qw',
        'net.ipv4.ip_local_port_range=1024 65535',
        ...NO_BRIDGE_NETFILTER,
      ]);
    } catch (e) {
      await deleteNamespace(this.namespace).catch(() => undefined);
      throw e;
    }
    this.up = true;
    this.logger.debug('fabric up', { ns: this.namespace, cidr: this.cidr });
  }

  /**
   * `ip -batch` lines (run in the host namespace) that give namespace `ns` a fabric leg named
   * FABRIC_LEG with `address`, its peer plugged into the fabric bridge.
   */
  attachLines(
    ns: string,
    key: string,
    address: string,
  ): { host: string[]; inside: string[]; fabric: string[] } {
    const peer = linkName('f', key);
    return {
      host: [`link add ${FABRIC_LEG} netns ${ns} type veth peer name ${peer} netns ${this.namespace}`],
      // A MAC derived from the key: a namespace rebuilt for the same ENI keeps its fabric MAC, so
      // neighbours that cached it (the agent, NLB nodes, endpoints) never blackhole its address.
      inside: [
        `link set ${FABRIC_LEG} address ${fabricMac(key)}`,
        `addr add ${address}/${this.pool.prefix} dev ${FABRIC_LEG}`,
        `link set ${FABRIC_LEG} up`,
      ],
      fabric: [`link set ${peer} master ${FABRIC_BRIDGE}`, `link set ${peer} up`],
    };
  }

  async close(): Promise<void> {
    this.up = false;
    await deleteNamespace(this.namespace);
  }
}

/** The MAC of a fabric leg (stable per key). */
export function fabricMac(key: string): string {
  return stableMac(`fabric:${key}`);
}

/**
 * The fabric: one namespace per host (`<prefix>-fabric`) holding a bridge that joins every
 * endpoint-ENI namespace and NLB-node namespace on the internal range `fabricCidr`. Nothing in it
 * overlaps (the range is allocated here, unique per ENI), so it needs no NAT and no routing; the
 * fabric agent lives here too (gateway address .1, health-check source .2). The host namespace
 * never gets an address or route in this range: links are created directly inside the
 * namespaces they belong to.
 *
 * The range is link-local (169.254.0.0/16, default 169.254.0.0/17): every ENI and NLB node
 * namespace has a VPC leg and a fabric leg side by side, so a fabric range that a VPC may also
 * use (100.64.0.0/10 is allowed for VPCs) would send VPC traffic into the fabric or fabric
 * traffic into the VPC. AWS never lets a VPC use 169.254.0.0/16 (its instances reach IMDS and
 * the DNS there), so no VPC CIDR can collide; 169.254.169.0/24, which instances do use, stays
 * out of the fabric (docs/dataplane.md, "Addresses").
 */
import type { Logger } from '../../shared/logger.js';
import { cidrContains, cidrsOverlap, parseCidr } from '../../control/cidr.js';
import { fabricNamespace, linkName, stableMac } from '../netns/naming.js';
import type { Runner } from '../netns/runner.js';
import {
  NO_BRIDGE_NETFILTER,
  deleteNamespace,
  ipBatchCommand,
  nsCommand,
  runCommands,
  type Command,
} from '../netns/commands.js';
import { AddressPool, FABRIC_AGENT_OFFSET, FABRIC_HEALTH_OFFSET } from './address-pool.js';

export const FABRIC_BRIDGE = 'fab0';
/** Name of the fabric leg inside an ENI namespace. */
export const FABRIC_LEG = 'f';
export const DEFAULT_FABRIC_CIDR = '169.254.0.0/17';
const LINK_LOCAL = parseCidr('169.254.0.0/16');
/** IMDS, the Amazon DNS and time server addresses instances use. */
const INSTANCE_SERVICES = parseCidr('169.254.169.0/24');

/** Why `cidr` cannot be the fabric range (undefined when it can). */
export function fabricCidrProblem(cidr: string): string | undefined {
  let c;
  try {
    c = parseCidr(cidr, 'fabricCidr');
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  if (!cidrContains(LINK_LOCAL, c))
    return `fabric range ${cidr} must lie inside 169.254.0.0/16 (link-local: no VPC can use it)`;
  if (c.prefix < 17 || c.prefix > 24) return `fabric range ${cidr} must be a /17 to /24`;
  if (cidrsOverlap(c, INSTANCE_SERVICES))
    return `fabric range ${cidr} must not overlap 169.254.169.0/24 (IMDS and DNS addresses)`;
  return undefined;
}

export interface FabricPlan {
  namespace: string;
  agentAddress: string;
  healthAddress: string;
  /** Commands that build the namespace after `ip netns add` (in order). */
  setup: Command[];
}

/** The fabric as it should exist for prefix and cidr (pure). */
export function fabricPlan(prefix: string, pool: AddressPool): FabricPlan {
  const namespace = fabricNamespace(prefix);
  const agentAddress = pool.addressAt(FABRIC_AGENT_OFFSET);
  const healthAddress = pool.addressAt(FABRIC_HEALTH_OFFSET);
  const p = pool.prefix;
  return {
    namespace,
    agentAddress,
    healthAddress,
    setup: [
      ipBatchCommand(
        [
          'link set lo up',
          // A bridge without an explicit MAC takes the lowest of its ports' and changes it as ports
          // come and go; NLB nodes that cached the agent's MAC would then drop its replies.
          `link add ${FABRIC_BRIDGE} address ${stableMac(`fabric-bridge:${prefix}`)} type bridge`,
          `link set ${FABRIC_BRIDGE} up`,
          `addr add ${agentAddress}/${p} dev ${FABRIC_BRIDGE}`,
          `addr add ${healthAddress}/${p} dev ${FABRIC_BRIDGE}`,
        ],
        namespace,
      ),
      // Bridged frames must not traverse the fabric's netfilter (br_netfilter is on by default).
      nsCommand(namespace, [
        'sysctl',
        '-qw',
        'net.ipv4.ip_local_port_range=1024 65535',
        ...NO_BRIDGE_NETFILTER,
      ]),
    ],
  };
}

/** `ip -batch` lines that give namespace `ns` a fabric leg, split by where they run. */
export interface FabricAttachment {
  /** Run in the host namespace: creates the veth pair straight into both namespaces. */
  host: string[];
  /** Run inside the ENI namespace. */
  inside: string[];
  /** Run inside the fabric namespace. */
  fabric: string[];
}

/** The fabric leg of namespace `ns` (pure). */
export function fabricAttachment(
  fabricNs: string,
  poolPrefix: number,
  ns: string,
  key: string,
  address: string,
): FabricAttachment {
  const peer = linkName('f', key);
  return {
    host: [`link add ${FABRIC_LEG} netns ${ns} type veth peer name ${peer} netns ${fabricNs}`],
    // A MAC derived from the key: a namespace rebuilt for the same ENI keeps its fabric MAC, so
    // neighbours that cached it (the agent, NLB nodes, endpoints) never blackhole its address.
    inside: [
      `link set ${FABRIC_LEG} address ${fabricMac(key)}`,
      `addr add ${address}/${poolPrefix} dev ${FABRIC_LEG}`,
      `link set ${FABRIC_LEG} up`,
    ],
    fabric: [`link set ${peer} master ${FABRIC_BRIDGE}`, `link set ${peer} up`],
  };
}

export class Fabric {
  readonly namespace: string;
  readonly pool: AddressPool;
  private readonly plan: FabricPlan;
  private up = false;
  private creating: Promise<void> | undefined;

  constructor(
    private readonly runner: Runner,
    readonly prefix: string,
    readonly cidr: string,
    private readonly logger: Logger,
  ) {
    const problem = fabricCidrProblem(cidr);
    if (problem) throw new Error(problem);
    this.pool = new AddressPool(cidr);
    this.plan = fabricPlan(prefix, this.pool);
    this.namespace = this.plan.namespace;
  }

  /** The agent's address (outbound PPv2 upstream connections). */
  get agentAddress(): string {
    return this.plan.agentAddress;
  }

  /** Source address of health checks (NLB nodes DNAT these to targets by port). */
  get healthAddress(): string {
    return this.plan.healthAddress;
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
    await deleteNamespace(this.runner, this.namespace);
    await this.runner.run(['ip', 'netns', 'add', this.namespace]);
    try {
      await runCommands(this.runner, this.plan.setup);
    } catch (e) {
      await deleteNamespace(this.runner, this.namespace).catch(() => undefined);
      throw e;
    }
    this.up = true;
    this.logger.debug('fabric up', { ns: this.namespace, cidr: this.cidr });
  }

  /** The fabric leg of namespace `ns` with `address` (see fabricAttachment). */
  attachLines(ns: string, key: string, address: string): FabricAttachment {
    return fabricAttachment(this.namespace, this.pool.prefix, ns, key, address);
  }

  async close(): Promise<void> {
    this.up = false;
    await deleteNamespace(this.runner, this.namespace);
  }
}

/** The MAC of a fabric leg (stable per key). */
export function fabricMac(key: string): string {
  return stableMac(`fabric:${key}`);
}

/**
 * Keeps the DNS record tables equal to what the store implies: a public table (regional and zonal
 * endpoint names, answered everywhere), one private table per VPC (private DNS names of that
 * VPC's endpoints) and a table of every private name (the host's view when no VPC resolvers run).
 *
 * It follows committed store changes synchronously and incrementally (only the endpoints a change
 * touches are re-derived), so a resolver answers the new state as soon as the API call returns.
 * A failure while applying a change falls back to a full resync on the next tick; it never
 * reaches the API request that committed the change.
 */
import type { Control } from '../control/control.js';
import type { Logger } from '../shared/logger.js';
import type { ChangeEvent } from '../store/store.js';
import { VPCE_ZONE, deriveEndpointRecords } from './derive-records.js';
import { awsPublicNamesTable } from './aws-public-names.js';
import { RecordTable } from './record-table.js';

export class RecordFeeder {
  /** privlink owns `vpce.amazonaws.com`: a deleted endpoint's name is NXDOMAIN, never forwarded. */
  readonly publicTable = new RecordTable([VPCE_ZONE]);
  /** AWS services' public names (198.18.0.0/15), under every private zone and endpoint name. */
  readonly awsPublicTable = awsPublicNamesTable();
  /** Every private record of every VPC (owner = endpoint). */
  readonly allPrivate = new RecordTable();
  private readonly privateTables = new Map<string, RecordTable>();
  /** Endpoint → VPC whose private table holds its records. */
  private readonly privateOwnerVpc = new Map<string, string>();
  /** VPC → enableDnsSupport (absent: no such VPC). */
  private readonly dnsSupport = new Map<string, boolean>();
  private unsubscribe: (() => void) | undefined;
  private resyncQueued = false;

  constructor(
    private readonly control: Control,
    private readonly logger: Logger,
  ) {}

  /** Builds every table from the store and follows its changes. */
  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.control.store.subscribe((changes) => this.onChanges(changes));
    this.resync();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** The private table of a VPC (created empty on first use). */
  privateTable(vpcId: string): RecordTable {
    let t = this.privateTables.get(vpcId);
    if (!t) this.privateTables.set(vpcId, (t = new RecordTable()));
    return t;
  }

  /** Whether the VPC's resolver answers at all (false also for an unknown VPC). */
  dnsSupported(vpcId: string): boolean {
    return this.dnsSupport.get(vpcId) ?? false;
  }

  /** Re-derives everything from the store (start-up, reset, after a failed incremental step). */
  resync(): void {
    const store = this.control.store;
    this.dnsSupport.clear();
    for (const v of store.listAll('vpc')) this.dnsSupport.set(v.id, v.enableDnsSupport);
    const live = new Set<string>();
    for (const ep of store.listAll('vpcEndpoint')) {
      live.add(ep.id);
      this.refresh(ep.id);
    }
    for (const id of [...this.publicTable.owners()]) if (!live.has(id)) this.refresh(id);
    for (const id of [...this.privateOwnerVpc.keys()]) if (!live.has(id)) this.refresh(id);
  }

  private onChanges(changes: readonly ChangeEvent[]): void {
    try {
      const dirty = new Set<string>();
      const store = this.control.store;
      for (const c of changes) {
        // Subnets are not watched: zonal names take the AZ from the subnet, and a subnet that
        // holds an endpoint ENI cannot be deleted or moved.
        if (c.kind === 'vpcEndpoint') {
          dirty.add(c.id);
        } else if (c.kind === 'networkInterface') {
          for (const v of [c.before, c.after]) {
            const owner = v && 'ownerResourceId' in v ? v.ownerResourceId : undefined;
            if (owner?.startsWith('vpce-')) dirty.add(owner);
          }
        } else if (c.kind === 'vpc') {
          const after = c.after && 'enableDnsSupport' in c.after ? c.after : undefined;
          if (after) this.dnsSupport.set(c.id, after.enableDnsSupport);
          else this.dnsSupport.delete(c.id);
          for (const ep of store.listAll('vpcEndpoint')) if (ep.vpcId === c.id) dirty.add(ep.id);
          if (!after) this.privateTables.delete(c.id);
        } else if (c.kind === 'endpointService') {
          for (const ep of store.listAll('vpcEndpoint')) if (ep.serviceId === c.id) dirty.add(ep.id);
        }
      }
      for (const id of dirty) this.refresh(id);
    } catch (e) {
      this.logger.warn('applying store changes to DNS failed; resyncing', { error: String(e) });
      this.queueResync();
    }
  }

  private queueResync(): void {
    if (this.resyncQueued) return;
    this.resyncQueued = true;
    setImmediate(() => {
      this.resyncQueued = false;
      try {
        this.resync();
      } catch (e) {
        this.logger.error('DNS resync failed', { error: String(e) });
      }
    });
  }

  /** Re-derives one endpoint's records (removes them when the endpoint is gone). */
  private refresh(endpointId: string): void {
    const ep = this.control.store.find('vpcEndpoint', endpointId);
    const recs = ep ? deriveEndpointRecords(this.control, ep) : undefined;
    this.publicTable.upsertRecords(endpointId, recs?.publicRecords ?? []);
    this.allPrivate.upsertRecords(endpointId, recs?.privateRecords ?? []);
    const prevVpc = this.privateOwnerVpc.get(endpointId);
    if (prevVpc && prevVpc !== recs?.vpcId) this.privateTables.get(prevVpc)?.removeOwner(endpointId);
    if (recs && recs.privateRecords.length) {
      this.privateTable(recs.vpcId).upsertRecords(endpointId, recs.privateRecords);
      this.privateOwnerVpc.set(endpointId, recs.vpcId);
    } else {
      if (prevVpc) this.privateTables.get(prevVpc)?.removeOwner(endpointId);
      this.privateOwnerVpc.delete(endpointId);
    }
  }
}

/**
 * Read-only catalogue actions: DescribePrefixLists (AWS-managed prefix lists of the gateway
 * services), DescribeAvailabilityZones and DescribeRegions.
 *
 * Fidelity ledger (AWS EC2 API reference, 2025):
 * - Covered: DescribePrefixLists with PrefixListId.N (unknown → InvalidPrefixListId.NotFound),
 *   filters prefix-list-id, prefix-list-name, MaxResults/NextToken; DescribeAvailabilityZones
 *   with ZoneName.N / ZoneId.N (unknown → InvalidParameterValue), filters zone-name, zone-id,
 *   region-name, state, zone-type, group-name, opt-in-status, network-border-group;
 *   DescribeRegions with RegionName.N, filters region-name, endpoint, opt-in-status.
 * - Gaps: customer-managed prefix lists, Local/Wavelength Zones, AZ messages.
 * - By design: every account sees the same AZ name → ID mapping (see control/zones.ts).
 */
import { apiError } from '../../../../control/errors.js';
import { awsPrefixListsForRegion, type AwsPrefixList } from '../../../../control/privatelink/aws-services.js';
import { applyFilters, type FilterTable } from '../../../../control/filters.js';
import { KNOWN_REGIONS, zonesForRegion, type Zone } from '../../../../control/zones.js';
import { common, filterShape, s } from '../../../query/shapes.js';
import { defineAction, type ActionDef } from '../../types.js';
import type { Ec2CoreAction } from '../names.js';
import { filterAndPage, paging } from './common.js';

const PREFIX_LIST_FILTERS: FilterTable<PrefixListRow> = {
  'prefix-list-id': (p) => p.prefixListId,
  'prefix-list-name': (p) => p.prefixListName,
};

const ZONE_FILTERS: FilterTable<ZoneRow> = {
  'zone-name': (z) => z.zoneName,
  'zone-id': (z) => z.zoneId,
  'region-name': (z) => z.regionName,
  state: () => 'available',
  'zone-type': () => 'availability-zone',
  'group-name': (z) => z.regionName,
  'group-long-name': (z) => z.regionName,
  'network-border-group': (z) => z.regionName,
  'opt-in-status': () => 'opt-in-not-required',
};

/** Catalogue rows carry no tags; the marker satisfies applyFilters' taggable constraint. */
interface Untagged {
  readonly tags?: undefined;
}
interface RegionRow extends Untagged {
  regionName: string;
}
type ZoneRow = Zone & Untagged;
type PrefixListRow = AwsPrefixList & Untagged;

const REGION_FILTERS: FilterTable<RegionRow> = {
  'region-name': (r) => r.regionName,
  endpoint: (r) => `ec2.${r.regionName}.amazonaws.com`,
  'opt-in-status': () => 'opt-in-not-required',
};

export const CATALOGUE_ACTIONS = {
  DescribePrefixLists: defineAction(
    s.struct({ ...common, ...paging, Filter: s.list(filterShape), PrefixListId: s.list(s.str()) }),
    (input, ctx) => {
      let lists: PrefixListRow[] = awsPrefixListsForRegion(ctx.region);
      if (input.PrefixListId.length > 0) {
        const missing = input.PrefixListId.find((id) => !lists.some((p) => p.prefixListId === id));
        if (missing !== undefined) {
          throw apiError('InvalidPrefixListId.NotFound', `The prefix list ID '${missing}' does not exist`);
        }
        lists = lists.filter((p) => input.PrefixListId.includes(p.prefixListId));
      }
      const page = filterAndPage(lists, input.Filter, PREFIX_LIST_FILTERS, (p) => p.prefixListId, input, {
        min: 5,
        max: 100,
      });
      return {
        prefixListSet: page.items.map((p) => ({
          prefixListId: p.prefixListId,
          prefixListName: p.prefixListName,
          cidrSet: p.cidrs,
        })),
        nextToken: page.nextToken,
      };
    },
  ),

  DescribeAvailabilityZones: defineAction(
    s.struct({
      ...common,
      ZoneName: s.list(s.str()),
      ZoneId: s.list(s.str()),
      AllAvailabilityZones: s.bool(),
      Filter: s.list(filterShape),
    }),
    (input, ctx) => {
      let zones: ZoneRow[] = zonesForRegion(ctx.region);
      for (const name of input.ZoneName) {
        if (!zones.some((z) => z.zoneName === name)) {
          throw apiError('InvalidParameterValue', `The zone '${name}' does not exist.`);
        }
      }
      for (const id of input.ZoneId) {
        if (!zones.some((z) => z.zoneId === id)) {
          throw apiError('InvalidParameterValue', `The zone ID '${id}' does not exist.`);
        }
      }
      if (input.ZoneName.length || input.ZoneId.length) {
        zones = zones.filter((z) => input.ZoneName.includes(z.zoneName) || input.ZoneId.includes(z.zoneId));
      }
      return {
        availabilityZoneInfo: applyFilters(zones, input.Filter, ZONE_FILTERS).map((z) => ({
          zoneName: z.zoneName,
          zoneId: z.zoneId,
          regionName: z.regionName,
          zoneState: 'available',
          zoneType: 'availability-zone',
          optInStatus: 'opt-in-not-required',
          groupName: z.regionName,
          groupLongName: z.regionName,
          networkBorderGroup: z.regionName,
          messageSet: [],
        })),
      };
    },
  ),

  DescribeRegions: defineAction(
    s.struct({ ...common, RegionName: s.list(s.str()), AllRegions: s.bool(), Filter: s.list(filterShape) }),
    (input, ctx) => {
      const names = new Set<string>(KNOWN_REGIONS);
      names.add(ctx.region);
      let rows: RegionRow[] = [...names].sort().map((regionName) => ({ regionName }));
      if (input.RegionName.length) {
        const missing = input.RegionName.find((r) => !names.has(r));
        if (missing !== undefined) throw apiError('InvalidParameterValue', `Invalid region: ${missing}`);
        rows = rows.filter((r) => input.RegionName.includes(r.regionName));
      }
      return {
        regionInfo: applyFilters(rows, input.Filter, REGION_FILTERS).map((r) => ({
          regionName: r.regionName,
          regionEndpoint: `ec2.${r.regionName}.amazonaws.com`,
          optInStatus: 'opt-in-not-required',
        })),
      };
    },
  ),
} satisfies Partial<Record<Ec2CoreAction, ActionDef>>;

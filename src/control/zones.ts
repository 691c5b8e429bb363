/**
 * Availability zones per region. Names are REGION + letter; zone IDs follow AWS's pattern
 * (`use1-az1`, `euw2-az3`). By design every account sees the same name → ID mapping (AWS shuffles
 * names per account; IDs are the stable key, and privlink keys AZ checks by ID as AWS does).
 */
export interface Zone {
  zoneName: string;
  zoneId: string;
  regionName: string;
}

const DIRECTIONS: Record<string, string> = {
  east: 'e',
  west: 'w',
  north: 'n',
  south: 's',
  central: 'c',
  northeast: 'ne',
  northwest: 'nw',
  southeast: 'se',
  southwest: 'sw',
};

const ZONE_COUNT: Record<string, number> = { 'us-east-1': 6, 'us-west-2': 4 };

export function regionShortCode(region: string): string {
  const parts = region.split('-');
  const num = parts.at(-1) ?? '1';
  const geo = parts[0] ?? 'xx';
  const dirs = parts.slice(1, -1).map((d) => DIRECTIONS[d] ?? d.charAt(0));
  return `${geo}${dirs.join('')}${num}`;
}

export function zonesForRegion(region: string): Zone[] {
  const n = ZONE_COUNT[region] ?? 3;
  const code = regionShortCode(region);
  return Array.from({ length: n }, (_, i) => ({
    zoneName: `${region}${String.fromCharCode(97 + i)}`,
    zoneId: `${code}-az${i + 1}`,
    regionName: region,
  }));
}

export function findZone(region: string, nameOrId: string): Zone | undefined {
  return zonesForRegion(region).find((z) => z.zoneName === nameOrId || z.zoneId === nameOrId);
}

/** Regions privlink answers for (any syntactically valid region works; these are listed). */
export const KNOWN_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'eu-west-1',
  'eu-west-2',
  'eu-central-1',
  'ap-southeast-1',
  'ap-northeast-1',
] as const;

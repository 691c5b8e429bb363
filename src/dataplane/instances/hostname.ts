/**
 * The hostname EC2 gives an instance (IP-based naming): `ip-10-0-1-10.ec2.internal` in
 * us-east-1, `ip-10-0-1-10.eu-west-1.compute.internal` in every other region.
 */
export function ec2Hostname(privateIp: string, region: string): string {
  const host = `ip-${privateIp.replace(/\./g, '-')}`;
  return region === 'us-east-1' ? `${host}.ec2.internal` : `${host}.${region}.compute.internal`;
}

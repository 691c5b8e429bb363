/** IPv4 CIDR arithmetic used by VPC/subnet validation and address allocation. */
import ipaddr from 'ipaddr.js';
import { Errors } from './errors.js';

export interface Cidr {
  /** Network address as a 32-bit unsigned integer. */
  base: number;
  prefix: number;
  /** Number of addresses. */
  size: number;
}

export function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  return (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function isIpv4(s: string): boolean {
  return /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s) && ipaddr.IPv4.isValidFourPartDecimal(s);
}

/** Parses a.b.c.d/n; throws InvalidParameterValue naming `param` when malformed. */
export function parseCidr(s: string, param = 'CidrBlock'): Cidr {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(s);
  if (!m?.[1] || !m[2] || !isIpv4(m[1]) || Number(m[2]) > 32) {
    throw Errors.invalidValue(param, s, 'It must be a valid IPv4 CIDR block.');
  }
  const prefix = Number(m[2]);
  const size = 2 ** (32 - prefix);
  const ip = ipToInt(m[1]);
  const base = prefix === 0 ? 0 : (ip & (~(size - 1) >>> 0)) >>> 0;
  return { base, prefix, size };
}

export function cidrString(c: Cidr): string {
  return `${intToIp(c.base)}/${c.prefix}`;
}

export function cidrContainsIp(c: Cidr, ip: string): boolean {
  const n = ipToInt(ip);
  return n >= c.base && n < c.base + c.size;
}

export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return inner.base >= outer.base && inner.base + inner.size <= outer.base + outer.size;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

/** The nth address of a block (0 = network address). */
export function nthAddress(c: Cidr, n: number): string {
  return intToIp((c.base + n) >>> 0);
}

/**
 * AWS reserves the first four addresses and the last one of every subnet: network, VPC router
 * (+1), DNS (+2), future use (+3), broadcast (last).
 */
export function isReservedInSubnet(c: Cidr, ip: string): boolean {
  const off = ipToInt(ip) - c.base;
  return off < 4 || off === c.size - 1;
}

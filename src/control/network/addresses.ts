/**
 * Private IP allocation inside a subnet, and the requester-managed network interfaces that
 * endpoints, load balancer nodes and instances own. Every address in use in a subnet belongs to
 * exactly one network interface, so "in use" is answered from the store alone.
 */
import type { Control } from '../control.js';
import { apiError } from '../errors.js';
import type { InterfaceType, NetworkInterface, Subnet } from '../model/network.js';
import type { DeepReadonly } from '../model/common.js';
import { cidrContainsIp, intToIp, isIpv4, isReservedInSubnet, parseCidr } from '../cidr.js';
import { checkManagedInterfaceRoom } from '../quotas.js';

export function addressesInUse(control: Control, subnet: DeepReadonly<Subnet>): Set<string> {
  const used = new Set<string>();
  for (const eni of control.store.listAll('networkInterface')) {
    if (eni.subnetId === subnet.id) used.add(eni.privateIpAddress);
  }
  return used;
}

/**
 * Picks an address: the requested one (validated: inside the subnet, not reserved, free), else a
 * stable pseudo-random free one so addresses look like AWS's and do not depend on creation order.
 */
export function allocateAddress(
  control: Control,
  subnet: DeepReadonly<Subnet>,
  requested?: string,
  param = 'PrivateIpAddress',
): string {
  const cidr = parseCidr(subnet.cidrBlock);
  const used = addressesInUse(control, subnet);
  if (requested !== undefined) {
    if (!isIpv4(requested))
      throw apiError('InvalidParameterValue', `Value (${requested}) for parameter ${param} is invalid.`);
    if (!cidrContainsIp(cidr, requested)) {
      throw apiError(
        'InvalidParameterValue',
        `Address ${requested} does not fall within the subnet's address range (${subnet.cidrBlock})`,
      );
    }
    if (isReservedInSubnet(cidr, requested)) {
      throw apiError(
        'InvalidParameterValue',
        `Address ${requested} is reserved by AWS in subnet ${subnet.id}`,
      );
    }
    if (used.has(requested)) {
      throw apiError('InvalidIPAddress.InUse', `Address ${requested} is in use.`);
    }
    return requested;
  }
  const usable = cidr.size - 5;
  if (usable <= used.size) {
    throw apiError(
      'InsufficientFreeAddressesInSubnet',
      `Insufficient free IP addresses in subnet ${subnet.id}`,
    );
  }
  // Start from a random offset and walk: O(1) expected while the subnet is mostly free.
  const start = parseInt(control.ids.hex(8), 16) % usable;
  for (let i = 0; i < usable; i++) {
    const ip = intToIp(cidr.base + 4 + ((start + i) % usable));
    if (!used.has(ip)) return ip;
  }
  throw apiError(
    'InsufficientFreeAddressesInSubnet',
    `Insufficient free IP addresses in subnet ${subnet.id}`,
  );
}

function macAddress(control: Control): string {
  const h = control.ids.hex(10);
  return `0e:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}:${h.slice(6, 8)}:${h.slice(8, 10)}`;
}

export interface NewInterface {
  subnet: DeepReadonly<Subnet>;
  interfaceType: InterfaceType;
  description: string;
  requesterManaged: boolean;
  requesterId?: string;
  groupIds: readonly string[];
  ownerResourceId?: string;
  privateIpAddress?: string;
  /** Wire name of the parameter the address came from, for error messages. */
  addressParam?: string;
  /** Account that owns the interface (defaults to the subnet's). */
  accountId?: string;
}

/** Creates and stores a network interface (call inside a store transaction). */
export function createNetworkInterface(control: Control, n: NewInterface): NetworkInterface {
  if (n.requesterManaged) checkManagedInterfaceRoom(control, n.interfaceType);
  const ip = allocateAddress(control, n.subnet, n.privateIpAddress, n.addressParam);
  const eni: NetworkInterface = {
    id: control.ids.resourceId('eni'),
    accountId: n.accountId ?? n.subnet.accountId,
    region: n.subnet.region,
    createdAt: control.clock.now(),
    tags: [],
    vpcId: n.subnet.vpcId,
    subnetId: n.subnet.id,
    availabilityZone: n.subnet.availabilityZone,
    privateIpAddress: ip,
    macAddress: macAddress(control),
    interfaceType: n.interfaceType,
    description: n.description,
    requesterManaged: n.requesterManaged,
    requesterId: n.requesterId,
    groupIds: [...n.groupIds],
    status: 'in-use',
    ownerResourceId: n.ownerResourceId,
  };
  control.store.put('networkInterface', eni);
  return eni;
}

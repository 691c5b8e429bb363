// SPDX-License-Identifier: Apache-2.0
/*
 * Structs and maps of the endpoint fast path (fastpath.c), the one header TypeScript mirrors
 * (fastpath-maps.ts; bpf-structs.test.ts compares both through the object's BTF).
 *
 * Identity: ifindexes repeat across namespaces and VPC addresses overlap, so every key names
 * its namespace by a MAC privlink owns — the ENI's consumer leg `c` (the ENI's MAC) or the NLB
 * node's provider leg `p`. A packet's destination MAC on those legs is that MAC, so the
 * programs need no other context. ifindexes appear only in values, next to the namespace they
 * belong to.
 *
 * Addresses and ports are kept in network order as they sit in the packet.
 */
#ifndef PRIVLINK_FASTPATH_H
#define PRIVLINK_FASTPATH_H

#include <linux/types.h>

#define FP_SLOTS 64
#define FP_SG_RANGES 8

/* svc flags */
#define SVC_SG 1 /* security groups enforced: new flows need a match in fp_sg */

/* conntrack flags */
#define CT_FIN_FWD 1 /* FIN seen from the client */
#define CT_FIN_REV 2 /* FIN seen from the target */
#define CT_RST 4

/* fp_svc: (ENI MAC, listener port) -> where new flows go. Absent = not carried by BPF. */
struct svc_key {
	__u8 eni_mac[6];
	__u16 port; /* listener port, network order */
};

struct svc_val {
	__u32 eni_ip;
	__u32 nlb_ip;          /* the node's private IP: the flow's new source */
	__u32 gen;             /* conntrack entries of another generation are dead (cuts) */
	__u32 link_ifindex;    /* ENI namespace's end of the link to the node */
	__u32 back_ifindex;    /* node namespace's end of the same link */
	__u32 flags;
	__u8 node_mac[6];      /* node's provider leg: slot table key, node_fwd key */
	__u8 link_mac[6];      /* ENI end of the link (source MAC towards the node) */
};

/* fp_slots: (node MAC, listener port) -> 64 targets, filled like nlb-rules.ts fillSlots. */
struct slot_key {
	__u8 node_mac[6];
	__u16 port;
};

struct slot_val {
	__u32 ip[FP_SLOTS];
	__u16 port[FP_SLOTS];
	__u32 idle_s; /* listener idle timeout (GC in TypeScript) */
};

/* fp_nodes: node provider-leg MAC -> how node_fwd hands translated packets to the VPC. */
struct node_key {
	__u8 mac[6];
	__u16 pad;
};

struct node_val {
	__u32 p_ifindex;
	__u32 nlb_ip;
};

/* fp_enis: ENI MAC -> its consumer leg, for eni_out; counters per ENI in fp_stats. */
struct eni_val {
	__u32 c_ifindex;
	__u32 eni_ip;
};

struct stats_val {
	__u64 conns;
	__u64 bytes_in;  /* client -> ENI, IP bytes as nft counts them */
	__u64 bytes_out; /* ENI -> client */
};

/* fp_sg: LPM over (ENI MAC, source address) -> TCP port ranges allowed. */
struct sg_key {
	__u32 prefixlen; /* 48 + CIDR length */
	__u8 eni_mac[6];
	__u8 addr[4];
	__u8 pad[2];
};

struct sg_range {
	__u16 from; /* host order */
	__u16 to;
};

struct sg_val {
	__u32 n;
	struct sg_range r[FP_SG_RANGES];
};

/* Conntrack, both directions with one key shape: the namespace's MAC and the packet's tuple. */
struct ct_key {
	__u8 mac[6];   /* forward: ENI MAC; reverse: node MAC */
	__u16 pad;
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
};

struct ct_fwd {
	__u64 last_ns; /* bpf_ktime_get_ns of the last packet (CLOCK_MONOTONIC) */
	__u32 target_ip;
	__u16 target_port;
	__u16 nat_port;
	__u32 gen;
	__u32 idle_s;
	__u32 flags;
	__u32 pad;
};

struct ct_rev {
	__u64 last_ns;
	__u32 client_ip;
	__u32 eni_ip;
	__u16 client_port;
	__u16 eni_port;
	__u32 gen;
	__u32 back_ifindex; /* node end of the link to the ENI */
	__u32 flags;
	__u8 client_mac[6];
	__u8 eni_mac[6];
};

/* fp_gcstat[0]: what the last ct_gc run found (kept and deleted entries). */
struct gc_stat {
	__u32 flows;
	__u32 replies;
	__u32 deleted;
	__u32 pad;
};

/*
 * vpc_fwd (VPC bridge ports): routed frames skip the VPC namespace's IP stack and bridge.
 * fp_vrtr: router MAC (br0's, one per VPC namespace) -> br0's ifindex for the FIB lookup.
 * fp_vfdb: (router MAC, next-hop MAC) -> the bridge port (veth) that MAC was learned on,
 * mirrored from the bridge's FDB by TypeScript. The router MAC names the namespace, as above.
 */
struct vrtr_val {
	__u32 br_ifindex;
};

struct vfdb_key {
	__u8 router_mac[6];
	__u8 mac[6];
};

struct vfdb_val {
	__u32 port_ifindex;
};

/* fp_vstat (per-CPU array) slots */
#define VFWD_HIT 0  /* routed frame redirected to the next hop's port */
#define VFWD_MISS 1 /* routed frame left to the VPC namespace's stack */

#endif

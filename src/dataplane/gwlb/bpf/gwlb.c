// SPDX-License-Identifier: Apache-2.0
/*
 * Gateway Load Balancer node data path (tc clsact, IPv4):
 *
 *   gw_encap  — ingress of each endpoint link in the GWLB node namespace. Wraps the consumer's
 *               IP packet in IPv4/UDP 6081/GENEVE with AWS's options (class 0x0108: type 1
 *               endpoint ID, type 2 attachment ID, type 3 flow cookie), from the node's IP to
 *               the flow's appliance, and hands it to the provider leg (redirect_neigh).
 *   gw_decap  — ingress of the provider leg. GENEVE to the node's port 6081 is checked, stripped
 *               and sent back down the link of the endpoint named in option type 1; a header that
 *               does not parse is dropped and counted. Everything else goes to the stack (health
 *               checks, ARP).
 *
 * Maps are pinned and written from TypeScript (bpftool batch); layouts are mirrored in
 * gwlb-desired.ts. Both directions of a flow hash to the same key (addresses and ports sorted), so
 * they meet the same appliance and carry the same cookie.
 *
 * Target failover: an existing flow keeps its appliance while gw_live holds (group, appliance)
 * — registered and healthy, unhealthy under no_rebalance, or draining. Once it does not, the
 * flow is rehashed onto the group's slot table (target_failover = rebalance) or its packets are
 * dropped (no_rebalance: the appliance is gone). A flow idle for longer than the idle timeout
 * (TCP: the listener's, else 120 s) starts afresh, as on AWS.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define GENEVE_PORT 6081
#define AWS_CLASS 0x0108
#define OPTS_LEN 32 /* 12 + 12 + 8 bytes of options */
#define OUTER_LEN (sizeof(struct iphdr) + 8 + 8 + OPTS_LEN) /* 68 */
#define SLOTS 64
#define UDP_IDLE 120 /* seconds: non-TCP flows (AWS GWLB) */

struct endpoint {
	__u8 endpoint_id[8];
	__u8 attachment_id[8];
	__u32 node_ip;     /* network order */
	__u32 group;       /* index of the target group's slot table */
	__u32 tuple;       /* 5, 3 or 2: stickiness */
	__u32 out_ifindex; /* provider leg */
	__u32 rebalance;   /* 1: flows of an appliance that left gw_live move; 0: they are dropped */
	__u32 tcp_idle;    /* seconds a TCP flow may stay idle (others: UDP_IDLE) */
};

struct back {
	__u32 ifindex; /* endpoint link (node side) */
	__u32 node_ip;
	__u8 dmac[6];  /* endpoint namespace's end of the link */
	__u8 smac[6];
};

struct flow_key {
	__u32 group;
	__u32 a, b;
	__u16 pa, pb;
	__u32 proto;
};

struct flow {
	__u32 target;
	__u32 cookie;
	__u64 seen; /* ktime of the flow's last packet (ns) */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32); /* ifindex of the endpoint link */
	__type(value, struct endpoint);
} gw_eps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64); /* endpoint ID bytes as on the wire */
	__type(value, struct back);
} gw_back SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64); /* group << 32 | slot */
	__type(value, __u32); /* appliance IPv4, network order */
} gw_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 262144);
	__type(key, struct flow_key);
	__type(value, struct flow);
} gw_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64); /* group << 32 | appliance IPv4 (network order) */
	__type(value, __u32); /* 1: existing flows stay on this appliance */
} gw_live SEC(".maps");

/* 0 encapsulated, 1 decapsulated, 2 mangled (dropped), 3 no appliance, 4 unknown endpoint,
 * 5 cut (existing flow of a removed appliance, no_rebalance), 6 rebalanced (flow moved) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} gw_stats SEC(".maps");

static __always_inline void count(__u32 i)
{
	__u64 *v = bpf_map_lookup_elem(&gw_stats, &i);
	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline __u32 mix(__u32 h, __u32 v)
{
	h ^= v;
	h *= 0x9e3779b1;
	return h ^ (h >> 15);
}

static __always_inline __u16 ip_csum(struct iphdr *ip)
{
	__u32 s = 0;
	__u16 *p = (__u16 *)ip;
#pragma unroll
	for (int i = 0; i < 10; i++)
		s += p[i];
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return ~s;
}

SEC("tc/encap")
int gw_encap(struct __sk_buff *skb)
{
	__u32 ifindex = skb->ingress_ifindex;
	struct endpoint *ep = bpf_map_lookup_elem(&gw_eps, &ifindex);
	if (!ep)
		return TC_ACT_SHOT;
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5)
		return TC_ACT_SHOT;

	struct flow_key k = { .group = ep->group, .a = ip->saddr, .b = ip->daddr, .proto = ip->protocol };
	__u16 *ports = (void *)(ip + 1);
	/* Ports only on first fragments of TCP/UDP, and only for 5-tuple stickiness. */
	if (ep->tuple == 5 && (ip->protocol == IPPROTO_TCP || ip->protocol == IPPROTO_UDP) &&
	    !(ip->frag_off & bpf_htons(0x1fff)) && (void *)(ports + 2) <= end) {
		k.pa = ports[0];
		k.pb = ports[1];
	}
	if (ep->tuple == 2)
		k.proto = 0;
	/* Symmetric: (a, pa) is the smaller end, so replies find the same entry. */
	if (k.a > k.b || (k.a == k.b && k.pa > k.pb)) {
		__u32 t = k.a; k.a = k.b; k.b = t;
		__u16 tp = k.pa; k.pa = k.pb; k.pb = tp;
	}
	struct flow *f = bpf_map_lookup_elem(&gw_flows, &k);
	__u64 now = bpf_ktime_get_ns();
	__u64 idle = (__u64)(ip->protocol == IPPROTO_TCP ? ep->tcp_idle : UDP_IDLE) * 1000000000ULL;
	if (f && now - f->seen > idle)
		f = 0; /* idle too long: a new flow */
	__u32 target, cookie;
	if (f) {
		__u64 lk = ((__u64)ep->group << 32) | f->target;
		if (!bpf_map_lookup_elem(&gw_live, &lk)) {
			if (!ep->rebalance) {
				count(5);
				return TC_ACT_SHOT;
			}
			/* Rehash: the flow's own slot, now served by another appliance. */
			__u64 sk = ((__u64)ep->group << 32) | (f->cookie % SLOTS);
			__u32 *t = bpf_map_lookup_elem(&gw_slots, &sk);
			if (!t || !*t) {
				count(3);
				return TC_ACT_SHOT;
			}
			f->target = *t;
			count(6);
		}
		f->seen = now;
		target = f->target;
		cookie = f->cookie;
	} else {
		/* A new flow: its slot among the group's 64 picks the appliance, and the flow
		 * keeps it (also when health changes later, unless rebalanced) until it idles out. */
		__u32 h = mix(mix(mix(mix(k.group, k.a), k.b), ((__u32)k.pa << 16) | k.pb), k.proto);
		__u64 sk = ((__u64)ep->group << 32) | (h % SLOTS);
		__u32 *t = bpf_map_lookup_elem(&gw_slots, &sk);
		if (!t || !*t) {
			count(3);
			return TC_ACT_SHOT;
		}
		struct flow nf = { .target = *t, .cookie = h, .seen = now };
		target = nf.target;
		cookie = h;
		bpf_map_update_elem(&gw_flows, &k, &nf, BPF_ANY);
	}
	__u32 node_ip = ep->node_ip, out = ep->out_ifindex;
	__u8 opts[OPTS_LEN];
	__builtin_memcpy(&opts[4], ep->endpoint_id, 8);
	__builtin_memcpy(&opts[16], ep->attachment_id, 8);

	__u16 inner_len = bpf_ntohs(ip->tot_len);
	if (bpf_skb_adjust_room(skb, OUTER_LEN, BPF_ADJ_ROOM_MAC,
				BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_ENCAP_L4_UDP))
		return TC_ACT_SHOT;

	struct {
		struct iphdr ip;
		__u16 sport, dport, len, check;
		__u8 ver_optlen, flags;
		__u16 proto;
		__u32 vni;
		__u8 opts[OPTS_LEN];
	} __attribute__((packed)) h = {};
	struct iphdr o = {};
	o.version = 4;
	o.ihl = 5;
	o.tot_len = bpf_htons(inner_len + OUTER_LEN);
	o.frag_off = bpf_htons(0x4000); /* DF */
	o.ttl = 64;
	o.protocol = IPPROTO_UDP;
	o.saddr = node_ip;
	o.daddr = target;
	o.check = ip_csum(&o);
	h.ip = o;
	/* A source port per flow spreads flows over the appliance's receive queues. */
	h.sport = bpf_htons(0xc000 | (cookie & 0x3fff));
	h.dport = bpf_htons(GENEVE_PORT);
	h.len = bpf_htons(inner_len + 8 + 8 + OPTS_LEN);
	h.ver_optlen = OPTS_LEN / 4;
	h.proto = bpf_htons(ETH_P_IP);
	__builtin_memcpy(h.opts, opts, OPTS_LEN);
	/* Option headers: class, type, length in 4-byte words. */
	h.opts[0] = 0x01; h.opts[1] = 0x08; h.opts[2] = 1; h.opts[3] = 2;
	h.opts[12] = 0x01; h.opts[13] = 0x08; h.opts[14] = 2; h.opts[15] = 2;
	h.opts[24] = 0x01; h.opts[25] = 0x08; h.opts[26] = 3; h.opts[27] = 1;
	__u32 c = bpf_htonl(cookie);
	__builtin_memcpy(&h.opts[28], &c, 4);
	if (bpf_skb_store_bytes(skb, sizeof(struct ethhdr), &h, sizeof(h), 0))
		return TC_ACT_SHOT;
	count(0);
	return bpf_redirect_neigh(out, 0, 0, 0);
}

SEC("tc/decap")
int gw_decap(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->protocol != IPPROTO_UDP ||
	    ip->ihl != 5)
		return TC_ACT_OK;
	__u16 *udp = (void *)(ip + 1);
	if ((void *)(udp + 4) > end || udp[1] != bpf_htons(GENEVE_PORT))
		return TC_ACT_OK;
	/* From here on the packet is for the GWLB: anything malformed is dropped and counted. */
	__u8 *g = (void *)(udp + 4);
	if ((void *)(g + 8) > end || (g[0] >> 6) != 0 || *(__u16 *)(g + 2) != bpf_htons(ETH_P_IP))
		goto mangled;
	__u32 optlen = (g[0] & 0x3f) * 4;
	__u64 id = 0;
	int found = 0;
	__u32 off = 0;
	/* Walk at most 8 options for class 0x0108 type 1 (8 bytes). */
	for (int i = 0; i < 8; i++) {
		if (off + 4 > optlen)
			break;
		__u8 *o = g + 8 + (off & 0xff);
		if ((void *)(o + 4) > end)
			goto mangled;
		__u32 olen = (o[3] & 0x1f) * 4;
		if (o[0] == 0x01 && o[1] == 0x08 && o[2] == 1 && olen == 8) {
			if ((void *)(o + 12) > end)
				goto mangled;
			__builtin_memcpy(&id, o + 4, 8);
			found = 1;
		}
		off += 4 + olen;
	}
	if (!found || off != optlen)
		goto mangled;
	__u8 *inner = g + 8 + (optlen & 0xff);
	if ((void *)(inner + sizeof(struct iphdr)) > end || (inner[0] >> 4) != 4)
		goto mangled;
	struct back *b = bpf_map_lookup_elem(&gw_back, &id);
	if (!b || b->node_ip != ip->daddr) {
		count(4);
		return TC_ACT_SHOT;
	}
	__u32 ifindex = b->ifindex;
	__u8 macs[12];
	__builtin_memcpy(macs, b->dmac, 6);
	__builtin_memcpy(macs + 6, b->smac, 6);
	if (bpf_skb_adjust_room(skb, -(__s32)(sizeof(struct iphdr) + 16 + optlen), BPF_ADJ_ROOM_MAC,
				0))
		goto mangled;
	if (bpf_skb_store_bytes(skb, 0, macs, 12, 0))
		return TC_ACT_SHOT;
	count(1);
	return bpf_redirect(ifindex, 0);
mangled:
	count(2);
	return TC_ACT_SHOT;
}

char _license[] SEC("license") = "GPL";

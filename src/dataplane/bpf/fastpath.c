// SPDX-License-Identifier: GPL-2.0
/*
 * Interface-endpoint fast path (tc clsact, IPv4/TCP): one NAT per flow, straight from the
 * consumer's packet to what the target sees (docs/bpf-datapath.md).
 *
 *   consumer ─br─ c │ ENI ns │ u ═══ link ═══ u │ NLB node ns │ p ─br─ target
 *                 nat_fwd ─────redirect_peer────► node_fwd ──redirect_peer──►
 *        ◄─redirect_peer─ eni_out ◄──redirect_peer──────────── nat_rev
 *
 *   nat_fwd  ingress of the ENI's consumer leg c: client→ENI-IP:port becomes NLB-IP:nport→target
 *   node_fwd ingress of the node's end of the link: hands translated packets to leg p's peer
 *   nat_rev  ingress of the node's provider leg p: target→NLB-IP:nport back to ENI-IP:port→client
 *   eni_out  ingress of the ENI's end of the link: hands reverse-translated packets to c's peer
 *   vpc_fwd  ingress of every VPC bridge port: routes frames addressed to the VPC router straight
 *            to the next hop's port (FIB lookup as br0 would do it, then redirect_peer)
 *
 * Anything not handled returns TC_ACT_OK and takes the kernel path with its nftables rules
 * (the slow path): ICMP, fragments, UDP, PROXY v2 ports, AWS-service ports, health checks,
 * ports of endpoints that are not available (no fp_svc entry, so the ENI's stack resets them).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "fastpath.h"

struct bpf_map; /* the for-each callbacks' first argument; only the kernel looks inside */

/* NAT source ports on the node's IP: the node's nft SNAT is kept below this (fastpath-maps.ts). */
#define NPORT_MIN 16384
#define NPORT_SPAN (65536 - NPORT_MIN)
#define NPORT_TRIES 32
/* A closed flow's entries stay this long for late segments (the GC uses it too). */
#define CLOSED_LINGER_NS 2000000000ll
#define MSS_MAX 1460

#define IP_OFF ETH_HLEN
#define IP_CSUM (IP_OFF + offsetof(struct iphdr, check))
#define IP_SRC (IP_OFF + offsetof(struct iphdr, saddr))
#define IP_DST (IP_OFF + offsetof(struct iphdr, daddr))

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct svc_key);
	__type(value, struct svc_val);
} fp_svc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct slot_key);
	__type(value, struct slot_val);
} fp_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct node_key);
	__type(value, struct node_val);
} fp_nodes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct node_key);
	__type(value, struct eni_val);
} fp_enis SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct node_key);
	__type(value, struct stats_val);
} fp_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sg_key);
	__type(value, struct sg_val);
} fp_sg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 262144);
	__type(key, struct ct_key);
	__type(value, struct ct_fwd);
} fp_ctf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 262144);
	__type(key, struct ct_key);
	__type(value, struct ct_rev);
} fp_ctr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct node_key);
	__type(value, struct vrtr_val);
} fp_vrtr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 262144);
	__type(key, struct vfdb_key);
	__type(value, struct vfdb_val);
} fp_vfdb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} fp_vstat SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gc_stat);
} fp_gcstat SEC(".maps");

struct pkt {
	struct ethhdr *eth;
	struct iphdr *ip;
	struct tcphdr *tcp;
};

/* Ethernet + option-less IPv4 + TCP, not a fragment; 0 when the packet is something else. */
static __always_inline int parse(struct __sk_buff *skb, struct pkt *p)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	p->eth = data;
	p->ip = data + ETH_HLEN;
	p->tcp = data + ETH_HLEN + sizeof(struct iphdr);
	if ((void *)(p->tcp + 1) > end)
		return 0;
	if (p->eth->h_proto != bpf_htons(ETH_P_IP) || p->ip->ihl != 5 || p->ip->protocol != IPPROTO_TCP)
		return 0;
	/* Fragments (MF set or an offset) are left to the stack, which reassembles them. */
	if (p->ip->frag_off & bpf_htons(0x3fff))
		return 0;
	return 1;
}

static __always_inline void mac_copy(__u8 *dst, const __u8 *src)
{
	#pragma unroll
	for (int i = 0; i < 6; i++)
		dst[i] = src[i];
}

static __always_inline int mac_eq(const __u8 *a, const __u8 *b)
{
	int d = 0;
	#pragma unroll
	for (int i = 0; i < 6; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

static __always_inline __u32 tcp_flags_ct(struct tcphdr *tcp, __u32 fin)
{
	return (tcp->rst ? CT_RST : 0) | (tcp->fin ? fin : 0);
}

/* Rewrites saddr/daddr/sport/dport at fixed offsets with checksum fix-ups (pseudo header too). */
static __always_inline int rewrite(struct __sk_buff *skb, __u32 os, __u32 ns, __u32 od, __u32 nd,
				   __u16 osp, __u16 nsp, __u16 odp, __u16 ndp)
{
	const __u32 tcsum = ETH_HLEN + sizeof(struct iphdr) + offsetof(struct tcphdr, check);
	const __u32 tsp = ETH_HLEN + sizeof(struct iphdr) + offsetof(struct tcphdr, source);
	const __u32 tdp = ETH_HLEN + sizeof(struct iphdr) + offsetof(struct tcphdr, dest);
	if (bpf_l4_csum_replace(skb, tcsum, os, ns, BPF_F_PSEUDO_HDR | 4) ||
	    bpf_l4_csum_replace(skb, tcsum, od, nd, BPF_F_PSEUDO_HDR | 4) ||
	    bpf_l4_csum_replace(skb, tcsum, osp, nsp, 2) ||
	    bpf_l4_csum_replace(skb, tcsum, odp, ndp, 2) ||
	    bpf_l3_csum_replace(skb, IP_CSUM, os, ns, 4) ||
	    bpf_l3_csum_replace(skb, IP_CSUM, od, nd, 4))
		return -1;
	if (bpf_skb_store_bytes(skb, IP_SRC, &ns, 4, 0) || bpf_skb_store_bytes(skb, IP_DST, &nd, 4, 0) ||
	    bpf_skb_store_bytes(skb, tsp, &nsp, 2, 0) || bpf_skb_store_bytes(skb, tdp, &ndp, 2, 0))
		return -1;
	return 0;
}

static __always_inline int set_macs(struct __sk_buff *skb, const __u8 *dst, const __u8 *src)
{
	if (bpf_skb_store_bytes(skb, 0, dst, 6, 0) || bpf_skb_store_bytes(skb, 6, src, 6, 0))
		return -1;
	return 0;
}

/* SYN: lowers an MSS option at the start of the options (where Linux and most stacks put it). */
static __always_inline void clamp_mss(struct __sk_buff *skb)
{
	const __u32 opt = ETH_HLEN + sizeof(struct iphdr) + sizeof(struct tcphdr);
	const __u32 tcsum = ETH_HLEN + sizeof(struct iphdr) + offsetof(struct tcphdr, check);
	__u8 o[4];
	if (bpf_skb_load_bytes(skb, opt, o, 4))
		return;
	if (o[0] != 2 || o[1] != 4)
		return;
	__u16 old = ((__u16)o[2] << 8) | o[3];
	if (old <= MSS_MAX)
		return;
	__u16 oldn = bpf_htons(old), newn = bpf_htons(MSS_MAX);
	bpf_l4_csum_replace(skb, tcsum, oldn, newn, 2);
	bpf_skb_store_bytes(skb, opt + 2, &newn, 2, 0);
}

static __always_inline int sg_allows(const struct svc_key *sk, __u32 saddr, __u16 port)
{
	struct sg_key k = { .prefixlen = 48 + 32 };
	mac_copy(k.eni_mac, sk->eni_mac);
	__builtin_memcpy(k.addr, &saddr, 4);
	struct sg_val *v = bpf_map_lookup_elem(&fp_sg, &k);
	if (!v)
		return 0;
	#pragma unroll
	for (int i = 0; i < FP_SG_RANGES; i++) {
		if (i < v->n && port >= v->r[i].from && port <= v->r[i].to)
			return 1;
	}
	return 0;
}

/*
 * A reply entry a new flow may take over: nothing else frees NAT ports between GC runs, and at
 * ten thousand connections a second the 48 k ports towards one target fill within seconds. It
 * is free when its flow entry is gone or belongs to another flow by now (the client reused its
 * port, or opened a new connection on the old one's tuple), when the flow is idle past its
 * timeout, or when it closed over CLOSED_LINGER_NS ago;
 * a closed flow's own entry goes with it, so its late segments cannot reach the new flow.
 */
static __always_inline int rev_reusable(const struct ct_rev *old, const struct ct_key *mine, __u64 now,
					__u32 tip, __u16 tport, __u16 nport)
{
	/* The client opened a new connection on the tuple of the old one: that one is over. */
	if (old->client_ip == mine->saddr && old->client_port == mine->sport && old->eni_ip == mine->daddr &&
	    old->eni_port == mine->dport && mac_eq(old->eni_mac, mine->mac))
		return 1;
	struct ct_key fk = { .saddr = old->client_ip, .daddr = old->eni_ip, .sport = old->client_port,
			     .dport = old->eni_port };
	mac_copy(fk.mac, old->eni_mac);
	struct ct_fwd *f = bpf_map_lookup_elem(&fp_ctf, &fk);
	if (!f || f->nat_port != nport || f->target_ip != tip || f->target_port != tport)
		return 1;
	__u32 fl = f->flags | old->flags;
	__u64 last = f->last_ns > old->last_ns ? f->last_ns : old->last_ns;
	__s64 idle = (__s64)(now - last);
	int closed = (fl & CT_RST) || (fl & (CT_FIN_FWD | CT_FIN_REV)) == (CT_FIN_FWD | CT_FIN_REV);
	if ((closed && idle > CLOSED_LINGER_NS) || (f->idle_s && idle > (__s64)f->idle_s * 1000000000ll)) {
		bpf_map_delete_elem(&fp_ctf, &fk);
		return 1;
	}
	return 0;
}

static __always_inline void count(const __u8 *eni_mac, __u64 conns, __u64 in, __u64 out)
{
	struct node_key k = { .pad = 0 };
	mac_copy(k.mac, eni_mac);
	struct stats_val *s = bpf_map_lookup_elem(&fp_stats, &k);
	if (!s)
		return;
	if (conns)
		__sync_fetch_and_add(&s->conns, conns);
	if (in)
		__sync_fetch_and_add(&s->bytes_in, in);
	if (out)
		__sync_fetch_and_add(&s->bytes_out, out);
}

SEC("tc/nat_fwd")
int nat_fwd(struct __sk_buff *skb)
{
	struct pkt p;
	if (!parse(skb, &p))
		return TC_ACT_OK;
	struct svc_key sk = { .port = p.tcp->dest };
	mac_copy(sk.eni_mac, p.eth->h_dest);
	struct svc_val *svc = bpf_map_lookup_elem(&fp_svc, &sk);
	if (!svc || svc->eni_ip != p.ip->daddr)
		return TC_ACT_OK;

	struct ct_key fk = { .saddr = p.ip->saddr, .daddr = p.ip->daddr, .sport = p.tcp->source,
			     .dport = p.tcp->dest };
	mac_copy(fk.mac, sk.eni_mac);
	__u64 now = bpf_ktime_get_ns();
	__u32 saddr = p.ip->saddr, daddr = p.ip->daddr;
	__u16 sport = p.tcp->source, dport = p.tcp->dest;
	int syn = p.tcp->syn && !p.tcp->ack;
	__u32 fl = tcp_flags_ct(p.tcp, CT_FIN_FWD);
	__u64 len = skb->len - ETH_HLEN;

	struct ct_fwd *ct = bpf_map_lookup_elem(&fp_ctf, &fk);
	/* A stale generation is a cut flow; a fresh SYN on a closed tuple is a new flow; a flow idle
	 * past the listener's timeout is gone here at once, whenever the GC gets to its entries
	 * (the next segment meets the ENI's stack: reset, as the NLB does). Signed: another CPU may
	 * have stamped the entry after this program read the clock. */
	if (ct && (ct->gen != svc->gen || (syn && (ct->flags & (CT_RST | CT_FIN_FWD))) ||
		   (ct->idle_s && (__s64)(now - ct->last_ns) > (__s64)ct->idle_s * 1000000000ll)))
		ct = 0;
	struct ct_fwd nf = {};
	int done = 0;
	if (!ct) {
		if (!syn)
			return TC_ACT_OK; /* mid-flow without state: the stack answers (reset) */
		if ((svc->flags & SVC_SG) && !sg_allows(&sk, saddr, bpf_ntohs(dport)))
			return TC_ACT_OK; /* nft's security-group chain decides (drops) */
		struct slot_key lk = { .port = dport };
		mac_copy(lk.node_mac, svc->node_mac);
		struct slot_val *sl = bpf_map_lookup_elem(&fp_slots, &lk);
		if (!sl)
			return TC_ACT_OK;
		__u32 i = bpf_get_hash_recalc(skb) % FP_SLOTS;
		__u32 tip = sl->ip[i];
		__u16 tport = sl->port[i];
		if (!tip)
			return TC_ACT_OK;
		struct ct_rev rv = { .last_ns = now, .client_ip = saddr, .eni_ip = daddr,
				     .client_port = sport, .eni_port = dport, .gen = svc->gen,
				     .back_ifindex = svc->back_ifindex };
		mac_copy(rv.client_mac, p.eth->h_source);
		mac_copy(rv.eni_mac, sk.eni_mac);
		struct ct_key rk = { .saddr = tip, .daddr = svc->nlb_ip, .sport = tport };
		mac_copy(rk.mac, svc->node_mac);
		/* The client's own port first (as nft SNAT keeps it), then bounded random probing. */
		__u32 h = bpf_get_prandom_u32();
		__u16 np = 0;
		#pragma clang loop unroll(disable)
		for (int t = 0; t < NPORT_TRIES; t++) {
			__u16 cand = t == 0 && bpf_ntohs(sport) >= NPORT_MIN
					     ? bpf_ntohs(sport)
					     : NPORT_MIN + ((h + t * 2654435761u) % NPORT_SPAN);
			rk.dport = bpf_htons(cand);
			if (bpf_map_update_elem(&fp_ctr, &rk, &rv, BPF_NOEXIST) == 0) {
				np = cand;
				break;
			}
			struct ct_rev *old = bpf_map_lookup_elem(&fp_ctr, &rk);
			if (old && rev_reusable(old, &fk, now, tip, tport, rk.dport) &&
			    bpf_map_update_elem(&fp_ctr, &rk, &rv, BPF_EXIST) == 0) {
				np = cand;
				break;
			}
		}
		if (!np)
			return TC_ACT_OK;
		nf.last_ns = now;
		nf.target_ip = tip;
		nf.target_port = tport;
		nf.nat_port = bpf_htons(np);
		nf.gen = svc->gen;
		nf.idle_s = sl->idle_s;
		nf.flags = fl;
		if (bpf_map_update_elem(&fp_ctf, &fk, &nf, BPF_ANY)) {
			bpf_map_delete_elem(&fp_ctr, &rk);
			return TC_ACT_OK;
		}
		ct = &nf;
		count(sk.eni_mac, 1, len, 0);
	} else {
		ct->last_ns = now;
		if (fl && (ct->flags & fl) != fl)
			ct->flags |= fl;
		count(sk.eni_mac, 0, len, 0);
		/* A reset ends the flow here: both entries go once this packet is translated (late
		 * segments meet the stack: reset). A FIN each way does not: ACKs for data sent before
		 * the other side's FIN still follow it, so a closed flow lingers until the GC. */
		done = p.tcp->rst;
	}
	__u32 tip = ct->target_ip, nlb = svc->nlb_ip;
	__u16 tport = ct->target_port, nport = ct->nat_port;
	if (done) {
		struct ct_key rk = { .saddr = tip, .daddr = nlb, .sport = tport, .dport = nport };
		mac_copy(rk.mac, svc->node_mac);
		bpf_map_delete_elem(&fp_ctr, &rk);
		bpf_map_delete_elem(&fp_ctf, &fk);
	}
	__u8 node_mac[6], link_mac[6];
	mac_copy(node_mac, svc->node_mac);
	mac_copy(link_mac, svc->link_mac);
	__u32 link = svc->link_ifindex;
	if (syn)
		clamp_mss(skb);
	if (rewrite(skb, saddr, nlb, daddr, tip, sport, nport, dport, tport))
		return TC_ACT_SHOT;
	if (set_macs(skb, node_mac, link_mac))
		return TC_ACT_SHOT;
	return bpf_redirect_peer(link, 0);
}

SEC("tc/node_fwd")
int node_fwd(struct __sk_buff *skb)
{
	struct pkt p;
	if (!parse(skb, &p))
		return TC_ACT_OK;
	struct node_key k = { .pad = 0 };
	mac_copy(k.mac, p.eth->h_dest);
	struct node_val *n = bpf_map_lookup_elem(&fp_nodes, &k);
	/* Only what nat_fwd translated carries the node's IP as source on this leg. */
	if (!n || p.ip->saddr != n->nlb_ip)
		return TC_ACT_OK;
	__u32 out = n->p_ifindex;
	/* The next hop (the VPC router, or the target itself in the node's subnet) from the node's
	 * main table and neighbour cache, then straight into leg p's peer, the provider VPC's bridge
	 * port: no second pass through p's transmit path and the VPC's receive backlog. The node's
	 * namespace has no policy rules, so the direct lookup is the one the stack would do. */
	struct bpf_fib_lookup fib = {
		.family = 2 /* AF_INET */,
		.l4_protocol = IPPROTO_TCP,
		.ipv4_src = p.ip->saddr,
		.ipv4_dst = p.ip->daddr,
		.ifindex = out,
	};
	if (bpf_fib_lookup(skb, &fib, sizeof(fib), BPF_FIB_LOOKUP_DIRECT) != BPF_FIB_LKUP_RET_SUCCESS ||
	    fib.ifindex != out)
		return bpf_redirect_neigh(out, 0, 0, 0); /* unresolved neighbour: the kernel resolves it */
	if (set_macs(skb, fib.dmac, fib.smac))
		return TC_ACT_SHOT;
	return bpf_redirect_peer(out, 0);
}

SEC("tc/nat_rev")
int nat_rev(struct __sk_buff *skb)
{
	struct pkt p;
	if (!parse(skb, &p))
		return TC_ACT_OK;
	struct ct_key rk = { .saddr = p.ip->saddr, .daddr = p.ip->daddr, .sport = p.tcp->source,
			     .dport = p.tcp->dest };
	mac_copy(rk.mac, p.eth->h_dest);
	struct ct_rev *rv = bpf_map_lookup_elem(&fp_ctr, &rk);
	if (!rv)
		return TC_ACT_OK; /* health checks, nft-path flows */
	struct svc_key sk = { .port = rv->eni_port };
	mac_copy(sk.eni_mac, rv->eni_mac);
	struct svc_val *svc = bpf_map_lookup_elem(&fp_svc, &sk);
	if (!svc || svc->gen != rv->gen)
		return TC_ACT_OK; /* cut: the node's stack resets the target */
	rv->last_ns = bpf_ktime_get_ns();
	__u32 fl = tcp_flags_ct(p.tcp, CT_FIN_REV);
	if (fl && (rv->flags & fl) != fl)
		rv->flags |= fl;
	__u32 cip = rv->client_ip, eip = rv->eni_ip;
	__u16 cport = rv->client_port, eport = rv->eni_port;
	__u32 back = rv->back_ifindex;
	__u8 cmac[6], emac[6];
	mac_copy(cmac, rv->client_mac);
	mac_copy(emac, rv->eni_mac);
	/* A reset ends the flow (as in nat_fwd); FINs leave it to the GC's linger. */
	int done = p.tcp->rst;
	struct ct_key fk = { .saddr = cip, .daddr = eip, .sport = cport, .dport = eport };
	mac_copy(fk.mac, emac);
	if (done) {
		bpf_map_delete_elem(&fp_ctr, &rk);
		bpf_map_delete_elem(&fp_ctf, &fk);
	}
	count(emac, 0, 0, skb->len - ETH_HLEN);
	if (rewrite(skb, p.ip->saddr, eip, p.ip->daddr, cip, p.tcp->source, eport, p.tcp->dest, cport))
		return TC_ACT_SHOT;
	if (set_macs(skb, cmac, emac))
		return TC_ACT_SHOT;
	return bpf_redirect_peer(back, 0);
}

SEC("tc/eni_out")
int eni_out(struct __sk_buff *skb)
{
	struct pkt p;
	if (!parse(skb, &p))
		return TC_ACT_OK;
	struct node_key k = { .pad = 0 };
	mac_copy(k.mac, p.eth->h_source);
	struct eni_val *e = bpf_map_lookup_elem(&fp_enis, &k);
	/* Only what nat_rev translated carries the ENI's MAC and IP as source on this leg. */
	if (!e || p.ip->saddr != e->eni_ip)
		return TC_ACT_OK;
	/* Into c's peer, the consumer VPC's bridge port, as if c had sent it (its MACs are set). */
	return bpf_redirect_peer(e->c_ifindex, 0);
}

static __always_inline int vfwd_count(__u32 slot, int verdict)
{
	__u64 *c = bpf_map_lookup_elem(&fp_vstat, &slot);
	if (c)
		*c += 1; /* per-CPU: no atomics */
	return verdict;
}

/*
 * The VPC router without the VPC namespace's IP stack: a frame for the router's MAC (so routed:
 * client and destination in different subnets) gets the FIB lookup br0's input would do (policy
 * rules `from <subnet> iif br0` included, so route tables, GWLB `via <ENI>` routes and gateway
 * endpoints apply), TTL - 1, the router's MAC as source and the next hop's as destination, and
 * goes straight into the next hop's veth peer. Everything else — same-subnet frames, ARP,
 * local destinations (resolver, metadata), blackhole/unreachable routes, unresolved neighbours,
 * unknown ports, TTL <= 1, fragments, IP options — goes on to the bridge and the stack as before.
 * A redirect can only reach a device of this namespace, and the keys carry the router MAC, so
 * VPCs never meet.
 */
SEC("tc/vpc_fwd")
int vpc_fwd(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + ETH_HLEN;
	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	struct node_key rk = { .pad = 0 };
	mac_copy(rk.mac, eth->h_dest);
	struct vrtr_val *r = bpf_map_lookup_elem(&fp_vrtr, &rk);
	if (!r)
		return TC_ACT_OK; /* not routed: the bridge switches it */
	if (ip->ihl != 5 || ip->ttl <= 1 || (ip->frag_off & bpf_htons(0x3fff)))
		return vfwd_count(VFWD_MISS, TC_ACT_OK);
	__u32 br = r->br_ifindex;
	struct bpf_fib_lookup fib = {
		.family = 2 /* AF_INET */,
		.l4_protocol = ip->protocol,
		.tos = ip->tos,
		.ipv4_src = ip->saddr,
		.ipv4_dst = ip->daddr,
		.ifindex = br,
		/* tot_len 0: the kernel checks the skb (GSO aware) against the egress MTU */
	};
	if (ip->protocol == IPPROTO_TCP || ip->protocol == IPPROTO_UDP) {
		__u16 *ports = (void *)(ip + 1);
		if ((void *)(ports + 2) <= end) {
			fib.sport = ports[0];
			fib.dport = ports[1];
		}
	}
	long rc = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);
	/* Only routes back out of br0 reach a bridge port; anything else is the stack's. */
	if (rc != BPF_FIB_LKUP_RET_SUCCESS || fib.ifindex != br)
		return vfwd_count(VFWD_MISS, TC_ACT_OK);
	struct vfdb_key fk;
	mac_copy(fk.router_mac, rk.mac);
	mac_copy(fk.mac, fib.dmac);
	struct vfdb_val *port = bpf_map_lookup_elem(&fp_vfdb, &fk);
	if (!port)
		return vfwd_count(VFWD_MISS, TC_ACT_OK);
	__u32 out = port->port_ifindex;
	/* ip_decrease_ttl: TTL sits in the high byte of its 16-bit word (network order). */
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	eth = data;
	ip = data + ETH_HLEN;
	if ((void *)(ip + 1) > end)
		return TC_ACT_OK;
	__u32 check = ip->check;
	check += bpf_htons(0x0100);
	ip->check = (__u16)(check + (check >= 0xFFFF));
	ip->ttl--;
	mac_copy(eth->h_dest, fib.dmac);
	mac_copy(eth->h_source, rk.mac);
	/* Arrived for another host's MAC (the router's): the peer's stack must take it as its own
	 * (kernels from 6.15 do this in redirect_peer themselves). */
	if (skb->pkt_type != 0 /* PACKET_HOST */)
		bpf_skb_change_type(skb, 0);
	vfwd_count(VFWD_HIT, 0);
	return bpf_redirect_peer(out, 0);
}

/*
 * Conntrack garbage collection inside the kernel (ct_gc, run by TypeScript with
 * `bpftool prog run`): each entry is judged and deleted in one step, next to the programs that
 * take over NAT ports, where a dump judged in userspace and deleted later could remove an entry
 * a new flow had taken in between (a reset for that flow). It also costs a fraction of a
 * millisecond where dumping and parsing tens of thousands of entries took half a second.
 *
 * A flow is dead when its service entry is gone or has another generation (cut), when it is
 * idle past the listener's timeout, or when it closed (RST, or a FIN each way) over
 * CLOSED_LINGER_NS ago; both its entries go. A reply entry whose flow entry is gone or belongs
 * to another flow by now goes once idle for CLOSED_LINGER_NS (it may be a moment older than
 * the flow entry being written).
 */
struct gc_ctx {
	__u64 now;
	__u32 flows;
	__u32 replies;
	__u32 deleted;
};

static long gc_fwd(struct bpf_map *map, struct ct_key *key, struct ct_fwd *f, struct gc_ctx *c)
{
	struct svc_key sk = { .port = key->dport };
	mac_copy(sk.eni_mac, key->mac);
	struct svc_val *svc = bpf_map_lookup_elem(&fp_svc, &sk);
	if (!svc || svc->gen != f->gen) {
		bpf_map_delete_elem(map, key);
		c->deleted++;
		return 0;
	}
	struct ct_key rk = { .saddr = f->target_ip, .daddr = svc->nlb_ip, .sport = f->target_port,
			     .dport = f->nat_port };
	mac_copy(rk.mac, svc->node_mac);
	struct ct_rev *r = bpf_map_lookup_elem(&fp_ctr, &rk);
	if (r && (r->client_ip != key->saddr || r->client_port != key->sport))
		r = 0; /* the port serves another flow by now */
	__u32 fl = f->flags | (r ? r->flags : 0);
	__u64 last = r && r->last_ns > f->last_ns ? r->last_ns : f->last_ns;
	__s64 idle = (__s64)(c->now - last);
	__s64 limit = (__s64)(f->idle_s ? f->idle_s : 350) * 1000000000ll;
	int closed = (fl & CT_RST) || (fl & (CT_FIN_FWD | CT_FIN_REV)) == (CT_FIN_FWD | CT_FIN_REV);
	if ((closed && idle > CLOSED_LINGER_NS) || idle > limit) {
		if (r) {
			bpf_map_delete_elem(&fp_ctr, &rk);
			c->deleted++;
		}
		bpf_map_delete_elem(map, key);
		c->deleted++;
		return 0;
	}
	c->flows++;
	return 0;
}

static long gc_rev(struct bpf_map *map, struct ct_key *key, struct ct_rev *r, struct gc_ctx *c)
{
	struct ct_key fk = { .saddr = r->client_ip, .daddr = r->eni_ip, .sport = r->client_port,
			     .dport = r->eni_port };
	mac_copy(fk.mac, r->eni_mac);
	struct ct_fwd *f = bpf_map_lookup_elem(&fp_ctf, &fk);
	struct svc_key sk = { .port = r->eni_port };
	mac_copy(sk.eni_mac, r->eni_mac);
	struct svc_val *svc = bpf_map_lookup_elem(&fp_svc, &sk);
	int orphan = !f || f->nat_port != key->dport || f->target_ip != key->saddr ||
		     f->target_port != key->sport;
	if (!svc || svc->gen != r->gen || (orphan && (__s64)(c->now - r->last_ns) > CLOSED_LINGER_NS)) {
		bpf_map_delete_elem(map, key);
		c->deleted++;
		return 0;
	}
	c->replies++;
	return 0;
}

SEC("tc/ct_gc")
int ct_gc(struct __sk_buff *skb)
{
	struct gc_ctx c = { .now = bpf_ktime_get_ns() };
	bpf_for_each_map_elem(&fp_ctf, gc_fwd, &c, 0);
	bpf_for_each_map_elem(&fp_ctr, gc_rev, &c, 0);
	__u32 k = 0;
	struct gc_stat *s = bpf_map_lookup_elem(&fp_gcstat, &k);
	if (s) {
		s->flows = c.flows;
		s->replies = c.replies;
		s->deleted = c.deleted;
	}
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";

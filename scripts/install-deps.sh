#!/usr/bin/env bash
# Debian packages privlink's data plane, demo and tests use. Safe to run repeatedly.
set -euo pipefail
# g++, make and python3 build better-sqlite3 when npm cannot fetch a prebuilt binary; ansible runs
# the infrastructure-as-code playbooks of test/iac; runc, tini (tini-static is the sandboxes' PID 1); busybox-static builds the tiny image of test/dataplane/instances-images
# and attr (setfattr builds the overlay mask layer) sandbox instances; kmod gives the attack tests
# an insmod to try; chromium is the browser the console tests drive (playwright-core never
# downloads one). iputils-ping pings between subnets; ethtool turns checksum offload off on GWLB
# links; clang, llvm, libbpf-dev and bpftool build and load the GWLB and endpoint fast-path BPF programs, tcpdump shows
# GENEVE in the GWLB tests.
PKGS=(g++ make python3 iproute2 nftables conntrack awscli python3-boto3 curl procps dnsutils haproxy dnsmasq-base iperf3 wrk ansible runc tini attr kmod chromium iputils-ping ethtool clang llvm libbpf-dev bpftool tcpdump busybox-static)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}" >&2
    exit 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

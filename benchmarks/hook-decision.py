#!/usr/bin/env python3
"""Times the libvirt hook's decision as libvirt runs it: whole processes of the program
/etc/libvirt/hooks/qemu runs (`hyperward-hook --config F -- NAME prepare begin -`, the domain XML
on standard input, the configuration and policy loaded, the domain judged, the decision recorded
in the state store and its ledger), interleaved with a baseline (the same program on a call that
decides nothing, `started begin`: process start alone) in one run.

Target: p99 of the decision < 50 ms. Prints p50/p90/p99/max of both and the allowed/denied split.
Usage: benchmarks/hook-decision.py [--runs N] [--binary PATH]
"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time, uuid

POLICY = """\
groups:
  web:
    ingress: [{ proto: tcp, ports: [80] }]
templates:
  small:
    machine: [pc, "pc-i440fx-*", "pc-q35-*", q35]
    domain_types: [kvm, qemu]
    cpu: { modes: [host-model, custom] }
    max_vcpus: 2
    max_memory_mib: 2048
    disks: { pools: [/var/lib/libvirt/images], formats: [qcow2, raw], encryption: optional }
    networks: [default]
    security_groups: [web]
    vtpm: optional
tenants:
  acme:
    templates: [small]
    roles: { root: operator }
roles: { root: admin }
"""

def domain(name, forbidden):
    extra = "<qemu:commandline><qemu:arg value='-s'/></qemu:commandline>" if forbidden else ""
    return f"""<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>{name}</name><uuid>{uuid.uuid4()}</uuid>
  <metadata><hyperward:admission xmlns:hyperward="https://hyperward.dev/xmlns/admission/1" template="small" tenant="acme"/></metadata>
  <memory unit='MiB'>512</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices><interface type='network'><source network='default'/><model type='virtio'/></interface>
    <serial type='pty'/><console type='pty'/></devices>{extra}
</domain>"""

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--binary", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".build", "release", "hyperward"))
    a = ap.parse_args()
    if not os.access(a.binary, os.X_OK):
        sys.exit(f"{a.binary} missing: build with `swift build -c release --product hyperward`")
    work = tempfile.mkdtemp(prefix="hyperward-hook-bench-")
    try:
        with open(os.path.join(work, "policy.yaml"), "w") as f: f.write(POLICY)
        with open(os.path.join(work, "hyperward.yaml"), "w") as f:
            f.write(f"state_directory: {work}/state\nnetwork:\n  policy: policy.yaml\n")
        hook_program = os.path.join(os.path.dirname(a.binary), "hyperward-hook")
        if not os.access(hook_program, os.X_OK):
            sys.exit(f"{hook_program} missing: build with `swift build -c release --static-swift-stdlib --product hyperward-hook` (as scripts/install.sh does)")
        # What /etc/libvirt/hooks/qemu runs (admit install-hook), and the bare start of that program.
        hook = [hook_program, "--config", os.path.join(work, "hyperward.yaml"), "--"]
        base = [hook_program, "--", "warm", "started", "begin", "-"]
        xmls = [domain(f"bench-{i}", i % 2 == 1) for i in range(a.runs)]
        ours, baseline, codes = [], [], {}
        subprocess.run(hook + ["warm", "prepare", "begin", "-"], input=xmls[0].encode(), capture_output=True)
        subprocess.run(base, capture_output=True)
        for i, xml in enumerate(xmls):
            t = time.perf_counter()
            p = subprocess.run(hook + [f"bench-{i}", "prepare", "begin", "-"], input=xml.encode(), capture_output=True)
            ours.append(time.perf_counter() - t)
            codes[p.returncode] = codes.get(p.returncode, 0) + 1
            if p.returncode not in (0, 1):
                sys.exit(f"unexpected exit {p.returncode}: {p.stderr.decode()[:300]}")
            t = time.perf_counter()
            subprocess.run(base, capture_output=True)
            baseline.append(time.perf_counter() - t)
        def q(xs, p): xs = sorted(xs); return xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))] * 1000
        for label, xs in (("hook decision", ours), ("process start (no decision)", baseline)):
            print(f"{label:28s} p50 {q(xs, .5):6.1f} ms  p90 {q(xs, .9):6.1f} ms  p99 {q(xs, .99):6.1f} ms  max {max(xs) * 1000:6.1f} ms")
        print(f"decisions: {codes.get(0, 0)} allowed, {codes.get(1, 0)} denied, {a.runs} runs (half of the domains carry qemu:commandline)")
        print(f"target p99 < 50 ms: {'met' if q(ours, .99) < 50 else 'NOT met'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)

if __name__ == "__main__":
    main()

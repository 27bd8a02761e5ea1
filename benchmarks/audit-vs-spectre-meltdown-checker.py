#!/usr/bin/env python3
"""Times the full `hyperward audit` (release build) against `spectre-meltdown-checker --batch json`,
both as whole processes, interleaved in one run on this host, and prints the ratio of medians.

Target: hyperward / spectre-meltdown-checker <= 0.5 while covering a superset (every CPU
vulnerability file the checker reads, plus the command line, SMT, KVM, IOMMU, libvirt, boot and
packages). Usage: benchmarks/audit-vs-spectre-meltdown-checker.py [--runs N] [--binary PATH]
"""
import argparse, json, os, shutil, statistics, subprocess, sys, time

def timed(cmd):
    start = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, p.stdout

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--binary", default=os.path.join(os.path.dirname(__file__), "..", ".build", "release", "hyperward"))
    a = ap.parse_args()
    smc = shutil.which("spectre-meltdown-checker")
    if not smc:
        sys.exit("spectre-meltdown-checker is not installed (apt-get install spectre-meltdown-checker)")
    if not os.access(a.binary, os.X_OK):
        sys.exit(f"{a.binary} missing: build with `swift build -c release --product hyperward`")
    ours_cmd = [a.binary, "audit", "--format", "json", "--no-record"]
    base_cmd = [smc, "--batch", "json"]
    # Warm-up (page cache, dynamic loader) for both, then interleave so drift hits both alike.
    _, ours_out = timed(ours_cmd)
    _, base_out = timed(base_cmd)
    ours, base = [], []
    for _ in range(a.runs):
        ours.append(timed(ours_cmd)[0])
        base.append(timed(base_cmd)[0])
    report = json.loads(ours_out)
    findings = report["findings"]
    try:
        smc_entries = json.loads(base_out)
    except ValueError:
        smc_entries = []
    vuln_files = sorted(os.listdir("/sys/devices/system/cpu/vulnerabilities")) if os.path.isdir("/sys/devices/system/cpu/vulnerabilities") else []
    covered = [v for v in vuln_files if any(f["id"] == f"cpu.vulnerability.{v}" for f in findings)]
    mo, mb = statistics.median(ours), statistics.median(base)
    print(f"hyperward audit:              median {mo*1000:8.1f} ms  (min {min(ours)*1000:.1f}, max {max(ours)*1000:.1f}, n={a.runs})")
    print(f"spectre-meltdown-checker:     median {mb*1000:8.1f} ms  (min {min(base)*1000:.1f}, max {max(base)*1000:.1f}, n={a.runs})")
    print(f"ratio hyperward/checker:      {mo/mb:.3f}  (target <= 0.5)")
    print(f"coverage: checker reported {len(smc_entries)} CVE entries; hyperward reported {len(findings)} findings "
          f"from {len(set(f['id'].split('.')[0] for f in findings))} areas, incl. {len(covered)}/{len(vuln_files)} kernel vulnerability files")
    return 0 if mo / mb <= 0.5 else 1

if __name__ == "__main__":
    sys.exit(main())

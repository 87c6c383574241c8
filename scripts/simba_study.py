#!/usr/bin/python3
"""The SIMBA comparison (issue 15 part 1; README "Chiplet systems (SIAM-like)",
"Against SIMBA's silicon"): configs/simba-resnet50.yaml mapped by `cimmc plan`,
energy-optimal for energy per op and TOPS/W, latency-optimal for images/s, as
configured (DRAM under the package) and on package only (DRAM free and
unlimited: SIMBA's figures keep the weights on package), at batch 1 and a
larger batch; energies by level, and SIMBA's published figures beside them.

  scripts/simba_study.py [--cimmc build/cimmc] [--config configs/simba-resnet50.yaml] [--batch 16]

pJ/op = total pJ / (2 x MACs); TOPS/W = 1 / (pJ/op); images/s = batch x 1e9 /
the network's latency in ns (layers one after another, as `plan` reports).
"""
import argparse
import copy
import pathlib
import re
import subprocess
import tempfile

import yaml

NET = re.compile(r"^    network: ([0-9.e+-]+) pJ per inference .*, ([0-9.e+-]+) ns with layers one after another$")
COST = re.compile(r"^      ([0-9.e+-]+) pJ per inference: (.*); ([0-9.e+-]+) ns$")
PART = re.compile(r"(\S+) ([0-9.e+-]+)(?: \([^)]*\))?(?:, |$)")
# SIMBA's published figures (../shared/REFERENCES.md "Systems"; the papers' abstracts)
SIMBA = {"pj_per_op": 0.11, "tops_per_w": 6.1, "ips_b1": 1988.0, "ips_large": 2615.0, "peak_tops": 127.8}


def macs(doc):
    """MACs per inference of the workload's conv2d and linear layers."""
    n = 0
    for l in doc["workload"]["layers"]:
        b = l.get("batch", 1)
        if l["type"] == "conv2d":
            n += b * l["P"] * l["Q"] * l["C"] // l.get("groups", 1) * l["R"] * l["S"] * l["M"]
        else:
            n += b * l.get("tokens", 1) * l["in_features"] * l["out_features"]
    return n


def plan(cimmc, doc, objective, on_package, batch):
    """(total pJ, ns, {level: pJ}) of the network for one variant, from `cimmc plan`."""
    d = copy.deepcopy(doc)
    d["mapping"]["objective"] = objective
    if on_package:
        dram = d["architecture"]["hierarchy"]["dram"]
        dram.update(read_pj_per_bit=0, write_pj_per_bit=0, bandwidth_bits_per_cycle=0)
    for l in d["workload"]["layers"]:
        l["batch"] = batch
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as t:
        yaml.safe_dump(d, t, sort_keys=False)
        t.flush()
        out = subprocess.run([cimmc, "plan", t.name], check=True, capture_output=True, text=True).stdout
    levels, total, ns = {}, None, None
    for line in out.splitlines():
        if m := COST.match(line):
            for name, pj in PART.findall(m.group(2)):
                levels[name] = levels.get(name, 0.0) + float(pj)
        elif m := NET.match(line):
            total, ns = float(m.group(1)), float(m.group(2))
    assert total is not None, out
    return total, ns, levels, macs(d)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = pathlib.Path(__file__).resolve().parent.parent
    ap.add_argument("--cimmc", default=str(root / "build" / "cimmc"))
    ap.add_argument("--config", default=str(root / "configs" / "simba-resnet50.yaml"))
    ap.add_argument("--batch", type=int, default=16)
    a = ap.parse_args()
    doc = yaml.safe_load(pathlib.Path(a.config).read_text())
    h = doc["architecture"]["hierarchy"]
    units = 1
    for lvl in h.values():
        f = lvl.get("fanout", 1)
        units *= f if isinstance(f, int) else f.get("x", 1) * f.get("y", 1)
    peak = units * 2 * doc["architecture"]["clock_ghz"] / h["mac"]["cycles_per_op"] / 1000
    print(f"peak: {units} MAC units x 2 x {doc['architecture']['clock_ghz']} GHz = {peak:.1f} TOPS (SIMBA {SIMBA['peak_tops']})\n")
    print("| variant | batch | objective | total uJ | pJ/op | TOPS/W | images/s | compute | DRAM | NoP | global buffer | NoC |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for on_package in (False, True):
        for batch in (1, a.batch):
            for objective in ("energy", "latency"):
                pj, ns, lv, n = plan(a.cimmc, doc, objective, on_package, batch)
                pjop = pj / (2 * n)
                share = lambda k: f"{100 * lv.get(k, 0.0) / pj:.1f}%"
                print(f"| {'on package' if on_package else 'with DRAM'} | {batch} | {objective} | {pj / 1e6:.1f} | "
                      f"{pjop:.3f} | {1 / pjop:.2f} | {batch * 1e9 / ns:.0f} | {share('macro')} | {share('dram')} | "
                      f"{share('dram->')} | {share('global_buffer')} | {share('global_buffer->')} |")


if __name__ == "__main__":
    main()

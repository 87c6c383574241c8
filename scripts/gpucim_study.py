#!/usr/bin/python3
"""The WWW study (issue 15 part 2; README "CiM in a GPU's memory hierarchy"):
each GEMM of configs/gpu-*.yaml mapped by `cimmc plan` on the tensor-core
baseline and on every CiM-at-RF and CiM-at-SMEM variant, as energy efficiency
(TOPS/W = 2 MACs / pJ, of the energy-optimal mapping) and throughput (TOPS =
2 MACs / ns / 1000, of the latency-optimal mapping: the configs' objective
rewritten in a temporary copy) and their ratios to the baseline, in Markdown.

  scripts/gpucim_study.py [--cimmc build/cimmc] [--configs DIR]
"""
import argparse
import pathlib
import re
import subprocess
import tempfile

import yaml

BASELINE = "gpu-tensor-core"
VARIANTS = [f"gpu-cim-{lvl}-{p}" for lvl in ("rf", "smem") for p in ("analog6t", "analog8t", "digital6t", "digital8t")]
LAYER = re.compile(r"^    (\S+): mapspace ")
COST = re.compile(r"^      ([0-9.e+-]+) pJ per inference: .*; ([0-9.e+-]+) ns$")


def macs(config):
    """MACs per GEMM of a config's linear layers (tokens x in x out x batch)."""
    layers = yaml.safe_load(config.read_text())["workload"]["layers"]
    return {l["name"]: l.get("batch", 1) * l.get("tokens", 1) * l["in_features"] * l["out_features"] for l in layers}


def plan(cimmc, config, objective):
    """{gemm: (pJ, ns)} of the best nest of every GEMM for `objective`, as `cimmc plan` prints them."""
    text = config.read_text()
    assert "  objective: energy\n" in text, config
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as t:
        t.write(text.replace("  objective: energy\n", f"  objective: {objective}\n"))
        t.flush()
        out = subprocess.run([cimmc, "plan", t.name], check=True, capture_output=True, text=True).stdout
    costs, name = {}, None
    for line in out.splitlines():
        if m := LAYER.match(line):
            name = m.group(1)
        elif (m := COST.match(line)) and name:
            costs[name] = (float(m.group(1)), float(m.group(2)))
            name = None
    return costs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = pathlib.Path(__file__).resolve().parent.parent
    ap.add_argument("--cimmc", default=str(root / "build" / "cimmc"))
    ap.add_argument("--configs", default=str(root / "configs"))
    a = ap.parse_args()
    cdir = pathlib.Path(a.configs)
    n = macs(cdir / f"{BASELINE}.yaml")
    configs = [BASELINE] + VARIANTS
    energy = {c: plan(a.cimmc, cdir / f"{c}.yaml", "energy") for c in configs}
    latency = {c: plan(a.cimmc, cdir / f"{c}.yaml", "latency") for c in configs}
    base = energy[BASELINE]

    def tops_w(c, g):
        return 2 * n[g] / energy[c][g][0]

    def tops(c, g):
        return 2 * n[g] / latency[c][g][1] / 1e3

    short = [v.removeprefix("gpu-cim-") for v in VARIANTS]
    for title, f, unit in (("Energy efficiency (energy-optimal mappings)", tops_w, "TOPS/W"),
                           ("Throughput (latency-optimal mappings)", tops, "TOPS")):
        print(f"\n{title}: the baseline in {unit}, each CiM variant as a ratio to it\n")
        print("| GEMM (M x K x N) | baseline | " + " | ".join(short) + " |")
        print("|---|---|" + "---|" * len(short))
        best = {v: 0.0 for v in VARIANTS}
        for g in base:
            layer = next(l for l in yaml.safe_load((cdir / f"{BASELINE}.yaml").read_text())["workload"]["layers"]
                         if l["name"] == g)
            dims = f"{layer.get('tokens', 1)} x {layer['in_features']} x {layer['out_features']}"
            cells = []
            for v in VARIANTS:
                r = f(v, g) / f(BASELINE, g)
                best[v] = max(best[v], r)
                cells.append(f"{r:.2f}")
            print(f"| {g} ({dims}) | {f(BASELINE, g):.3g} | " + " | ".join(cells) + " |")
        print("| **best ratio** | | " + " | ".join(f"**{best[v]:.2f}**" for v in VARIANTS) + " |")


if __name__ == "__main__":
    main()

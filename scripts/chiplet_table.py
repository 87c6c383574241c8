#!/usr/bin/env python3
"""Prints a chiplet sweep's /network rows (cimmc run on configs/chiplet-*.yaml) as a
markdown table: chiplets, energy by part (skip: the residual tensors' share of NoC + NoP; residual:
their element-wise adds and their buffering in the adding tile's output buffer), latency,
pipeline interval, EDP, area, and manufacturing cost (one chiplet's yield; the system's dies and
bonding, and one monolithic die of the same area, in USD).
Usage: /usr/bin/python3 scripts/chiplet_table.py RUN.h5"""
import sys

import h5py

MACRO = ["dac", "row_driver", "cell", "column", "adc", "shift_add", "accumulator", "leakage"]

with h5py.File(sys.argv[1]) as f:
    n = f["network"]
    key = "architecture.chiplets.tiles_per_chiplet"
    rows = sorted(range(n["total_pj"].shape[0]), key=lambda i: -n["chiplets"][i])
    best_e = min(rows, key=lambda i: n["total_pj"][i])
    best_edp = min(rows, key=lambda i: n["edp_pj_ns"][i])
    print("| tiles/chiplet | chiplets | total uJ | macros | tile buffers | NoC | NoP | (skip) | residual | GLB+DRAM | latency us | interval us | EDP uJ*ms | area mm2 | yield | $ system | $ monolithic |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for i in rows:
        g = lambda c: float(n[c][i])
        macro = sum(g(c + "_pj") for c in MACRO)
        mark = (" (min E)" if i == best_e else "") + (" (min EDP)" if i == best_edp else "")
        print(f"| {int(n[key][i])}{mark} | {int(n['chiplets'][i])} | {g('total_pj') / 1e6:.1f} | {macro / 1e6:.1f} | "
              f"{(g('input_buffer_pj') + g('output_buffer_pj')) / 1e6:.1f} | {g('noc_pj') / 1e6:.1f} | {g('nop_pj') / 1e6:.1f} | {g('skip_pj') / 1e6:.1f} | "
              f"{(g('residual_add_pj') + g('skip_buffer_pj')) / 1e6:.2f} | "
              f"{(g('chiplet_global_buffer_pj') + g('chiplet_dram_pj')) / 1e6:.1f} | {g('latency_ns') / 1e3:.0f} | "
              f"{g('interval_ns') / 1e3:.0f} | {g('edp_pj_ns') / 1e15:.2f} | {g('area_mm2'):.1f} | "
              f"{g('chiplet_yield'):.4f} | {g('system_cost_usd'):.2f} | {g('monolithic_cost_usd'):.2f} |")

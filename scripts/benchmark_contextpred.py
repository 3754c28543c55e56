"""ContextPred context extraction speed: the vectorised batch transform against a networkx
re-statement of the original's per-molecule ExtractSubstructureContextPair, in the same run.

Both get the same molecules and the same centre atoms; the script first checks that they select the
same substructure, context and overlap atoms, then times each (median of --repeats) and prints
milliseconds per molecule. The baseline times what the original's 0.47 ms/molecule covered (Data ->
networkx graph, three cut-off BFS, two induced subgraphs back to tensors); the vectorised figure
covers the whole collate (centres, extraction, the batched output), cutting the batch from the
store is timed apart.

    python scripts/benchmark_contextpred.py --molecules 2048 --repeats 5 [--output results.json]
"""
from __future__ import annotations

import argparse
import os
import sys

import torch

from chem.methods.contextpred import ExtractSubstructureContextPair, context_radii
from chem.pretrain_data import smiles_file_dataset
from pretrain_gnns.context import extract_context_pairs, random_centers
from pretrain_gnns.files import write_json
from pretrain_gnns.runtime import hardware_record, median_time, package_versions

DEFAULT_SMILES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared", "data",
                              "zinc", "moses", "test.csv.gz")


# ------------------------------------------------------------------ the original, one molecule at a time
def nx_extract(x: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor, root: int, k: int, l1: int, l2: int):
    """The original's per-molecule work with networkx: (substructure, context, overlap) tensors, or
    None parts where a set is empty. Cut-offs of 0 become -1 as in the original."""
    import networkx as nx

    k, l1, l2 = (r if r != 0 else -1 for r in (k, l1, l2))
    g = nx.Graph()
    feats = x.numpy()
    for i in range(feats.shape[0]):
        g.add_node(i, atom=int(feats[i, 0]), chir=int(feats[i, 1]))
    ei, ea = edge_index.numpy(), edge_attr.numpy()
    for j in range(0, ei.shape[1], 2):
        a, b = int(ei[0, j]), int(ei[1, j])
        if not g.has_edge(a, b):
            g.add_edge(a, b, btype=int(ea[j, 0]), bdir=int(ea[j, 1]))

    def to_tensors(nodes):
        sub = g.subgraph(nodes)
        mapping = {old: new for new, old in enumerate(sub.nodes())}
        sub = nx.relabel_nodes(sub, mapping, copy=True)
        xs = torch.tensor([[d["atom"], d["chir"]] for _, d in sub.nodes(data=True)], dtype=torch.long)
        pairs, attrs = [], []
        for a, b, d in sub.edges(data=True):
            pairs += [(a, b), (b, a)]
            attrs += [(d["btype"], d["bdir"])] * 2
        eix = torch.tensor(pairs, dtype=torch.long).t() if pairs else torch.empty((2, 0), dtype=torch.long)
        return xs, eix, torch.tensor(attrs, dtype=torch.long).view(-1, 2), mapping

    sub_nodes = nx.single_source_shortest_path_length(g, root, k).keys()
    substruct = to_tensors(sub_nodes) if len(sub_nodes) else None
    ring1 = nx.single_source_shortest_path_length(g, root, l1).keys()
    ring2 = nx.single_source_shortest_path_length(g, root, l2).keys()
    ctx_nodes = set(ring1).symmetric_difference(set(ring2))
    context = to_tensors(ctx_nodes) if ctx_nodes else None
    overlap = ctx_nodes.intersection(set(sub_nodes))
    overlap_idx = torch.tensor([context[3][v] for v in overlap]) if overlap else None
    return substruct, context, overlap_idx, (set(sub_nodes), ctx_nodes, overlap)


def check_agreement(molecules, batch, centers, k, l1, l2) -> int:
    """Both implementations pick the same atoms for the same centres; returns the molecules dropped."""
    pairs = extract_context_pairs(batch.edge_index, batch.batch, batch.num_graphs, centers, k, l1, l2)
    ptr = batch.ptr.tolist()
    owner_sub = batch.batch[pairs.substruct.nodes]
    owner_ctx = batch.batch[pairs.context.nodes]
    ov_nodes = pairs.context.nodes[pairs.overlap]
    rank = 0
    for g, data in enumerate(molecules):
        *_, (sub, ctx, ov) = nx_extract(data.x, data.edge_index, data.edge_attr, int(centers[g]) - ptr[g], k, l1, l2)
        if not ctx or not ov:
            assert not bool(pairs.kept[g]), f"molecule {g}: networkx finds no context, the batch keeps it"
            continue
        assert bool(pairs.kept[g]), f"molecule {g}: dropped but networkx finds a context"
        got_sub = set((pairs.substruct.nodes[owner_sub == g] - ptr[g]).tolist())
        got_ctx = set((pairs.context.nodes[owner_ctx == g] - ptr[g]).tolist())
        got_ov = set((ov_nodes[pairs.overlap_graph == rank] - ptr[g]).tolist())
        assert (got_sub, got_ctx, got_ov) == (sub, ctx, ov), f"molecule {g} differs"
        rank += 1
    return pairs.num_dropped


def run(args: argparse.Namespace) -> dict:
    torch.set_num_threads(args.threads)
    dataset = smiles_file_dataset(args.smiles_file, args.molecules, None, ())
    n = min(args.molecules, len(dataset))
    k, l1, l2 = context_radii(args.num_layer, args.csize)
    transform = ExtractSubstructureContextPair(k, l1, l2)
    batches = [dataset.batch(range(s, min(s + args.batch_size, n))) for s in range(0, n, args.batch_size)]
    gen = torch.Generator().manual_seed(0)
    centers = [random_centers(b.ptr, gen) for b in batches]
    molecules = [dataset[i] for i in range(n)]  # per-molecule Data, as the original's dataset.get gave
    local_roots = torch.cat([c - b.ptr[:-1] for b, c in zip(batches, centers)]).tolist()

    dropped = sum(check_agreement(molecules[s:s + len(c)], b, c, k, l1, l2)
                  for s, b, c in zip(range(0, n, args.batch_size), batches, centers))
    print(f"{n} molecules, k={k} l1={l1} l2={l2}: vectorised and networkx agree on every substructure, context "
          f"and overlap; {dropped} molecules ({100 * dropped / n:.1f}%) have no context", flush=True)

    def baseline():
        for data, root in zip(molecules, local_roots):
            nx_extract(data.x, data.edge_index, data.edge_attr, root, k, l1, l2)

    def vectorised():
        for b, c in zip(batches, centers):
            transform(b, c)

    def vectorised_random_centres():
        for b in batches:
            transform(b)

    def cut_and_transform():
        for s in range(0, n, args.batch_size):
            transform(dataset.batch(range(s, min(s + args.batch_size, n))))

    ms = {name: 1e3 * median_time(fn, args.repeats, warmup=1) / n for name, fn in
          [("networkx_original", baseline), ("vectorised", vectorised),
           ("vectorised_random_centres", vectorised_random_centres), ("cut_from_store_and_vectorised", cut_and_transform)]}
    speedup = ms["networkx_original"] / ms["vectorised_random_centres"]
    print(f"{'extraction':34s} {'ms/molecule':>12s}")
    for name, v in ms.items():
        print(f"{name:34s} {v:12.4f}")
    print(f"speed-up of the collate (random centres) over networkx: {speedup:.1f}x "
          f"(batch {args.batch_size}, {args.threads} threads, median of {args.repeats})")
    result = {"molecules": n, "batch_size": args.batch_size, "k": k, "l1": l1, "l2": l2, "threads": args.threads,
              "repeats": args.repeats, "ms_per_molecule": ms, "speedup": speedup, "dropped": dropped,
              "smiles_file": os.path.abspath(args.smiles_file), "versions": package_versions(),
              "hardware": hardware_record("cpu")}
    if args.output:
        write_json(args.output, result)
    return result


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--smiles-file", dest="smiles_file", default=os.path.normpath(DEFAULT_SMILES),
                   help="molecules to extract from (the first --molecules rows)")
    p.add_argument("--molecules", type=int, default=2048, help="how many molecules")
    p.add_argument("--batch_size", type=int, default=256, help="molecules per vectorised batch (the original's default)")
    p.add_argument("--num_layer", type=int, default=5, help="K: the substructure radius")
    p.add_argument("--csize", type=int, default=3, help="context size (l2 = num_layer - 1 + csize)")
    p.add_argument("--repeats", type=int, default=5, help="timed repeats; the median is reported")
    p.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1), help="torch threads")
    p.add_argument("--output", default="", help="also write the figures to this JSON file")
    return p


def main(argv: list[str] | None = None) -> dict:
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    main(sys.argv[1:])

"""Protein ego-network datasets: the original's ``BioDataset(root, data_type)`` on a compact store.

Layout, as the original: ``<data-root>/supervised`` (88K labelled ego-networks, 8 species) and
``<data-root>/unsupervised`` (306,925 unlabelled ones, 50 species). The original shipped each as
``root/processed/geometric_data_processed.pt``, a pickle that PyG 2.x cannot read; convert it once:

    python -m bio.loader convert --data-root dataset          # both folders, if present
    python -m bio.loader convert --input FILE.pt --root OUT --data-type supervised

The conversion UNPICKLES the original file (restricted to tensors and PyG 1.0.3's Data class by
the project's allowlisted unpickler, pretrain_gnns/legacy_pickle.py): convert only files you trust.
Afterwards only the project's own format is read (``root/processed/graphs``: numpy arrays loaded
with allow_pickle=False, memory-mapped).

Or build ego-networks from raw PPI and GO tables (the preprocessing the original never released):

    python -m bio.loader build --edges links.tsv --go go.tsv --root dataset/supervised --data-type supervised

Each graph: x (N, 1) ones, edge_index (both directions, consecutively), edge_attr (E, 9) floats
(7 evidence channels, self-loop flag, mask flag), species_id, center_node_idx (shifted per batch),
and for supervised data go_target_pretrain (G, 5000) and go_target_downstream (G, 40), 1 = annotated.
"""
from __future__ import annotations

import argparse
import csv
import json
import os

import numpy as np

from bio.ppi import Report, build_ego_store, read_go, read_ppi
from pretrain_gnns.cli_args import ArgumentParser, prog_name
from pretrain_gnns.data_root import ENV_DATA, MissingDataError, data_root, processed_dir
from pretrain_gnns.files import atomic_write
from pretrain_gnns.graphstore import GraphDataset, GraphStore

ORIGINAL_FILE = "geometric_data_processed.pt"
STORE_DIR = "graphs"
META_FILE = "bio_meta.json"
DATA_TYPES = ("supervised", "unsupervised")
LABELS = ("go_target_pretrain", "go_target_downstream")
SYNTHETIC_MARK = ".SYNTH_P"  # bio.synthetic's protein ids: <taxon>.SYNTH_P<n>


def _store_locations(root: str) -> list[str]:
    """Where a converted store may be: root/processed, or the cache used when root is read-only."""
    here = os.path.join(root, "processed")
    places = [here]
    if os.path.isdir(root):
        fallback = processed_dir(root)
        if os.path.abspath(fallback) != os.path.abspath(here):
            places.append(fallback)
    return places


class BioDataset(GraphDataset):
    """Ego-networks of one folder; ``ds[i]`` is a ``Data``, ``ds[index_list]`` a subset view."""

    def __init__(self, root: str, data_type: str = "supervised") -> None:
        if data_type not in DATA_TYPES:
            raise ValueError(f"data_type must be one of {DATA_TYPES}, not {data_type!r}")
        self.root, self.data_type = root, data_type
        found = [p for p in _store_locations(root) if os.path.exists(os.path.join(p, STORE_DIR, "meta.json"))]
        if not found:
            raise MissingDataError(missing_message(root, data_type))
        self.processed_dir = found[0]
        meta_path = os.path.join(self.processed_dir, META_FILE)
        self.meta = json.load(open(meta_path)) if os.path.exists(meta_path) else {}
        super().__init__(GraphStore.load(os.path.join(self.processed_dir, STORE_DIR)))
        if data_type == "supervised":
            absent = [k for k in LABELS if k not in self.store.graph_attrs]
            if absent:
                raise ValueError(f"{root} holds no GO labels ({', '.join(absent)} missing): "
                                 "it is an unsupervised dataset; open it with data_type='unsupervised'")

    @property
    def synthetic(self) -> bool:
        """True for data made by bio.synthetic (planted structure, not real proteins)."""
        return bool(self.meta.get("synthetic", False))

    @property
    def num_tasks(self) -> int:
        """Downstream GO tasks (40 in the paper's data)."""
        return int(self.store.graph_attrs["go_target_downstream"].shape[1])

    @property
    def num_pretrain_tasks(self) -> int:
        return int(self.store.graph_attrs["go_target_pretrain"].shape[1])

    def __repr__(self) -> str:
        return f"BioDataset({self.root!r}, data_type={self.data_type!r}, graphs={len(self)})"


def combine_dataset(first: GraphDataset, second: GraphDataset) -> GraphDataset:
    """Two views of the same store as one (the original's combine_dataset, without copying graphs)."""
    if first.store is not second.store:
        raise ValueError("combine_dataset needs two views of the same dataset")
    return _view(first, np.concatenate([first.indices, second.indices]))


def _view(dataset: GraphDataset, store_indices: np.ndarray) -> GraphDataset:
    view = object.__new__(type(dataset))
    view.__dict__.update(dataset.__dict__)
    view.indices = np.asarray(store_indices, dtype=np.int64)
    return view


def missing_message(root: str, data_type: str) -> str:
    original = os.path.join(root, "processed", ORIGINAL_FILE)
    if os.path.exists(original):
        return (f"{original} is the original's PyG 1.0.3 pickle; convert it once (this unpickles it: only "
                f"for files you trust):\n  python -m bio.loader convert --input {original} --root {root} "
                f"--data-type {data_type}")
    return (f"bio dataset not found in {root}: expected {os.path.join(root, 'processed', STORE_DIR)}/ "
            f"(converted) or {original} (the original's file, from its bio_dataset.zip:\n"
            f"  http://snap.stanford.edu/gnn-pretrain/data/bio_dataset.zip, unzipped so that "
            f"<data-root>/{data_type}/processed/{ORIGINAL_FILE} exists), or build one from raw PPI tables with "
            f"`python -m bio.loader build`, or a synthetic one with `python -m bio.synthetic`.")


def save_dataset(store: GraphStore, root: str, meta: dict, report: Report, verbose: bool = True) -> str:
    """Write the store and its metadata (report, term lists, centre proteins) under root/processed."""
    os.makedirs(root, exist_ok=True)
    pdir = processed_dir(root)
    centres = meta.pop("centre_proteins", None)
    if centres is not None:
        with atomic_write(os.path.join(pdir, "centre_proteins.csv"), newline="") as f:
            w = csv.writer(f)
            w.writerow(["graph", "protein"])
            w.writerows(enumerate(centres))
    store.save(os.path.join(pdir, STORE_DIR))
    meta = {**meta, "report": report.counts, "num_graphs": len(store)}
    with atomic_write(os.path.join(pdir, META_FILE)) as f:
        json.dump(meta, f, indent=1)
    if verbose:
        print(f"[bio] {root}: {len(store)} ego-networks -> {os.path.join(pdir, STORE_DIR)}", flush=True)
        print("\n".join(report.lines()), flush=True)
    return pdir


def convert_original(path: str, root: str, data_type: str, verbose: bool = True) -> str:
    """Convert one original ``geometric_data_processed.pt`` (UNPICKLES it; trusted files only)."""
    from bio.legacy import collated_to_store, load_pyg1_collated

    report = Report()
    attrs, slices = load_pyg1_collated(path)
    store = collated_to_store(attrs, slices, report)
    if data_type == "supervised" and not all(k in store.graph_attrs for k in LABELS):
        raise ValueError(f"{path} has no GO labels: use --data-type unsupervised")
    return save_dataset(store, root, {"data_type": data_type, "source": os.path.abspath(path)}, report, verbose)


def build_from_raw(edges: str, root: str, data_type: str, go: str | None = None, verbose: bool = True,
                   sep: str | None = None, evidence_columns: list[str] | None = None,
                   thresholds: list[float] | None = None, terms_files: tuple[str | None, str | None] = (None, None),
                   extra_meta: dict | None = None, **kwargs) -> str:
    """Raw PPI (+ GO) tables -> ego-networks saved under root (see bio/ppi.py for the formats)."""
    report = Report()
    ppi = read_ppi(edges, report, sep, evidence_columns, thresholds)
    pairs = read_go(go, report, sep) if go else None
    pre, down = (_read_terms(p) if p else None for p in terms_files)
    store, meta = build_ego_store(ppi, report, data_type, pairs, pretrain_terms=pre, downstream_terms=down,
                                  progress=verbose, **kwargs)
    meta["source"] = {"edges": os.path.abspath(edges), "go": os.path.abspath(go) if go else None}
    meta.update(extra_meta or {})
    centres = meta.get("centre_proteins") or []
    if centres and all(SYNTHETIC_MARK in p for p in centres):  # tables written by bio.synthetic
        meta["synthetic"] = True
    return save_dataset(store, root, meta, report, verbose)


def _read_terms(path: str) -> list[str]:
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def build_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(prog=prog_name("python -m bio.loader"), description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("convert", help="convert the original's geometric_data_processed.pt (UNPICKLES it)",
                       description="Convert the original's processed bio files into this project's format. "
                                   "This UNPICKLES the given file (restricted to tensors and PyG 1.0.3's Data "
                                   "class through the project's allowlisted unpickler): convert only files you trust. "
                                   "Run once; the converted folder is what BioDataset reads.")
    c.add_argument("--data-root", default=None, help=f"folder holding supervised/ and unsupervised/ (default: ${ENV_DATA} "
                   "or ./dataset); each <type>/processed/geometric_data_processed.pt found is converted in place")
    c.add_argument("--input", default=None, help="one original geometric_data_processed.pt to convert instead")
    c.add_argument("--root", default=None, help="with --input: dataset folder to write (its processed/graphs)")
    c.add_argument("--data-type", default="supervised", choices=DATA_TYPES, help="with --input: which dataset it is")
    b = sub.add_parser("build", help="build ego-networks from raw PPI and GO tables",
                       description="Build ego-networks from a PPI edge table (protein1, protein2, 7 evidence "
                                   "columns, optional species) and a GO table (protein, go); see bio/ppi.py.")
    b.add_argument("--edges", required=True, help="PPI edge table (tab, comma or space separated, with a header)")
    b.add_argument("--go", default=None, help="protein -> GO term table (required for supervised data)")
    b.add_argument("--root", required=True, help="dataset folder to write (its processed/graphs)")
    b.add_argument("--data-type", default="supervised", choices=DATA_TYPES,
                   help="supervised: one graph per GO-annotated protein, with labels; unsupervised: every protein")
    b.add_argument("--radius", type=int, default=2, help="ego-network radius in hops")
    b.add_argument("--max-neighbors", type=int, default=10,
                   help="sample at most this many neighbours per expanded protein (0 = all); seeded by --seed")
    b.add_argument("--species", type=int, nargs="*", default=None, help="keep centres of these taxon ids only")
    b.add_argument("--pretrain-terms", default=None, help="file of GO terms (one a line) for go_target_pretrain "
                   "(default: the --num-pretrain most frequent terms)")
    b.add_argument("--downstream-terms", default=None, help="file of GO terms for go_target_downstream "
                   "(default: the --num-downstream most frequent terms not among the pretrain terms)")
    b.add_argument("--num-pretrain", type=int, default=5000, help="pretrain terms when no list is given")
    b.add_argument("--num-downstream", type=int, default=40, help="downstream terms when no list is given")
    b.add_argument("--thresholds", type=float, nargs=7, default=None,
                   help="per-channel evidence thresholds (value > threshold counts; default 0 for all)")
    b.add_argument("--evidence-columns", nargs=7, default=None, help="names of the 7 evidence columns")
    b.add_argument("--sep", default=None, help="column separator (default: sniffed: tab, comma or whitespace)")
    b.add_argument("--seed", type=int, default=0, help="seed of the neighbour sampling")
    return p


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.command == "convert":
        if args.input:
            if not args.root:
                raise SystemExit("--input needs --root (the dataset folder to write)")
            convert_original(args.input, args.root, args.data_type)
            return
        base = data_root(args.data_root)
        done = 0
        for data_type in DATA_TYPES:
            path = os.path.join(base, data_type, "processed", ORIGINAL_FILE)
            if os.path.exists(path):
                convert_original(path, os.path.join(base, data_type), data_type)
                done += 1
        if not done:
            raise SystemExit(f"no {ORIGINAL_FILE} under {base}/{{supervised,unsupervised}}/processed/")
        return
    build_from_raw(args.edges, args.root, args.data_type, args.go, sep=args.sep,
                   evidence_columns=args.evidence_columns, thresholds=args.thresholds,
                   terms_files=(args.pretrain_terms, args.downstream_terms), radius=args.radius,
                   max_neighbors=args.max_neighbors, species=args.species, num_pretrain=args.num_pretrain,
                   num_downstream=args.num_downstream, seed=args.seed)


if __name__ == "__main__":
    from pretrain_gnns.cli_args import run_main
    run_main(main)

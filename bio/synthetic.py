"""SYNTHETIC protein ego-networks with planted structure, in exactly the real bio format.

The real bio data (the original's bio_dataset.zip) is not available here, so this writes synthetic
raw tables (a PPI edge table with 7 evidence channels and a protein -> GO table, protein ids
``<taxon>.SYNTH_P<n>``, terms ``SYNTH:coarse_<k>`` / ``SYNTH:fine_<k>``) and builds the datasets from
them with the real preprocessing (bio/ppi.py), so the same code path runs as for real tables.

Planted structure: every protein has a hidden function class. Proteins interact mostly within their
class, and a within-class interaction carries the class's signature (two of the seven evidence
channels) on top of random background evidence. GO labels are functions of the hidden class: the
coarse (pretrain) terms mark class groups, the fine (downstream) terms single classes, with a little
label noise. A model has to read the class off the evidence patterns around the centre protein;
pre-training on the large unlabelled set (or the coarse labels) teaches exactly that, so fine-tuning
with few labels can see a benefit. Species are the original's (the 8 labelled ones, human 9606 as the
test species, plus unlabelled-only species), so the species split protocol runs unchanged.

    python -m bio.synthetic --data-root runs/bio_synthetic     # writes supervised/ and unsupervised/
"""
from __future__ import annotations

import argparse
import itertools
import os
from dataclasses import asdict, dataclass

import numpy as np

from bio.ppi import NUM_CHANNELS, STRING_CHANNELS
from pretrain_gnns.cli_args import ArgumentParser, prog_name
from pretrain_gnns.files import atomic_write

LABELLED_SPECIES = (3702, 6239, 511145, 7227, 9606, 10090, 4932, 7955)
TEST_SPECIES = 9606
UNLABELLED_SPECIES = (3694, 39947, 10116, 443255)  # four of the original's 42 unlabelled-only species


@dataclass
class SyntheticSpec:
    """Sizes and noise of the planted task. The defaults give few labels to learn from (8% of the
    train/valid species' proteins are annotated) and a large test species to measure on (80% of
    human), so that a pre-trained encoder has something to add: tests and docs/BIO.md rely on them."""
    proteins_per_species: int = 300
    num_classes: int = 12
    partners_per_protein: int = 2  # each protein draws this many partners: mean degree about twice that
    within_class: float = 0.8  # chance a partner is drawn from the protein's own class
    signature_rate: float = 0.6  # chance each signature channel is on for a within-class interaction
    background_rate: float = 0.2  # chance any channel is on at random
    annotated_fraction: float = 0.08  # proteins with GO annotations (the supervised set), train/valid species
    test_annotated_fraction: float = 0.8  # the same for the test species, human (9606)
    num_pretrain_terms: int = 24
    num_downstream_terms: int = 12
    label_noise: float = 0.0  # chance each GO label is flipped
    seed: int = 0


def class_signatures(num_classes: int, rng: np.random.Generator) -> np.ndarray:
    """(K, 7) 0/1: a distinct pair of evidence channels per class."""
    pairs = list(itertools.combinations(range(NUM_CHANNELS), 2))
    if num_classes > len(pairs):
        raise ValueError(f"at most {len(pairs)} classes (distinct channel pairs)")
    chosen = rng.choice(len(pairs), num_classes, replace=False)
    sig = np.zeros((num_classes, NUM_CHANNELS), dtype=np.uint8)
    for k, p in enumerate(chosen):
        sig[k, list(pairs[p])] = 1
    return sig


def term_definitions(spec: SyntheticSpec, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(pretrain (P, K), downstream (D, K)) class -> term membership. Coarse terms cover random halves
    of the classes; fine terms single classes (cycling), so every downstream task is a class read-out."""
    K = spec.num_classes
    coarse = np.zeros((spec.num_pretrain_terms, K), dtype=bool)
    for t in range(spec.num_pretrain_terms):
        coarse[t, rng.choice(K, max(1, K // 2), replace=False)] = True
    fine = np.zeros((spec.num_downstream_terms, K), dtype=bool)
    for t in range(spec.num_downstream_terms):
        fine[t, t % K] = True
    return coarse, fine


def synthetic_tables(out_dir: str, spec: SyntheticSpec | None = None) -> dict:
    """Write SYNTHETIC edges.tsv, go.tsv and the two term lists into ``out_dir``; returns their paths."""
    spec = spec or SyntheticSpec()
    rng = np.random.default_rng(spec.seed)
    signatures = class_signatures(spec.num_classes, rng)
    coarse, fine = term_definitions(spec, rng)
    os.makedirs(out_dir, exist_ok=True)
    edge_rows, go_rows = [], []
    n = spec.proteins_per_species
    for taxon in LABELLED_SPECIES + UNLABELLED_SPECIES:
        names = np.array([f"{taxon}.SYNTH_P{i:05d}" for i in range(n)])
        cls = rng.integers(0, spec.num_classes, n)
        members = [np.flatnonzero(cls == k) for k in range(spec.num_classes)]
        src = np.repeat(np.arange(n), spec.partners_per_protein)
        same = rng.random(len(src)) < spec.within_class
        dst = rng.integers(0, n, len(src))
        for i in np.flatnonzero(same):
            pool = members[cls[src[i]]]
            dst[i] = pool[rng.integers(0, len(pool))]
        keep = src != dst
        src, dst = src[keep], dst[keep]
        bits = (rng.random((len(src), NUM_CHANNELS)) < spec.background_rate).astype(np.uint8)
        within = cls[src] == cls[dst]
        sig = signatures[cls[src]] & (rng.random((len(src), NUM_CHANNELS)) < spec.signature_rate)
        bits[within] |= sig[within].astype(np.uint8)
        empty = bits.sum(1) == 0
        bits[empty, rng.integers(0, NUM_CHANNELS, int(empty.sum()))] = 1  # an interaction has some evidence
        scores = bits * rng.integers(150, 1000, bits.shape)  # STRING-like 0-1000 scores
        for a, b, s in zip(names[src], names[dst], scores):
            edge_rows.append(f"{a}\t{b}\t" + "\t".join(map(str, s)) + "\n")
        if taxon in LABELLED_SPECIES:
            fraction = spec.test_annotated_fraction if taxon == TEST_SPECIES else spec.annotated_fraction
            annotated = rng.random(n) < fraction
            for i in np.flatnonzero(annotated):
                for table, prefix in ((coarse, "coarse"), (fine, "fine")):
                    member = table[:, cls[i]]
                    flip = rng.random(len(member)) < spec.label_noise
                    for t in np.flatnonzero(member ^ flip):
                        go_rows.append(f"{names[i]}\tSYNTH:{prefix}_{t:03d}\n")
    paths = {k: os.path.join(out_dir, f) for k, f in (("edges", "edges.tsv"), ("go", "go.tsv"),
                                                      ("pretrain_terms", "pretrain_terms.txt"),
                                                      ("downstream_terms", "downstream_terms.txt"))}
    _write(paths["edges"], ["protein1\tprotein2\t" + "\t".join(STRING_CHANNELS) + "\n"] + edge_rows)
    _write(paths["go"], ["protein\tgo\n"] + go_rows)
    _write(paths["pretrain_terms"], [f"SYNTH:coarse_{t:03d}\n" for t in range(spec.num_pretrain_terms)])
    _write(paths["downstream_terms"], [f"SYNTH:fine_{t:03d}\n" for t in range(spec.num_downstream_terms)])
    return paths


def _write(path: str, lines: list[str]) -> None:
    with atomic_write(path) as f:
        f.writelines(lines)


def make_synthetic_bio(data_root: str, spec: SyntheticSpec | None = None, radius: int = 2,
                       max_neighbors: int = 10, verbose: bool = True) -> dict:
    """SYNTHETIC <data_root>/{supervised,unsupervised} datasets, built through the raw preprocessing."""
    from bio.loader import build_from_raw

    spec = spec or SyntheticSpec()
    paths = synthetic_tables(os.path.join(data_root, "synthetic_raw"), spec)
    common = dict(radius=radius, max_neighbors=max_neighbors, seed=spec.seed, verbose=verbose,
                  extra_meta={"synthetic": True, "synthetic_spec": asdict(spec)})
    build_from_raw(paths["edges"], os.path.join(data_root, "supervised"), "supervised", paths["go"],
                   terms_files=(paths["pretrain_terms"], paths["downstream_terms"]),
                   species=list(LABELLED_SPECIES), **common)
    build_from_raw(paths["edges"], os.path.join(data_root, "unsupervised"), "unsupervised", **common)
    if verbose:
        print(f"[bio.synthetic] SYNTHETIC bio datasets in {data_root} ({asdict(spec)})", flush=True)
    return paths


def build_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(prog=prog_name("python -m bio.synthetic"), description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-root", required=True, help="folder to write synthetic_raw/, supervised/ and unsupervised/ into")
    defaults = SyntheticSpec()
    for name, value in asdict(defaults).items():
        p.add_argument("--" + name.replace("_", "-"), type=type(value), default=value,
                       help=f"synthetic generator parameter {name}")
    p.add_argument("--radius", type=int, default=2, help="ego-network radius in hops")
    p.add_argument("--max-neighbors", type=int, default=10, help="neighbours sampled per expanded protein (0 = all)")
    p.add_argument("--tables-only", action="store_true",
                   help="only write the raw tables (synthetic_raw/); build the datasets with python -m bio.loader build")
    return p


def main(argv: list[str] | None = None) -> None:
    args = vars(build_parser().parse_args(argv))
    root, radius, max_neighbors = args.pop("data_root"), args.pop("radius"), args.pop("max_neighbors")
    if args.pop("tables_only"):
        paths = synthetic_tables(os.path.join(root, "synthetic_raw"), SyntheticSpec(**args))
        print("[bio.synthetic] SYNTHETIC raw tables:\n" + "\n".join(f"  {k}: {v}" for k, v in paths.items()), flush=True)
        return
    make_synthetic_bio(root, SyntheticSpec(**args), radius=radius, max_neighbors=max_neighbors)


if __name__ == "__main__":
    from pretrain_gnns.cli_args import run_main
    run_main(main)

"""Raw PPI tables -> protein ego-networks in the original's bio format (the preprocessing the
original never released, see its issues #15 and #60).

Inputs
- an edge table with a header: ``protein1``, ``protein2``, seven evidence columns (STRING's
  neighborhood, fusion, cooccurence, coexpression, experimental, database, textmining, or any
  seven other columns, in file order) and optionally ``species``; without a species column the
  species is the taxon prefix of STRING ids (``9606.ENSP...``). Evidence is binarised as
  value > threshold (default 0: any evidence counts; STRING scores are 0-1000).
- a GO table with a header: ``protein`` and ``go`` (one term per row, or several separated by ';').

Output: one ego-network per centre protein: the proteins within ``radius`` hops (breadth-first,
optionally sampling at most ``max_neighbors`` neighbours per expanded protein, as the original's
unpublished sampler did: "it has some randomness in subgraph sampling", issue #15) and every PPI
edge among them. Nodes are numbered centre first, then by hop distance, then by protein. Each
graph has x = ones (N, 1), edge_attr (E, 9) = 7 evidence bits then the self-loop and mask columns
(0 here), species_id, center_node_idx, and for supervised data go_target_pretrain /
go_target_downstream (1 = annotated, 0 = not; the original's encoding).

Malformed rows are counted per reason and reported, never fatal. Everything is vectorised over
chunks of centres (numpy), no per-protein Python loop.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pretrain_gnns.graphstore import GraphStore, concat_ranges

STRING_CHANNELS = ("neighborhood", "fusion", "cooccurence", "coexpression", "experimental", "database", "textmining")
NUM_CHANNELS = 7
EDGE_WIDTH = 9
CENTRES_PER_CHUNK = 1024


@dataclass
class Report:
    """Counts of what was read, kept and skipped, by reason."""
    counts: dict = field(default_factory=dict)

    def add(self, key: str, n: int) -> None:
        if n:
            self.counts[key] = self.counts.get(key, 0) + int(n)

    def lines(self) -> list[str]:
        return [f"  {k}: {v}" for k, v in self.counts.items()]


@dataclass
class PPIGraph:
    """The whole PPI network: proteins 0..P-1, undirected edges (a < b) sorted, 7 evidence bits each."""
    proteins: np.ndarray  # (P,) protein ids as strings
    species: np.ndarray  # (P,) int64 taxon ids
    edges: np.ndarray  # (E, 2) int64, a < b, sorted by (a, b)
    evidence: np.ndarray  # (E, 7) uint8

    @property
    def num_proteins(self) -> int:
        return len(self.proteins)

    def csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(indptr, neighbour, edge id) over both directions."""
        a, b = self.edges[:, 0], self.edges[:, 1]
        src, dst = np.concatenate([a, b]), np.concatenate([b, a])
        eid = np.concatenate([np.arange(len(a)), np.arange(len(a))])
        order = np.lexsort((dst, src))
        indptr = np.zeros(self.num_proteins + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=self.num_proteins), out=indptr[1:])
        return indptr, dst[order], eid[order]


def _sniff_sep(path: str) -> str:
    with open(path, "r", newline="") as f:
        first = f.readline()
    if "\t" in first:
        return "\t"
    if "," in first:
        return ","
    return r"\s+"


def _count_data_lines(path: str) -> int:
    """Non-blank lines after the header: what pandas should have returned as rows."""
    with open(path, "rb") as f:
        next(f, None)
        return sum(1 for line in f if line.strip())


def _read_table(path: str, sep: str | None, report: Report, what: str) -> pd.DataFrame:
    if not os.path.exists(path):
        raise FileNotFoundError(f"{what} table not found: {path}")
    sep = sep or _sniff_sep(path)
    # Rows with too many fields are dropped by pandas and counted here; rows with too few come back
    # with missing values and are counted by the caller.
    df = pd.read_csv(path, sep=sep, dtype=str, on_bad_lines="skip", engine="c", keep_default_na=False,
                     na_values=[""])
    n_lines = _count_data_lines(path)
    report.add(f"{what} rows read", n_lines)
    report.add(f"{what} rows skipped: too many fields", n_lines - len(df))
    df.columns = [c.strip() for c in df.columns]
    return df


def _resolve_evidence_columns(columns: list[str], evidence_columns: list[str] | None) -> list[str]:
    if evidence_columns:
        missing = [c for c in evidence_columns if c not in columns]
        if missing or len(evidence_columns) != NUM_CHANNELS:
            raise ValueError(f"--evidence-columns needs {NUM_CHANNELS} columns of the edge table; "
                             f"missing {missing}, table has {columns}")
        return list(evidence_columns)
    if all(c in columns for c in STRING_CHANNELS):
        return list(STRING_CHANNELS)
    rest = [c for c in columns if c not in ("protein1", "protein2", "species", "combined_score")]
    if len(rest) != NUM_CHANNELS:
        raise ValueError(f"edge table must have protein1, protein2 and {NUM_CHANNELS} evidence columns "
                         f"(optionally species, combined_score); found {columns}")
    return rest


def read_ppi(path: str, report: Report, sep: str | None = None, evidence_columns: list[str] | None = None,
             thresholds: list[float] | None = None) -> PPIGraph:
    """Read and clean the edge table; see the module docstring for its layout."""
    df = _read_table(path, sep, report, "edge")
    for col in ("protein1", "protein2"):
        if col not in df.columns:
            raise ValueError(f"edge table {path} has no {col!r} column (header: {list(df.columns)})")
    channels = _resolve_evidence_columns(list(df.columns), evidence_columns)
    thresholds = np.zeros(NUM_CHANNELS) if thresholds is None else np.asarray(thresholds, dtype=float)
    if thresholds.shape != (NUM_CHANNELS,):
        raise ValueError(f"thresholds needs {NUM_CHANNELS} values, got {thresholds.tolist()}")

    values = df[channels].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    p1, p2 = df["protein1"].str.strip(), df["protein2"].str.strip()
    if "species" in df.columns:
        sp1 = sp2 = pd.to_numeric(df["species"], errors="coerce")
    else:
        sp1 = pd.to_numeric(p1.str.split(".", n=1).str[0], errors="coerce")
        sp2 = pd.to_numeric(p2.str.split(".", n=1).str[0], errors="coerce")
    bad_id = p1.isna().to_numpy() | p2.isna().to_numpy() | (p1 == "").to_numpy() | (p2 == "").to_numpy()
    bad_num = np.isnan(values).any(axis=1) & ~bad_id
    bad_species = (sp1.isna() | sp2.isna()).to_numpy() & ~bad_id & ~bad_num
    cross = ~bad_id & ~bad_num & ~bad_species & (sp1.to_numpy() != sp2.to_numpy())
    self_loop = ~bad_id & ~bad_num & ~bad_species & ~cross & (p1 == p2).to_numpy()
    report.add("edge rows skipped: missing protein id", bad_id.sum())
    report.add("edge rows skipped: missing or non-numeric evidence", bad_num.sum())
    report.add("edge rows skipped: no species (no species column and no 'taxon.' id prefix)", bad_species.sum())
    report.add("edge rows skipped: proteins of two species", cross.sum())
    report.add("edge rows skipped: self-interaction", self_loop.sum())
    keep = ~(bad_id | bad_num | bad_species | cross | self_loop)
    bits = (values[keep] > thresholds).astype(np.uint8)
    no_evidence = bits.sum(axis=1) == 0
    report.add("edge rows skipped: no evidence channel above threshold", no_evidence.sum())
    sel = np.flatnonzero(keep)[~no_evidence]
    bits = bits[~no_evidence]

    codes, proteins = pd.factorize(pd.concat([p1.iloc[sel], p2.iloc[sel]], ignore_index=True))
    a, b = codes[:len(sel)].astype(np.int64), codes[len(sel):].astype(np.int64)
    species = np.zeros(len(proteins), dtype=np.int64)
    species[a] = sp1.to_numpy()[sel].astype(np.int64)
    species[b] = sp1.to_numpy()[sel].astype(np.int64)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    key = lo * len(proteins) + hi
    uniq, inverse = np.unique(key, return_inverse=True)
    report.add("edge rows merged: duplicate interaction (evidence OR-ed)", len(key) - len(uniq))
    evidence = np.zeros((len(uniq), NUM_CHANNELS), dtype=np.uint8)
    np.maximum.at(evidence, inverse, bits)
    edges = np.stack([uniq // len(proteins), uniq % len(proteins)], axis=1)
    report.add("proteins", len(proteins))
    report.add("interactions", len(edges))
    return PPIGraph(np.asarray(proteins, dtype=object), species, edges, evidence)


def read_go(path: str, report: Report, sep: str | None = None) -> pd.DataFrame:
    """(protein, term) pairs, one per row, blanks and duplicates dropped (counted)."""
    df = _read_table(path, sep, report, "GO")
    if not {"protein", "go"} <= set(df.columns):
        if df.shape[1] < 2:
            raise ValueError(f"GO table {path} needs columns protein and go (header: {list(df.columns)})")
        df = df.rename(columns={df.columns[0]: "protein", df.columns[1]: "go"})
    df = df[["protein", "go"]]
    bad = df["protein"].isna() | df["go"].isna()
    report.add("GO rows skipped: missing protein or term", int(bad.sum()))
    df = df[~bad]
    pairs = df.assign(go=df["go"].str.split(";")).explode("go")
    pairs["protein"], pairs["go"] = pairs["protein"].str.strip(), pairs["go"].str.strip()
    pairs = pairs[pairs["go"] != ""]
    n = len(pairs)
    pairs = pairs.drop_duplicates()
    report.add("GO annotations merged: duplicate", n - len(pairs))
    return pairs.reset_index(drop=True)


def choose_terms(pairs: pd.DataFrame, n: int, exclude: list[str] = ()) -> list[str]:
    """The ``n`` most frequent terms (ties by name), a stand-in when no term list is given: the paper
    picked 5000 coarse and 40 fine-grained terms with the GO hierarchy, which these tables lack."""
    counts = pairs.loc[~pairs["go"].isin(list(exclude)), "go"].value_counts()
    counts = counts.sort_index().sort_values(ascending=False, kind="stable")
    return list(counts.index[:n])


def ego_node_sets(indptr: np.ndarray, nbr: np.ndarray, centres: np.ndarray, radius: int,
                  max_neighbors: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(owner, node) pairs of every ego-network, sorted by (owner, hop, node); owner indexes ``centres``.

    Breadth-first from all centres at once: each frontier pair (owner, u) expands to u's neighbours
    (a random ``max_neighbors`` of them when u has more and max_neighbors > 0), minus nodes the
    owner has already reached.
    """
    P = len(indptr) - 1
    owner = np.arange(len(centres), dtype=np.int64)
    node = centres.astype(np.int64)
    hop = np.zeros(len(centres), dtype=np.int64)
    seen = np.sort(owner * P + node)
    f_owner, f_node = owner, node
    all_owner, all_node, all_hop = [owner], [node], [hop]
    for h in range(1, radius + 1):
        deg = indptr[f_node + 1] - indptr[f_node]
        pos = concat_ranges(indptr[f_node], deg)
        e_owner = np.repeat(f_owner, deg)
        if max_neighbors > 0 and (deg > max_neighbors).any():
            group = np.repeat(np.arange(len(f_node)), deg)
            order = np.lexsort((rng.random(len(pos)), group))
            rank = np.arange(len(pos)) - np.repeat(np.cumsum(deg) - deg, deg)
            keep = order[rank < max_neighbors]
            pos, e_owner = pos[keep], e_owner[keep]
        key = np.unique(e_owner * P + nbr[pos])
        new = key[~_isin_sorted(key, seen)]
        if len(new) == 0:
            break
        seen = np.union1d(seen, new)
        f_owner, f_node = new // P, new % P
        all_owner.append(f_owner)
        all_node.append(f_node)
        all_hop.append(np.full(len(new), h, dtype=np.int64))
    owner, node, hop = (np.concatenate(v) for v in (all_owner, all_node, all_hop))
    order = np.lexsort((node, hop, owner))
    return owner[order], node[order]


def _isin_sorted(values: np.ndarray, sorted_ref: np.ndarray) -> np.ndarray:
    if len(sorted_ref) == 0:
        return np.zeros(len(values), dtype=bool)
    i = np.searchsorted(sorted_ref, values).clip(max=len(sorted_ref) - 1)
    return sorted_ref[i] == values


def induced_edges(ppi: PPIGraph, owner: np.ndarray, node: np.ndarray, node_start: np.ndarray,
                  sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every PPI edge inside each ego-network: (owner, local i, local j, edge id) with i < j.

    Pairs of an ego-network's nodes are looked up in the sorted edge keys: sum(n^2)/2 lookups,
    bounded by the sampling, rather than a walk over the (possibly huge) full neighbour lists.
    """
    P = ppi.num_proteins
    local = np.arange(len(node)) - np.repeat(node_start, sizes)
    count = np.repeat(sizes, sizes) - 1 - local  # partners after each node in its own ego-network
    a_pos = np.repeat(np.arange(len(node)), count)
    b_pos = concat_ranges(np.arange(len(node)) + 1, count)
    u, v = node[a_pos], node[b_pos]
    key = np.minimum(u, v) * P + np.maximum(u, v)
    edge_keys = ppi.edges[:, 0] * P + ppi.edges[:, 1]
    idx = np.searchsorted(edge_keys, key).clip(max=max(len(edge_keys) - 1, 0))
    hit = edge_keys[idx] == key if len(edge_keys) else np.zeros(len(key), dtype=bool)
    # pairs come out grouped by owner, then by (i, j): the stored edge order
    return owner[a_pos[hit]], local[a_pos[hit]], local[b_pos[hit]], idx[hit]


def build_ego_store(ppi: PPIGraph, report: Report, data_type: str, go: pd.DataFrame | None = None,
                    radius: int = 2, max_neighbors: int = 10, species: list[int] | None = None,
                    pretrain_terms: list[str] | None = None, downstream_terms: list[str] | None = None,
                    num_pretrain: int = 5000, num_downstream: int = 40, seed: int = 0,
                    progress: bool = True) -> tuple[GraphStore, dict]:
    """Ego-networks as a GraphStore plus metadata (centre proteins, term lists)."""
    from tqdm.auto import tqdm

    if data_type not in ("supervised", "unsupervised"):
        raise ValueError(f"data_type must be 'supervised' or 'unsupervised', not {data_type!r}")
    in_species = np.ones(ppi.num_proteins, dtype=bool) if species is None else np.isin(ppi.species, species)
    if species is not None:
        missing = sorted(set(species) - set(ppi.species.tolist()))
        if missing:
            report.add("requested species absent from the edge table", len(missing))
    meta: dict = {"data_type": data_type, "radius": radius, "max_neighbors": max_neighbors, "seed": seed}
    labels = {}
    if data_type == "supervised":
        if go is None:
            raise ValueError("supervised data needs a GO table (protein -> GO terms)")
        index = pd.Index(ppi.proteins)
        pos = index.get_indexer(go["protein"])
        report.add("GO annotations skipped: protein not in the edge table", int((pos < 0).sum()))
        go = go[pos >= 0].assign(pid=pos[pos >= 0])
        go = go[in_species[go["pid"].to_numpy()]]
        pretrain_terms = list(pretrain_terms) if pretrain_terms else choose_terms(go, num_pretrain)
        downstream_terms = (list(downstream_terms) if downstream_terms
                            else choose_terms(go, num_downstream, exclude=pretrain_terms))
        for name, terms in (("go_target_pretrain", pretrain_terms), ("go_target_downstream", downstream_terms)):
            col = pd.Index(terms).get_indexer(go["go"])
            labels[name] = (go["pid"].to_numpy()[col >= 0], col[col >= 0], len(terms))
        annotated = np.zeros(ppi.num_proteins, dtype=bool)
        for pids, _, _ in labels.values():
            annotated[pids] = True
        centres = np.flatnonzero(annotated & in_species)
        meta.update(pretrain_terms=pretrain_terms, downstream_terms=downstream_terms)
    else:
        centres = np.flatnonzero(in_species)

    indptr, nbr, _ = ppi.csr()
    rng = np.random.default_rng(seed)
    parts = {k: [] for k in ("nodes", "edges", "feat", "n_counts", "e_counts")}
    for start in tqdm(range(0, len(centres), CENTRES_PER_CHUNK), desc="ego-networks", unit="chunk",
                      disable=not progress or len(centres) < 4 * CENTRES_PER_CHUNK):
        chunk = centres[start:start + CENTRES_PER_CHUNK]
        owner, node = ego_node_sets(indptr, nbr, chunk, radius, max_neighbors, rng)
        sizes = np.bincount(owner, minlength=len(chunk))
        node_start = np.cumsum(sizes) - sizes
        e_owner, i, j, eid = induced_edges(ppi, owner, node, node_start, sizes)
        feat = np.zeros((len(eid), EDGE_WIDTH), dtype=np.float32)
        feat[:, :NUM_CHANNELS] = ppi.evidence[eid]
        parts["nodes"].append(np.ones((len(node), 1), dtype=np.uint8))
        parts["edges"].append(np.stack([i, j], axis=1).astype(np.int32))
        parts["feat"].append(feat)
        parts["n_counts"].append(sizes)
        parts["e_counts"].append(np.bincount(e_owner, minlength=len(chunk)))

    cat = {k: np.concatenate(v) if v else None for k, v in parts.items()}
    G = len(centres)
    node_feat = cat["nodes"] if G else np.zeros((0, 1), np.uint8)
    edge_index = cat["edges"] if G else np.zeros((0, 2), np.int32)
    edge_feat = cat["feat"] if G else np.zeros((0, EDGE_WIDTH), np.float32)
    n_counts = cat["n_counts"] if G else np.zeros(0, np.int64)
    e_counts = cat["e_counts"] if G else np.zeros(0, np.int64)
    attrs = {"species_id": ppi.species[centres].astype(np.int64), "center_node_idx": np.zeros(G, dtype=np.int64)}
    row_of = np.full(ppi.num_proteins, -1, dtype=np.int64)
    row_of[centres] = np.arange(G)
    for name, (pids, cols, width) in labels.items():
        y = np.zeros((G, width), dtype=np.uint8)
        r = row_of[pids]
        y[r[r >= 0], cols[r >= 0]] = 1
        attrs[name] = y
    store = GraphStore(node_feat, edge_index, edge_feat, np.concatenate([[0], np.cumsum(n_counts)]),
                       np.concatenate([[0], np.cumsum(e_counts)]), attrs, undirected=True,
                       node_index_attrs=("center_node_idx",))
    report.add("ego-networks", G)
    report.add("ego-network nodes", int(n_counts.sum()))
    report.add("ego-network edges", int(e_counts.sum()))
    meta["centre_proteins"] = [str(p) for p in ppi.proteins[centres]]
    return store, meta

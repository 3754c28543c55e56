"""Parity with the original (2019) pipeline: kept molecules, scaffold split and atom/bond features.

The original loader's outputs (``reference_processed/smiles.csv`` and, for clintox and mutag, its
``geometric_data_processed.pt``) are compared with ours. Both SMILES lists are compared as RDKit
canonical SMILES (canonicalised by the RDKit installed now), aligned to the raw file's rows, and every
difference gets a cause. ``scripts/check_parity.py`` writes the report (docs/PARITY.md); the tests
use the same functions.
"""
from __future__ import annotations

import difflib
import os
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from rdkit import Chem, RDLogger
from rdkit.Chem.Scaffolds import MurckoScaffold

from chem.datasets import get_spec, read_raw
from chem.loader import MoleculeDataset
from pretrain_gnns.legacy_pickle import load_pyg1_collated
from chem.splitters import scaffold_split_indices

PARITY_DATASETS = ("bbbp", "sider", "bace", "tox21", "toxcast", "clintox", "mutag")
FEATURE_DATASETS = ("clintox", "mutag")  # the two with the original's processed graphs staged
KNOWN_SPLITS = {"bbbp": (1631, 204, 204)}  # split sizes the original reported
SPLIT_NAMES = ("train", "valid", "test")


# ---------------------------------------------------------------- SMILES helpers
def canonical(smiles: str | None, isomeric: bool = True) -> str | None:
    """RDKit canonical SMILES (of the RDKit installed now), or None when RDKit rejects the SMILES."""
    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(smiles) if isinstance(smiles, str) and smiles else None
    return Chem.MolToSmiles(mol, isomericSmiles=isomeric) if mol is not None else None


def rdkit_problem(smiles: str) -> str:
    """RDKit's own words for why it rejects ``smiles`` ('' when it accepts it)."""
    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(smiles, sanitize=False) if smiles else None
    if mol is None:
        return "SMILES syntax error"
    try:
        Chem.SanitizeMol(mol)
    except Exception as err:  # RDKit raises several exception types, all with a readable message
        return str(err).strip().splitlines()[0]
    return ""


def scaffold_proxy(smiles: str) -> str:
    """A SMILES whose Bemis-Murcko scaffold equals that of ``smiles``, even when RDKit now rejects it.

    Molecules RDKit 2019 read but RDKit 2026 rejects (tox21's [AlH3] compounds) only appear in the
    reference list; their scaffold is taken from a partly sanitised molecule (valences not checked).
    The scaffold of a scaffold is itself, so the scaffold's SMILES stands in ('C' for no ring).
    """
    if canonical(smiles) is not None:
        return smiles
    mol = Chem.MolFromSmiles(smiles, sanitize=False)
    if mol is None:
        return smiles
    mol.UpdatePropertyCache(strict=False)
    Chem.SanitizeMol(mol, Chem.SanitizeFlags.SANITIZE_ALL ^ Chem.SanitizeFlags.SANITIZE_PROPERTIES)
    scaffold = Chem.MolToSmiles(MurckoScaffold.GetScaffoldForMol(mol), isomericSmiles=True)
    return scaffold or "C"


def describe_canonical_difference(ours: str, ref: str) -> str:
    """Why two SMILES of one raw row are different molecules for RDKit now (stereo, constitution)."""
    a, b = Chem.MolFromSmiles(ours), Chem.MolFromSmiles(ref)
    if a is None or b is None:
        return "the original's SMILES does not parse with RDKit now"
    if Chem.MolToSmiles(a, isomericSmiles=False) != Chem.MolToSmiles(b, isomericSmiles=False):
        return "different constitution"
    parts = []
    ca, cb = _chiral_atoms(a), _chiral_atoms(b)
    for element in sorted(set(ca) | set(cb)):
        if ca[element] != cb[element]:
            bridge = " (ring bridgehead)" if element.endswith("bridgehead") else ""
            parts.append(f"chiral {element.split()[0]}{bridge}: ours {ca[element]}, original {cb[element]}")
    da, db = _stereo_double_bonds(a), _stereo_double_bonds(b)
    if da != db:
        parts.append(f"E/Z double bonds: ours {da}, original {db} (RDKit now reads the original's ring-closure "
                     "bond directions as conflicting)")
    return "stereo only: " + ("; ".join(parts) if parts else "same stereo elements, other assignment")


def _chiral_atoms(mol: Chem.Mol) -> Counter:
    ring = mol.GetRingInfo()
    return Counter(a.GetSymbol() + (" bridgehead" if ring.NumAtomRings(a.GetIdx()) > 1 else "")
                   for a in mol.GetAtoms() if a.GetChiralTag() != Chem.ChiralType.CHI_UNSPECIFIED)


def _stereo_double_bonds(mol: Chem.Mol) -> int:
    return sum(b.GetStereo() != Chem.BondStereo.STEREONONE for b in mol.GetBonds())


# ---------------------------------------------------------------- alignment
def align_to_raw(raw_smiles: list[str], ref_smiles: list[str]) -> tuple[np.ndarray, list[int]]:
    """The raw row of every reference entry (-1 if none), and reference entries left unaligned.

    Both lists are in raw-file order and the reference is a subsequence of the raw rows, so a
    sequence alignment on the molecules (stereo-free canonical SMILES, or the string where RDKit now
    rejects it) pairs them. Rows whose SMILES differ only in stereo still pair, by position.
    """
    raw_keys = [canonical(s, isomeric=False) or "raw:" + s for s in raw_smiles]
    ref_keys = [canonical(s, isomeric=False) or "raw:" + s for s in ref_smiles]
    to_raw = np.full(len(ref_smiles), -1, dtype=np.int64)
    matcher = difflib.SequenceMatcher(None, raw_keys, ref_keys, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            to_raw[j1:j2] = np.arange(i1, i2)
    return to_raw, [int(j) for j in np.flatnonzero(to_raw < 0)]


# ---------------------------------------------------------------- kept-molecule parity
@dataclass
class RowDiff:
    row: int  # data row of the raw file, 0-based, header not counted
    smiles: str  # as in the raw file
    original: str
    ours: str
    cause: str


@dataclass
class SplitParity:
    ours: tuple[int, int, int]
    original_list: tuple[int, int, int]  # our splitter on the original's smiles.csv
    known: tuple[int, int, int] | None
    moved: list[tuple[int, str, str]]  # (raw row, split on the original's list, split on ours)


@dataclass
class KeptParity:
    name: str
    raw_rows: int
    original_kept: int
    ours_kept: int
    both_kept: int
    same_string: int  # identical strings in the two smiles.csv files
    same_canonical: int  # equal as canonical SMILES
    differences: list[RowDiff] = field(default_factory=list)
    skipped_by_both: list[RowDiff] = field(default_factory=list)
    unaligned_reference: list[int] = field(default_factory=list)
    split: SplitParity | None = None


def reference_smiles(root: str, name: str) -> list[str]:
    path = os.path.join(root, name, "reference_processed", "smiles.csv")
    return pd.read_csv(path, header=None, dtype=str, keep_default_na=False)[0].tolist()


def kept_parity(root: str, name: str, with_split: bool = True) -> KeptParity:
    """Our kept molecules of ``root/name`` against the original's, row by row of the raw file."""
    ds = MoleculeDataset(os.path.join(root, name), dataset=name, verbose=False)
    raw = read_raw(get_spec(name), ds.raw_dir).smiles
    ref = reference_smiles(root, name)
    ref_rows, unaligned = align_to_raw(raw, ref)
    ours_rows = np.asarray(ds.graph_attr("id"), dtype=np.int64)
    ours_smiles = ds.smiles_list
    ref_at = {int(r): s for r, s in zip(ref_rows, ref) if r >= 0}
    ours_at = dict(zip(ours_rows.tolist(), ours_smiles))
    skipped = _skip_reasons(ds)
    out = KeptParity(name, len(raw), len(ref), len(ours_smiles), 0, 0, 0, unaligned_reference=unaligned)
    for row, smiles in enumerate(raw):
        in_ref, in_ours = row in ref_at, row in ours_at
        if in_ref and in_ours:
            out.both_kept += 1
            out.same_string += ref_at[row] == ours_at[row]
            if canonical(ref_at[row]) == canonical(ours_at[row]):
                out.same_canonical += 1
            else:
                out.differences.append(RowDiff(row, smiles, f"kept as {ref_at[row]}", f"kept as {ours_at[row]}",
                                               describe_canonical_difference(ours_at[row], ref_at[row])))
        elif in_ref:
            why = skipped.get(row, "not kept")
            out.differences.append(RowDiff(row, smiles, "kept", f"skipped: {why}", _cause_now_rejected(smiles, why)))
        elif in_ours:
            out.differences.append(RowDiff(row, smiles, "dropped", "kept",
                                           "RDKit now accepts what the original dropped"))
        else:
            why = skipped.get(row, "not kept")
            out.skipped_by_both.append(RowDiff(row, smiles, "dropped", f"skipped: {why}",
                                               _cause_both_skip(smiles, why)))
    if with_split:
        out.split = split_parity(name, ours_smiles, ours_rows, ref, ref_rows)
    return out


def _skip_reasons(ds: MoleculeDataset) -> dict[int, str]:
    path = os.path.join(ds.processed_dir, "skipped.csv")
    table = pd.read_csv(path, dtype={"smiles": str, "reason": str}, keep_default_na=False)
    return dict(zip(table["row"].astype(int), table["reason"]))


def _cause_now_rejected(smiles: str, reason: str) -> str:
    if "DATIVE" in reason:
        return "RDKit now reads a metal-ligand bond as DATIVE (outside the original's bond vocabulary)"
    problem = rdkit_problem(smiles)
    return f"RDKit now rejects what RDKit 2019 accepted: {problem or reason}"


def _cause_both_skip(smiles: str, reason: str) -> str:
    if "DATIVE" in reason:
        return ("RDKit 2019 rejected it (the original dropped it); RDKit now parses it with DATIVE "
                "metal-ligand bonds, outside the bond vocabulary")
    return f"RDKit 2019 rejected it too; RDKit now: {rdkit_problem(smiles) or reason}"


def split_parity(name: str, ours_smiles: list[str], ours_rows: np.ndarray, ref_smiles: list[str],
                 ref_rows: np.ndarray) -> SplitParity:
    """Scaffold split (our splitter) of our list and of the original's list, compared by raw row."""
    ours_idx = scaffold_split_indices(ours_smiles)
    ref_idx = scaffold_split_indices([scaffold_proxy(s) for s in ref_smiles])
    ours_split = {int(ours_rows[i]): k for k, idx in enumerate(ours_idx) for i in idx}
    ref_split = {int(ref_rows[i]): k for k, idx in enumerate(ref_idx) for i in idx if ref_rows[i] >= 0}
    moved = [(row, SPLIT_NAMES[ref_split[row]], SPLIT_NAMES[k]) for row, k in sorted(ours_split.items())
             if row in ref_split and ref_split[row] != k]
    return SplitParity(tuple(len(i) for i in ours_idx), tuple(len(i) for i in ref_idx), KNOWN_SPLITS.get(name), moved)


# ---------------------------------------------------------------- feature parity (original's .pt)
def load_reference_graphs(path: str) -> tuple[dict, dict]:
    """(data, slices) of an original ``geometric_data_processed.pt``: {attr: tensor}, {attr: offsets},
    through the allowlisted unpickler (anything but tensors and PyG 1.0.3's Data is refused)."""
    return load_pyg1_collated(path)


@dataclass
class FeatureParity:
    name: str
    molecules: int
    exact: int  # x, edge_index and edge_attr all identical
    x_equal: int
    same_bonds_other_orientation: int  # differs only by ring-closure bonds stored as (j, i) instead of (i, j)
    direction_label_flipped: int  # ... of which a bond's direction label changes with the orientation
    ids_equal: bool
    labels_equal: bool
    mismatched: list[tuple[int, int, str]] = field(default_factory=list)  # (position, raw row, what differs)


def feature_parity(root: str, name: str) -> FeatureParity:
    """Our graphs against the original's processed file, molecule by molecule (same kept list)."""
    ds = MoleculeDataset(os.path.join(root, name), dataset=name, verbose=False)
    data, slices = load_reference_graphs(os.path.join(root, name, "reference_processed",
                                                      "geometric_data_processed.pt"))
    n = len(slices["x"]) - 1
    if n != len(ds):
        raise ValueError(f"{name}: the original kept {n} molecules, we keep {len(ds)}: align the lists first")
    ids = np.asarray(ds.graph_attr("id"))
    out = FeatureParity(name, n, 0, 0, 0, 0, bool(np.array_equal(ids, data["id"].numpy())),
                        bool(np.array_equal(np.asarray(ds.graph_attr("y")).reshape(-1), data["y"].numpy().reshape(-1))))
    for i in range(n):
        ours = ds[i]
        x = data["x"][slices["x"][i]:slices["x"][i + 1]]
        ei = data["edge_index"][:, slices["edge_index"][i]:slices["edge_index"][i + 1]]
        ea = data["edge_attr"][slices["edge_attr"][i]:slices["edge_attr"][i + 1]]
        same_x = torch.equal(ours.x, x)
        out.x_equal += same_x
        if same_x and torch.equal(ours.edge_index, ei) and torch.equal(ours.edge_attr, ea):
            out.exact += 1
            continue
        what = "x differs" if not same_x else _edge_difference(ours.edge_index, ours.edge_attr, ei, ea)
        if what.startswith("ring-closure"):
            out.same_bonds_other_orientation += 1
            out.direction_label_flipped += "direction" in what
        out.mismatched.append((i, int(ids[i]), what))
    return out


def _edge_difference(ei_a, ea_a, ei_b, ea_b) -> str:
    """Classify an edge-list difference, bond by bond (every bond is two consecutive directed edges)."""
    if ei_a.shape != ei_b.shape:
        return f"{ei_a.shape[1] // 2} bonds vs {ei_b.shape[1] // 2}"
    a, b = ei_a[:, 0::2].t().tolist(), ei_b[:, 0::2].t().tolist()
    fa, fb = ea_a[0::2].tolist(), ea_b[0::2].tolist()
    swapped, flipped = 0, 0
    for (i, j), (k, m), (ta, da), (tb, db) in zip(a, b, fa, fb):
        if (i, j) == (k, m) and (ta, da) == (tb, db):
            continue
        if (i, j) == (m, k) and ta == tb and (da == db or {da, db} == {1, 2}):
            swapped += 1
            flipped += da != db
            continue
        return "different bonds"
    text = f"ring-closure orientation: {swapped} bond(s) stored (j, i)"
    return text + (f", {flipped} with direction label 1<->2" if flipped else "")


# ---------------------------------------------------------------- report
def render_markdown(kept: list[KeptParity], features: list[FeatureParity], versions: dict) -> str:
    """docs/PARITY.md: a summary table, then one section per dataset listing every difference."""
    lines = ["# Molecule lists: the original pipeline against this one", "",
             "Generated by `python scripts/check_parity.py` (do not edit by hand). Reference: the original "
             "loader's outputs (`reference_processed/smiles.csv`, written with RDKit 2019.03) in the staged "
             "data; ours: `MoleculeDataset(...).smiles_list` with " + _versions_text(versions) + ".",
             "Both lists are compared as canonical SMILES written by the RDKit installed now, aligned to the "
             "raw file's rows (row = 0-based data row, header not counted). Split sizes come from our "
             "`scaffold_split` run on our list and on the original's list (scaffolds computed by the RDKit "
             "installed now); a molecule *moves* when the two runs put it in different parts.", "",
             "| dataset | raw rows | original kept | ours kept | same canonical SMILES | identical strings "
             "| differences | skipped by both | scaffold split ours | on original's list | original reported "
             "| moved |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for k in kept:
        s = k.split
        lines.append(f"| {k.name} | {k.raw_rows} | {k.original_kept} | {k.ours_kept} | {k.same_canonical} of "
                     f"{k.both_kept} | {k.same_string} | {len(k.differences)} | {len(k.skipped_by_both)} | "
                     + (f"{_sizes(s.ours)} | {_sizes(s.original_list)} | {_sizes(s.known) if s.known else '-'} | "
                        f"{len(s.moved)} |" if s else "- | - | - | - |"))
    lines += ["", "Causes of the differences (details per dataset below):", ""]
    for k in kept:
        causes = Counter(_cause_kind(d.cause) for d in k.differences)
        text = "; ".join(f"{n} x {c}" for c, n in causes.most_common()) or "none"
        lines.append(f"- {k.name}: {text}" + (f"; molecules in another part of the scaffold split: {len(k.split.moved)}"
                                              if k.split and k.split.moved else ""))
    for f in features:
        lines.append(f"- {f.name} features: {f.exact} of {f.molecules} graphs identical"
                     + (f"; {f.same_bonds_other_orientation} differ only in ring-closure bonds stored (j, i), "
                        f"{f.direction_label_flipped} of them with the bond direction label 1<->2"
                        if f.same_bonds_other_orientation else ""))
    for k in kept:
        lines += ["", f"## {k.name}", "",
                  f"{k.raw_rows} raw rows; the original kept {k.original_kept}, we keep {k.ours_kept}; "
                  f"{k.same_canonical} of the {k.both_kept} kept by both are the same canonical SMILES "
                  f"({k.same_string} identical strings)."]
        if k.unaligned_reference:
            lines.append(f"**{len(k.unaligned_reference)} entries of the original's list match no raw row:** "
                         f"positions {k.unaligned_reference[:20]}")
        lines += _diff_table("Differences", k.differences) + _diff_table("Skipped by both (agreement)",
                                                                          k.skipped_by_both)
        if k.split and k.split.moved:
            lines += ["", f"Molecules in another part of the scaffold split than on the original's list "
                          f"({len(k.split.moved)}): {_moved_cause(k)}", "",
                      "| row | original's list | ours |", "|---|---|---|"]
            lines += [f"| {row} | {a} | {b} |" for row, a, b in k.split.moved]
    if features:
        lines += ["", "## Atom and bond features", "",
                  "Our graphs against the original's `geometric_data_processed.pt` (x, edge_index, edge_attr "
                  "per molecule; ids and labels of the whole dataset).", "",
                  "| dataset | molecules | identical x, edge_index, edge_attr | identical x | only bond "
                  "orientation differs | ... with a direction label flipped | ids equal | labels equal |",
                  "|---|---|---|---|---|---|---|---|"]
        for f in features:
            lines.append(f"| {f.name} | {f.molecules} | {f.exact} | {f.x_equal} | {f.same_bonds_other_orientation} "
                         f"| {f.direction_label_flipped} | {f.ids_equal} | {f.labels_equal} |")
        for f in features:
            if f.mismatched:
                lines += ["", f"{f.name}: molecules whose graph differs (position in the dataset, raw row, what):",
                          "", "| position | row | difference |", "|---|---|---|"]
                lines += [f"| {i} | {row} | {what} |" for i, row, what in f.mismatched]
    return "\n".join(lines) + "\n"


def _cause_kind(cause: str) -> str:
    """The first clause of a cause; for stereo differences, which stereo element."""
    parts = cause.split(":")
    return f"stereo only, {parts[1].strip()}" if parts[0] == "stereo only" and len(parts) > 1 else parts[0]


def _moved_cause(k: KeptParity) -> str:
    if k.ours_kept != k.original_kept:
        return (f"with {k.original_kept - k.ours_kept} molecules fewer, the 80% and 90% cut-offs fall at other "
                "scaffold groups.")
    if any(d.cause.startswith("stereo only: chiral") for d in k.differences):
        return ("scaffolds keep chirality, so the molecules whose chirality differs (above) form other scaffold "
                "groups; other group sizes change the order in which groups are filled in.")
    return "scaffold strings differ between the two lists."


def _versions_text(versions: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in versions.items() if k in ("rdkit", "torch", "torch_geometric"))


def _sizes(t) -> str:
    return "/".join(str(v) for v in t)


def _diff_table(title: str, rows: list[RowDiff]) -> list[str]:
    if not rows:
        return ["", f"{title}: none."]
    out = ["", f"{title} ({len(rows)}):", "", "| row | SMILES | original | ours | cause |", "|---|---|---|---|---|"]
    out += [f"| {r.row} | `{r.smiles}` | {_cell(r.original)} | {_cell(r.ours)} | {_cell(r.cause)} |" for r in rows]
    return out


def _cell(text: str) -> str:
    if text.startswith("kept as "):
        return f"kept as `{text[len('kept as '):]}`"
    return text.replace("|", "\\|")

"""Atom and bond featurisation, identical to the original's ``mol_to_graph_data_obj_simple``.

x = [atomic number - 1, chirality index]; each bond gives two directed edges, (i, j) then (j, i),
in RDKit bond order, both with [bond type index, bond direction index].
"""
from __future__ import annotations

import numpy as np
from rdkit import Chem

NUM_ATOM_TYPE = 120  # 118 elements, index 118 unused, 119 = mask token
NUM_CHIRALITY_TAG = 3  # the model embeds UNSPECIFIED, CW, CCW (the featuriser also knows OTHER = 3)
NUM_BOND_TYPE = 6  # SINGLE, DOUBLE, TRIPLE, AROMATIC, 4 = self-loop, 5 = mask
NUM_BOND_DIRECTION = 3
MASK_ATOM_INDEX = 119
SELF_LOOP_BOND_TYPE = 4
MASK_BOND_TYPE = 5

CHIRALITY_LIST = [Chem.rdchem.ChiralType.CHI_UNSPECIFIED, Chem.rdchem.ChiralType.CHI_TETRAHEDRAL_CW,
                  Chem.rdchem.ChiralType.CHI_TETRAHEDRAL_CCW, Chem.rdchem.ChiralType.CHI_OTHER]
BOND_TYPE_LIST = [Chem.rdchem.BondType.SINGLE, Chem.rdchem.BondType.DOUBLE, Chem.rdchem.BondType.TRIPLE,
                  Chem.rdchem.BondType.AROMATIC]
BOND_DIR_LIST = [Chem.rdchem.BondDir.NONE, Chem.rdchem.BondDir.ENDUPRIGHT, Chem.rdchem.BondDir.ENDDOWNRIGHT]

# Lookups keyed by RDKit's enum values: one dict hit per atom or bond instead of list.index().
_CHIRALITY = {t: i for i, t in enumerate(CHIRALITY_LIST)}
_BOND_TYPE = {t: i for i, t in enumerate(BOND_TYPE_LIST)}
_BOND_DIR = {t: i for i, t in enumerate(BOND_DIR_LIST)}


_STEREO_CHARS = ('@', '/', '\\')


class VocabularyError(ValueError):
    """An atom or bond the original featuriser has no index for (the original raised ValueError too)."""


def mol_to_arrays(mol: Chem.Mol, has_stereo: bool = True) -> tuple[list[int], list[int], list[int]]:
    """Flat lists: node features [z-1, chir]*, bonds [i, j]* (once each), bond features [type, dir]*.

    ``has_stereo=False`` (the SMILES has no '@', '/' or '\\') skips reading chiral tags and bond
    directions: RDKit sets them only from those characters, so they are all 0 and the result is the same.
    """
    # GetAtomWithIdx / GetBondWithIdx directly: RDKit's GetAtoms() / GetBonds() are Python-level
    # iterators whose per-item bookkeeping cost a third of featurisation
    get_atom, get_bond = mol.GetAtomWithIdx, mol.GetBondWithIdx
    atoms = [get_atom(i) for i in range(mol.GetNumAtoms())]
    zs = [a.GetAtomicNum() for a in atoms]
    if min(zs) < 1 or max(zs) > 118:
        bad = next(a for a in atoms if not 1 <= a.GetAtomicNum() <= 118)
        raise VocabularyError(f"atom {bad.GetSymbol()!r} (atomic number {bad.GetAtomicNum()}) is outside the vocabulary")
    if has_stereo:
        chir = [_CHIRALITY.get(a.GetChiralTag()) for a in atoms]
        if None in chir:
            tag = atoms[chir.index(None)].GetChiralTag()
            raise VocabularyError(f"chirality {tag} is outside the vocabulary")
    else:
        chir = [0] * len(atoms)
    nodes = [0] * (2 * len(atoms))
    nodes[0::2] = [z - 1 for z in zs]
    nodes[1::2] = chir
    bonds_seq = [get_bond(i) for i in range(mol.GetNumBonds())]
    btypes = [_BOND_TYPE.get(b.GetBondType()) for b in bonds_seq]
    if None in btypes:
        raise VocabularyError(f"bond type {bonds_seq[btypes.index(None)].GetBondType()} is outside the vocabulary")
    bdirs = [_BOND_DIR.get(b.GetBondDir()) for b in bonds_seq] if has_stereo else [0] * len(bonds_seq)
    if None in bdirs:
        raise VocabularyError(f"bond direction {bonds_seq[bdirs.index(None)].GetBondDir()} is outside the vocabulary")
    bonds = [0] * (2 * len(bonds_seq))
    bonds[0::2] = [b.GetBeginAtomIdx() for b in bonds_seq]
    bonds[1::2] = [b.GetEndAtomIdx() for b in bonds_seq]
    bond_feats = [0] * (2 * len(bonds_seq))
    bond_feats[0::2] = btypes
    bond_feats[1::2] = bdirs
    return nodes, bonds, bond_feats


def featurise_smiles(smiles: list[str], canonical: bool = False) -> dict:
    """Parse and featurise many SMILES. Returns flat arrays for a GraphStore, the positions kept, the
    SMILES to record for them, and (position, reason) for every molecule skipped."""
    from rdkit import RDLogger
    RDLogger.DisableLog("rdApp.*")  # one counted summary instead of thousands of RDKit warnings
    nodes, bonds, bond_feats, n_counts, e_counts, kept, kept_smiles, skipped = [], [], [], [], [], [], [], []
    for pos, s in enumerate(smiles):
        mol = Chem.MolFromSmiles(s) if s else None
        if mol is None:
            skipped.append((pos, "RDKit cannot parse the SMILES" if s else "empty SMILES"))
            continue
        if mol.GetNumAtoms() == 0:
            skipped.append((pos, "molecule has no atoms"))
            continue
        try:
            n, b, bf = mol_to_arrays(mol, has_stereo=any(c in s for c in _STEREO_CHARS))
        except VocabularyError as err:
            skipped.append((pos, str(err)))
            continue
        if max(n[1::2]) >= NUM_CHIRALITY_TAG:
            skipped.append((pos, "chirality CHI_OTHER has no embedding in the model"))
            continue
        nodes += n
        bonds += b
        bond_feats += bf
        n_counts.append(len(n) // 2)
        e_counts.append(len(b) // 2)
        kept.append(pos)
        kept_smiles.append(Chem.MolToSmiles(mol) if canonical else s)
    # numpy arrays, not lists: a worker process hands them back as a few buffers instead of
    # pickling millions of Python ints
    return {"nodes": np.asarray(nodes, dtype=np.uint8), "bonds": np.asarray(bonds, dtype=np.int32),
            "bond_feats": np.asarray(bond_feats, dtype=np.uint8), "n_counts": np.asarray(n_counts, dtype=np.int64),
            "e_counts": np.asarray(e_counts, dtype=np.int64), "kept": np.asarray(kept, dtype=np.int64),
            "smiles": kept_smiles, "skipped": skipped}

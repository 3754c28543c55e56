"""Vectorised per-graph operations on a batch of many small graphs (pre-training of every domain).

Each function works on the whole batch at once, from ``ptr`` (graph g owns nodes ptr[g]:ptr[g+1])
and the edge list, with a constant number of tensor operations: no Python loop over graphs, atoms
or edges. Randomness comes from torch's global RNG unless a ``generator`` is given.
"""
from __future__ import annotations

import torch


def graph_sizes(ptr: torch.Tensor) -> torch.Tensor:
    """Nodes per graph."""
    return ptr[1:] - ptr[:-1]


def node_graph(ptr: torch.Tensor) -> torch.Tensor:
    """The graph of every node (the ``batch`` vector) from ``ptr``."""
    return torch.repeat_interleave(torch.arange(len(ptr) - 1, device=ptr.device), graph_sizes(ptr))


def sample_nodes_per_graph(ptr: torch.Tensor, k: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """``k[g]`` distinct nodes drawn uniformly from each graph g, without replacement.

    Returns global node indices grouped by graph (graph 0's first), in random order within a graph.
    Every node gets a random key; sorting by graph + key shuffles each graph's nodes in one sort,
    and the first k[g] of each graph are kept.
    """
    sizes = graph_sizes(ptr)
    k = torch.minimum(k.to(sizes.dtype), sizes)
    owner = node_graph(ptr)
    keys = owner.to(torch.float64) + torch.rand(len(owner), generator=generator, dtype=torch.float64,
                                                device=ptr.device)
    order = torch.argsort(keys)  # nodes of graph 0 in random order, then graph 1, ...
    rank_in_graph = torch.arange(len(owner), device=ptr.device) - ptr[owner]
    return order[rank_in_graph < k[owner]]


def count_from_rate(sizes: torch.Tensor, rate: float) -> torch.Tensor:
    """The original's ``int(n * rate + 1)`` per graph, in float64 like Python, at most n."""
    k = torch.floor(sizes.to(torch.float64) * rate + 1).long()
    return torch.minimum(k, sizes)


def edges_touching(edge_index: torch.Tensor, node_mask: torch.Tensor) -> torch.Tensor:
    """Per directed edge: does it start or end at a node where ``node_mask`` is True?"""
    return node_mask[edge_index[0]] | node_mask[edge_index[1]]


def edge_keys(edge_index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """One int64 per directed edge (src * num_nodes + dst), for set membership by sorting."""
    return edge_index[0] * num_nodes + edge_index[1]


def sample_negative_edges(edge_index: torch.Tensor, ptr: torch.Tensor, num_per_graph: torch.Tensor,
                          tries_per_graph: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Directed node pairs (i, j) within each graph that are neither edges nor self-loops, distinct.

    For graph g, ``tries_per_graph[g]`` candidate pairs are drawn uniformly; the first
    ``num_per_graph[g]`` valid ones are kept, in draw order (``first_valid_pairs``). This is the
    original NegativeEdge's sequential rejection sampling (5 * num_edges tries, num_edges / 2
    negatives), done for the whole batch in one pass. Returns (2, M) global node indices by graph.
    """
    device = ptr.device
    sizes = graph_sizes(ptr)
    tries = torch.where(sizes > 0, tries_per_graph.to(torch.long), torch.zeros_like(sizes))
    owner = torch.repeat_interleave(torch.arange(len(sizes), device=device), tries)
    n = sizes[owner]

    def draw() -> torch.Tensor:
        u = torch.rand(len(owner), generator=generator, dtype=torch.float64, device=device)
        return ptr[owner] + torch.minimum((u * n).long(), n - 1)

    src = draw()
    dst = draw()
    return first_valid_pairs(src, dst, owner, tries, edge_index, int(ptr[-1]), num_per_graph)


def first_valid_pairs(src: torch.Tensor, dst: torch.Tensor, owner: torch.Tensor, tries: torch.Tensor,
                      edge_index: torch.Tensor, num_nodes: int, num_per_graph: torch.Tensor) -> torch.Tensor:
    """Of candidate pairs (src, dst) laid out graph by graph (``tries[g]`` of graph g, in draw order),
    keep per graph the first ``num_per_graph[g]`` that are not self-loops, not edges, and not a
    repeat of an earlier candidate: what a sequential loop over the draws with a 'seen' set keeps."""
    if src.numel() == 0:
        return torch.zeros((2, 0), dtype=torch.long, device=src.device)
    key = src * num_nodes + dst
    existing = torch.sort(edge_keys(edge_index, num_nodes)).values
    if existing.numel():
        pos = torch.searchsorted(existing, key).clamp(max=existing.numel() - 1)
        is_edge = existing[pos] == key
    else:
        is_edge = torch.zeros_like(key, dtype=torch.bool)
    valid = (src != dst) & ~is_edge
    # A candidate equal to an earlier one is dropped: a stable sort puts repeats right after their
    # first draw. (If that first draw was invalid, the repeat is the same pair, so invalid too.)
    order = torch.sort(key, stable=True).indices
    sorted_key = key[order]
    repeat = torch.zeros_like(valid)
    repeat[order[1:]] = sorted_key[1:] == sorted_key[:-1]
    valid &= ~repeat
    cum = torch.cumsum(valid.long(), 0)
    start = torch.cumsum(tries, 0) - tries  # position of each graph's first candidate
    before = torch.where(start > 0, cum[(start - 1).clamp(min=0)], torch.zeros_like(start))
    rank = cum - before[owner]  # 1-based rank among the graph's valid candidates
    keep = valid & (rank <= num_per_graph.to(torch.long)[owner])
    return torch.stack([src[keep], dst[keep]])


def cycle_index(num: int, shift: int, device: torch.device | None = None) -> torch.Tensor:
    """[shift, shift + 1, ..., num - 1, 0, ..., shift - 1]: pairs each graph with another in the batch
    (the original's negatives for Infomax and ContextPred)."""
    return (torch.arange(num, device=device) + shift) % max(num, 1)

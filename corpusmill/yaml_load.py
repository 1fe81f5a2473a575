"""YAML loading with anchors and aliases bounded (configs and recipes are user files, maybe hostile).

`yaml.safe_load` keeps an alias as a reference to one shared node, so a
700-byte file of nested aliases ("billion laughs") loads fine and then
expands exponentially in whatever walks or copies it. The loader here
measures, after composing each document, how many nodes the aliases add once
expanded (shared sub-graphs counted once per use, in time linear in the
graph) and refuses a document past a small budget, or one whose aliases
refer to themselves.
"""
from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

# Nodes aliases may add when expanded; a hand-written config reuses a few small blocks.
MAX_ALIAS_EXPANSION = 10_000


class AliasBudgetError(yaml.MarkedYAMLError):
    """A document whose aliases expand too far, or into themselves."""


class _BoundedLoader(yaml.SafeLoader):
    def compose_document(self) -> Node | None:
        node = super().compose_document()
        if node is not None:
            _check_expansion(node)
        return node


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _check_expansion(root: Node) -> None:
    """Raise AliasBudgetError when the expanded tree exceeds the distinct nodes by the budget."""
    size: dict[int, int] = {}     # id(node) -> nodes in its expanded subtree
    open_: set[int] = set()       # nodes whose subtree is being measured: the path from the root
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        key = id(node)
        if closing:
            open_.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in _children(node))
            if size[key] - len(size) > MAX_ALIAS_EXPANSION:
                raise AliasBudgetError(None, None, f"aliases expand to more than {MAX_ALIAS_EXPANSION} "
                                       "extra values; write the values out or use fewer aliases",
                                       node.start_mark)
            continue
        if key in size:
            continue
        if key in open_:
            raise AliasBudgetError(None, None, "an alias refers to the node that contains it "
                                   "(a recursive structure)", node.start_mark)
        open_.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in size)


def safe_load(text: str) -> Any:
    """`yaml.safe_load` with aliases bounded; raises yaml.YAMLError (AliasBudgetError) beyond the budget.

    Nesting too deep for the parser is reported as a YAMLError too, never a RecursionError.
    """
    try:
        return yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError:
        raise yaml.YAMLError("values nested too deeply") from None

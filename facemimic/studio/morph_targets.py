"""A 3D model's morph targets as the studio's 3D panels drive them: ``facemimic export``'s rules.

The live page, the designer and the timeline send the names of the loaded model's morph targets
(and, for a plain glTF, each mesh's names and ``extras.combinations``); they are resolved as
:func:`facemimic.deliver.export.base.resolve_targets` resolves each mesh's: combination targets by
their rule, the rest through the alias table, one vocabulary per mesh (a ``facemimic avatar3d``
face carries ARKit and UE names for the same shapes on one mesh; driving both moved each twice).
"""

from __future__ import annotations

from ..errors import ParameterError

MAX_TARGETS = 2000  # a model with more morph targets than this is not a face the panels can drive


def mapped_targets(targets, combinations=None, meshes=None) -> tuple[list, list[str]]:
    """``([(name, Alias)], unmapped names)`` for a model's morph target ``targets`` (list of str).

    Parameters
    ----------
    targets : list of str
        Every morph target (or VRM expression) name of the model.
    combinations : dict, optional
        Its meshes' ``extras.combinations`` (see the module docstring).
    meshes : list of lists of str, optional
        The names of each mesh, resolved as ``facemimic export`` resolves them (one vocabulary per
        mesh: the exporters' test head keeps its ARKit and UE faces on two meshes, both driven; an
        avatar3d face has both on one). Without it (a VRM's expressions) each name is resolved on
        its own, and ``UE_<shape>`` expressions rest the emotion and viseme presets
        (:func:`facemimic.deliver.export.aliases.one_expression_vocabulary`).

    Names left at rest because another vocabulary drives the same shape are in neither list.

    Raises
    ------
    ParameterError
        ``targets`` is not a list of at most MAX_TARGETS names, ``combinations`` not an object or
        ``meshes`` not a list of such lists.
    """
    from ..deliver.export.aliases import one_expression_vocabulary
    from ..deliver.export.base import resolve_targets

    def names_list(x) -> bool:
        return isinstance(x, list) and all(isinstance(t, str) for t in x) and len(x) <= MAX_TARGETS

    if not names_list(targets):
        raise ParameterError(f"targets must be a list of at most {MAX_TARGETS} morph target names")
    if combinations is not None and (not isinstance(combinations, dict) or len(combinations) > MAX_TARGETS):
        raise ParameterError("combinations must be an object: target name -> {drivers, weight}")
    if meshes is not None and not (isinstance(meshes, list) and len(meshes) <= MAX_TARGETS
                                   and all(names_list(m) for m in meshes)):
        raise ParameterError(f"meshes must be a list of lists of at most {MAX_TARGETS} morph target names")
    names = list(dict.fromkeys(targets))
    alias, at_rest = {}, set()
    if meshes:
        for group in (list(dict.fromkeys(m)) for m in meshes):
            for t, a, shadowed in zip(group, *resolve_targets(group, combinations)):
                if a is not None:
                    alias.setdefault(t, a)
                elif shadowed:
                    at_rest.add(t)
    else:  # a VRM's expressions, each on its own: UE_<shape> or perfect-sync ones rest the summarising presets
        resolved = [resolve_targets([t], combinations)[0][0] for t in names]
        kept = one_expression_vocabulary(names, resolved)
        alias = {t: k for t, k in zip(names, kept) if k is not None}
        at_rest = {t for t, r, k in zip(names, resolved, kept) if r is not None and k is None}
    return ([(t, alias[t]) for t in names if t in alias],
            [t for t in names if t not in alias and t not in at_rest])


__all__ = ["MAX_TARGETS", "mapped_targets"]

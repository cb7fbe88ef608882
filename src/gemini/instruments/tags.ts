// Data-type tags (IMAGE, SPECT, LS, IFU, FLAT, PROCESSED ...), the vocabulary the Gemini
// archive classifies files with. Mode, spectroscopy and reduction state are derived from them,
// and they are stored as header.types.
//
// Tag rules can block each other (a BIAS is neither IMAGE nor SPECT; a processed file is not
// RAW), as in Gemini's astrodata: rules with no `blockedBy` are applied first, a rule whose tags
// are blocked or whose `blockedBy` tags are present is dropped, and `ifPresent` rules apply only
// when their condition tags survived.

export interface TagRule {
  add: readonly string[];
  /** Tags this rule prevents later rules from adding. */
  blocks?: readonly string[];
  /** This rule is dropped when any of these tags is present. */
  blockedBy?: readonly string[];
  /** This rule applies only when all of these tags are present. */
  ifPresent?: readonly string[];
  /** Tags this rule removes from the final set. */
  remove?: readonly string[];
}

export function resolveTags(rules: ReadonlyArray<TagRule | null | undefined | false>): Set<string> {
  const live = rules.filter((r): r is TagRule => !!r);
  const ordered = [...live].sort((a, b) => (a.blockedBy?.length ?? 0) - (b.blockedBy?.length ?? 0));
  const tags = new Set<string>();
  const blocked = new Set<string>();
  const removals = new Set<string>();
  const conditional: TagRule[] = [];
  for (const rule of ordered) {
    if (rule.ifPresent?.length) {
      conditional.push(rule);
      continue;
    }
    apply(rule);
  }
  for (const rule of conditional) {
    if (rule.ifPresent!.every((t) => tags.has(t))) apply(rule);
  }
  for (const t of removals) tags.delete(t);
  return tags;

  function apply(rule: TagRule): void {
    if (rule.blockedBy?.some((t) => tags.has(t))) return;
    const add = rule.add.filter((t) => !blocked.has(t));
    if (add.length === 0 && rule.add.length > 0) return;
    for (const t of add) tags.add(t);
    for (const t of rule.blocks ?? []) {
      blocked.add(t);
      tags.delete(t);
    }
    for (const t of rule.remove ?? []) removals.add(t);
  }
}

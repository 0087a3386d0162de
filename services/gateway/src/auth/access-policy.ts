import { type Action, isAction } from "./scope";

/** Grant keys that are not account names. */
export const ANONYMOUS = "anonymous";
export const AUTHENTICATED = "authenticated";

/**
 * One entry of the access file's `repositories` list: a pattern over
 * repository names and what each account may do there. `anonymous` means
 * everyone, signed in or not; `authenticated` anyone signed in.
 */
export interface AccessRule {
  match: string;
  grant: Record<string, Action[]>;
}

/**
 * Who may do what, per repository pattern. The first rule whose pattern
 * matches a repository decides for it, as in a firewall: a narrow rule
 * placed first overrides a broad one after it, and a repository no rule
 * matches is closed to everyone.
 *
 * Patterns: `*` stands for any characters but `/`, `**` for any characters
 * (so `team/**` is every repository under `team/`, and `**` everything).
 */
export class AccessPolicy {
  private readonly rules: ReadonlyArray<{ pattern: RegExp; grant: Map<string, Set<Action>> }>;

  constructor(rules: readonly AccessRule[]) {
    this.rules = rules.map((rule) => ({
      pattern: globPattern(rule.match),
      grant: new Map(Object.entries(rule.grant).map(([who, actions]) => [who, new Set(actions)])),
    }));
  }

  /** What `subject` (undefined when anonymous) may do to `repository`. */
  actions(subject: string | undefined, repository: string): ReadonlySet<Action> {
    const rule = this.rules.find(({ pattern }) => pattern.test(repository));
    if (!rule) return new Set();

    const allowed = new Set(rule.grant.get(ANONYMOUS));
    if (subject !== undefined) {
      for (const action of rule.grant.get(AUTHENTICATED) ?? []) allowed.add(action);
      for (const action of rule.grant.get(subject) ?? []) allowed.add(action);
    }
    return allowed;
  }

  allows(subject: string | undefined, repository: string, action: Action): boolean {
    return this.actions(subject, repository).has(action);
  }
}

/** Checks one rule as read from the access file; returns what is wrong with it, if anything. */
export function ruleProblem(rule: unknown): string | undefined {
  if (typeof rule !== "object" || rule === null) return "must be an object";
  const { match, grant } = rule as Record<string, unknown>;
  if (typeof match !== "string" || match === "") return "needs a `match` pattern";
  if (typeof grant !== "object" || grant === null || Array.isArray(grant)) {
    return "needs a `grant` object of account names to actions";
  }
  for (const [who, actions] of Object.entries(grant)) {
    if (!Array.isArray(actions)) return `grants ${who} something other than a list of actions`;
    const unknown = actions.find((action) => !isAction(String(action)));
    if (unknown !== undefined) {
      return `grants ${who} ${JSON.stringify(unknown)}; the actions are pull, push, delete`;
    }
  }
  return undefined;
}

function globPattern(glob: string): RegExp {
  const source = glob
    .split("**")
    .map((part) =>
      part
        .split("*")
        .map((text) => text.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join("[^/]*"),
    )
    .join(".*");
  return new RegExp(`^${source}$`);
}

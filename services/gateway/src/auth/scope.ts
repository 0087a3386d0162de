/** What a caller may do to a repository, in the Docker token protocol's words. */
export type Action = "pull" | "push" | "delete";

export const ACTIONS: readonly Action[] = ["pull", "push", "delete"];

/**
 * One resource a token grants or a client asks for: `repository:<name>:pull,push`
 * or `registry:catalog:*` (the Docker token specification's `scope` and the
 * `access` claim of its tokens).
 */
export interface Scope {
  type: string;
  name: string;
  actions: string[];
}

/** The scope that lists the catalog; `*` is the only action it knows. */
export const CATALOG_SCOPE: Scope = { type: "registry", name: "catalog", actions: ["*"] };

export function isAction(value: string): value is Action {
  return (ACTIONS as readonly string[]).includes(value);
}

/**
 * Reads `type:name:actions`. A repository name has no colon, but the type may
 * carry a class (`repository(plugin)`), so the name lies between the first
 * colon and the last. Returns undefined for anything else.
 */
export function parseScope(text: string): Scope | undefined {
  const first = text.indexOf(":");
  const last = text.lastIndexOf(":");
  if (first <= 0 || last === first || last === text.length - 1) return undefined;

  const type = text.slice(0, first).replace(/\(.*\)$/, "");
  const name = text.slice(first + 1, last);
  const actions = text
    .slice(last + 1)
    .split(",")
    .filter(Boolean);
  if (!name || actions.length === 0) return undefined;
  return { type, name, actions };
}

export function formatScope(scope: Scope): string {
  return `${scope.type}:${scope.name}:${scope.actions.join(",")}`;
}

export function repositoryScope(name: string, actions: readonly Action[]): Scope {
  return { type: "repository", name, actions: [...actions] };
}

/** Whether `granted` (a token's `access` claim) allows `action` on `type:name`. */
export function grants(granted: readonly Scope[], type: string, name: string, action: string) {
  return granted.some(
    (scope) =>
      scope.type === type &&
      scope.name === name &&
      (scope.actions.includes(action) || scope.actions.includes("*")),
  );
}

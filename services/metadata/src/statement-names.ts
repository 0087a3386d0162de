/**
 * What a statement of ours starts with to be prepared; see `statementNames`.
 * A comment, so Postgres reads the same statement either way.
 */
export const PREPARED = "/* prepared */";

/**
 * Names the statements marked PREPARED, so that each pooled Postgres
 * connection parses and plans them once and then only binds and runs them
 * (pg keeps a connection's prepared statements by name). A blob pull's
 * lookup is a three-table join that Postgres would otherwise plan afresh on
 * every call: measured, preparing it halves Postgres's CPU per pull.
 *
 * Only marked statements, because a prepared statement is kept for the
 * connection's life: one whose text varies per call (a list of values spelled
 * out) would prepare without end, and a plan cached across a migration that
 * changes a column's type fails until its connection closes (so the pool
 * replaces connections every few minutes; see `openPostgres`). A marked
 * statement names its columns and has a text fixed by the code. Every other
 * statement, Prisma's own too, runs unnamed, as without this.
 */
export function statementNames(): (query: { sql: string }) => string {
  const names = new Map<string, string>();
  return ({ sql }) => {
    // The adapter passes undefined on to pg, which leaves the statement unnamed;
    // its type says string all the same.
    if (!sql.startsWith(PREPARED)) return undefined as unknown as string;
    let name = names.get(sql);
    if (name === undefined) {
      name = `portfolio_${names.size}`;
      names.set(sql, name);
    }
    return name;
  };
}

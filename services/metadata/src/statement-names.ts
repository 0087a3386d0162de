/** How many distinct statements are prepared at most; any beyond run unprepared. */
const DEFAULT_CAPACITY = 256;

/**
 * Names the metadata service's SQL statements, so that each pooled Postgres
 * connection parses and plans a statement once and then only binds and runs
 * it (pg keeps a connection's prepared statements by name). A blob pull's
 * lookup is a three-table join that Postgres would otherwise plan afresh on
 * every call.
 *
 * A name stands for one SQL text for the life of the process, which is what
 * pg requires of it. The service's statements are a fixed set, but the cap
 * keeps a statement whose text varied (a list of values spelled out, say)
 * from preparing without end on every connection: past it, statements run
 * unprepared, as without this.
 */
export function statementNames(capacity = DEFAULT_CAPACITY): (query: { sql: string }) => string {
  const names = new Map<string, string>();
  return ({ sql }) => {
    let name = names.get(sql);
    if (name === undefined && names.size < capacity) {
      name = `portfolio_${names.size}`;
      names.set(sql, name);
    }
    // The adapter passes undefined on to pg, which then leaves the statement unnamed.
    return name as string;
  };
}

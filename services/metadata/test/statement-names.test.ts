import { PREPARED, statementNames } from "../src/statement-names";

const FIND = `${PREPARED} SELECT digest FROM blob WHERE digest = $1`;
const LIST = `${PREPARED} SELECT name FROM repository ORDER BY name LIMIT $1`;

describe("prepared statement names", () => {
  it("gives one marked SQL text one name for good, and another text another", () => {
    const nameOf = statementNames();
    const find = nameOf({ sql: FIND });

    expect(find).toEqual(expect.any(String));
    expect(nameOf({ sql: LIST })).not.toBe(find);
    expect(nameOf({ sql: FIND })).toBe(find);
  });

  it("leaves every unmarked statement unnamed, so unprepared", () => {
    const nameOf = statementNames();

    expect(nameOf({ sql: "SELECT digest FROM blob WHERE digest = $1" })).toBeUndefined();
    expect(nameOf({ sql: "INSERT INTO event_outbox VALUES ($1), ($2)" })).toBeUndefined();
    expect(nameOf({ sql: "BEGIN" })).toBeUndefined();
  });
});

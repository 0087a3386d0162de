import { statementNames } from "../src/statement-names";

const FIND = "SELECT digest FROM blob WHERE digest = $1";
const LIST = "SELECT name FROM repository ORDER BY name LIMIT $1";

describe("prepared statement names", () => {
  it("gives one SQL text one name for good, and another text another", () => {
    const nameOf = statementNames();
    const find = nameOf({ sql: FIND });

    expect(nameOf({ sql: LIST })).not.toBe(find);
    expect(nameOf({ sql: FIND })).toBe(find);
  });

  it("leaves statements unnamed, so unprepared, once the cap is reached", () => {
    const nameOf = statementNames(2);
    const named = [nameOf({ sql: FIND }), nameOf({ sql: LIST })];

    expect(nameOf({ sql: "SELECT 1" })).toBeUndefined();
    expect([nameOf({ sql: FIND }), nameOf({ sql: LIST })]).toEqual(named);
  });
});

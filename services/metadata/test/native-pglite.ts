/**
 * PGlite's CommonJS build loads its Node helpers with dynamic `import()`, which
 * Jest's module sandbox refuses unless Node runs with --experimental-vm-modules.
 * Importing this module before the code under test makes every
 * `@electric-sql/pglite` import (including the Prisma adapter's) resolve to the
 * copy that Node's own loader evaluates, outside the sandbox.
 */
import * as Module from "node:module";

const load = (Module as unknown as { _load(request: string): unknown })._load;
const pglitePath = require.resolve("@electric-sql/pglite");
jest.mock("@electric-sql/pglite", () => load(pglitePath));

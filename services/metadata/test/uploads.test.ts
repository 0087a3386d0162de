import { randomUUID } from "node:crypto";
import { backends, newRepository, type TestStore } from "./helpers";

const HOUR = 60 * 60 * 1000;

describe.each(backends)("upload sessions on %s", (_name, open) => {
  let t: TestStore;

  beforeAll(async () => {
    t = await open();
  });

  afterAll(() => t.dispose());

  test("a created session is found in its repository until deleted", async () => {
    const repository = newRepository();
    const expiresAt = new Date(Date.now() + HOUR);

    const session = await t.store.createUpload(repository, expiresAt);

    expect(session.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(session.repository).toBe(repository);
    expect(session.expiresAt.getTime()).toBe(expiresAt.getTime());
    expect(session.createdAt.getTime()).toBeLessThanOrEqual(Date.now());
    expect(await t.store.findUpload(repository, session.id)).toEqual(session);

    expect(await t.store.deleteUpload(repository, session.id)).toBe(true);
    expect(await t.store.deleteUpload(repository, session.id)).toBe(false);
    expect(await t.store.findUpload(repository, session.id)).toBeUndefined();
  });

  test("a session alone does not make its repository visible", async () => {
    const repository = newRepository();

    await t.store.createUpload(repository, new Date(Date.now() + HOUR));

    expect(await t.store.listTags(repository, {})).toBeUndefined();
    expect(await t.store.listRepositories({})).not.toContain(repository);
  });

  test("sessions get distinct ids", async () => {
    const repository = newRepository();
    const expiresAt = new Date(Date.now() + HOUR);

    const sessions = await Promise.all(
      [1, 2, 3].map(() => t.store.createUpload(repository, expiresAt)),
    );

    expect(new Set(sessions.map((session) => session.id)).size).toBe(3);
  });

  test("a session is not found through another repository", async () => {
    const repository = newRepository();
    const session = await t.store.createUpload(repository, new Date(Date.now() + HOUR));

    expect(await t.store.findUpload(newRepository(), session.id)).toBeUndefined();
    expect(await t.store.deleteUpload(newRepository(), session.id)).toBe(false);
    expect(await t.store.findUpload(repository, session.id)).toBeDefined();
  });

  test("an expired session is not found", async () => {
    const repository = newRepository();
    const session = await t.store.createUpload(repository, new Date(Date.now() - 1000));

    expect(await t.store.findUpload(repository, session.id)).toBeUndefined();
  });

  test("ids that are not UUIDs name no session", async () => {
    const repository = newRepository();
    await t.store.createUpload(repository, new Date(Date.now() + HOUR));

    expect(await t.store.findUpload(repository, "not-a-uuid")).toBeUndefined();
    expect(await t.store.findUpload(repository, randomUUID())).toBeUndefined();
    expect(await t.store.deleteUpload(repository, "'; DROP TABLE upload_session; --")).toBe(false);
  });
});

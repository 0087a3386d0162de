import type { SweepContext } from "./sweep-context";

const PAGE = 500;

/**
 * Upload sessions past their expiry: the gateway no longer finds them, so no
 * request can add to them. Each session row is deleted (claimed FOR UPDATE
 * SKIP LOCKED, so concurrent collectors take different ones) and, once that
 * committed, its staged bytes are discarded, which for S3 aborts the
 * multipart upload. A crash in between leaves staged bytes without a session,
 * which the orphan sweep removes after its grace period.
 */
export async function sweepUploads(context: SweepContext): Promise<void> {
  let after = "";
  for (
    let page = await expired(context, after);
    page.length > 0;
    page = await expired(context, after)
  ) {
    for (const id of page) {
      after = id;
      await expireOne(context, id);
    }
  }
}

function expired(context: SweepContext, after: string): Promise<string[]> {
  return context.read(async (db) => {
    const rows = await db.$queryRaw<{ id: string }[]>`
      SELECT id::text AS id FROM upload_session
      WHERE expires_at <= ${context.now} AND id::text COLLATE "C" > ${after}
      ORDER BY id::text COLLATE "C"
      LIMIT ${PAGE}`;
    return rows.map((row) => row.id);
  });
}

async function expireOne(context: SweepContext, id: string): Promise<void> {
  const deleted = await context.change(async (tx) => {
    const rows = await tx.$queryRaw<{ id: string }[]>`
      SELECT id::text AS id FROM upload_session
      WHERE id = ${id}::uuid AND expires_at <= ${context.now}
      FOR UPDATE SKIP LOCKED`;
    if (rows.length === 0) return false;
    await tx.$executeRaw`DELETE FROM upload_session WHERE id = ${id}::uuid`;
    return true;
  });
  if (!deleted) return;

  context.freedKeys.add(id);
  const bytes = (await context.storage.uploadSize(id)) ?? 0;
  const item = { kind: "upload" as const, repository: "", key: id, bytes };
  await context.reclaimed(item, () => context.storage.cancelUpload(id));
}

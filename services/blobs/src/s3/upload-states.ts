import type { S3Layout } from "./layout";
import type { S3Objects } from "./s3-objects";
import { parseState, serializeState, type UploadState } from "./upload-state";

/** Reads and writes upload sessions' state objects (`uploads/<id>/state.json`). */
export class UploadStates {
  constructor(
    private readonly objects: S3Objects,
    private readonly layout: S3Layout,
  ) {}

  /** The upload's state, or undefined when there is no such upload. */
  async load(uploadId: string): Promise<UploadState | undefined> {
    const text = await this.objects.getText(this.layout.stateKey(uploadId));
    return text === undefined ? undefined : parseState(text);
  }

  async save(uploadId: string, state: UploadState): Promise<void> {
    await this.objects.put(this.layout.stateKey(uploadId), serializeState(state));
  }

  /** Ends the upload: once its state is gone, nothing can append to it or commit it. */
  async remove(uploadId: string): Promise<void> {
    await this.objects.delete(this.layout.stateKey(uploadId));
  }
}

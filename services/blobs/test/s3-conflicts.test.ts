import type { S3Client } from "@aws-sdk/client-s3";
import { BackendUnavailableError } from "@portfolio/core";
import { S3Objects } from "../src/s3/s3-objects";

/**
 * What a store answers while a neighbouring key changes (seen from versitygw's
 * posix backend in CI), shaped as the SDK throws it. The race itself cannot be
 * set off on demand, so a stand-in client answers it.
 */
function conflict(name = "ExistingObjectIsDirectory") {
  return Object.assign(new Error("Existing Object is a directory."), {
    name,
    $metadata: { httpStatusCode: 409 },
  });
}

function storeAnswering(...answers: Array<Error | object>) {
  const sent: unknown[] = [];
  const client = {
    send: async (command: unknown) => {
      sent.push(command);
      const answer = answers.shift() ?? {};
      if (answer instanceof Error) throw answer;
      return answer;
    },
  } as unknown as S3Client;
  return { objects: new S3Objects(client, "bucket"), sent };
}

describe("S3 conflicts", () => {
  it("puts again after a transient conflict", async () => {
    const { objects, sent } = storeAnswering(conflict(), conflict("OperationAborted"), {});

    await objects.put("uploads/u/state.json", "{}");

    expect(sent).toHaveLength(3);
  });

  it("answers unavailable, not a fault, when the conflict persists", async () => {
    const { objects, sent } = storeAnswering(conflict(), conflict(), conflict(), conflict());

    await expect(objects.copy("a", "b")).rejects.toBeInstanceOf(BackendUnavailableError);
    expect(sent).toHaveLength(4);
  });

  it("sends other refusals once and passes them on", async () => {
    const denied = Object.assign(new Error("Access Denied"), {
      name: "AccessDenied",
      $metadata: { httpStatusCode: 403 },
    });
    const { objects, sent } = storeAnswering(denied);

    await expect(objects.put("k", "v")).rejects.toBe(denied);
    expect(sent).toHaveLength(1);
  });
});

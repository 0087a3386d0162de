import { OciError } from "@portfolio/core";
import { parseContentRange } from "../src/http/content-range";

describe("chunk Content-Range", () => {
  it("reads an inclusive range into offset and length", () => {
    expect(parseContentRange("0-21")).toEqual({ offset: 0, length: 22 });
    expect(parseContentRange("1024-2047")).toEqual({ offset: 1024, length: 1024 });
  });

  it("tolerates the bytes unit some clients send", () => {
    expect(parseContentRange("bytes 10-19")).toEqual({ offset: 10, length: 10 });
    expect(parseContentRange("bytes=10-19")).toEqual({ offset: 10, length: 10 });
  });

  it("is absent for a streamed chunk", () => {
    expect(parseContentRange(undefined)).toBeUndefined();
  });

  it.each(["", "5", "9-3", "a-b", "0-1/2", "-1-3"])(
    "refuses %j as BLOB_UPLOAD_INVALID",
    (header) => {
      expect(() => parseContentRange(header)).toThrow(OciError);
      try {
        parseContentRange(header);
      } catch (error) {
        expect((error as OciError).code).toBe("BLOB_UPLOAD_INVALID");
      }
    },
  );
});

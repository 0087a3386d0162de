import { isValidRepositoryName, isValidTag } from "@portfolio/core";

describe("repository names", () => {
  it.each(["library/ubuntu", "a", "my-org/my_repo", "a/b/c", "x.y__z", "a--b", "0/1"])(
    "accepts %s",
    (name) => expect(isValidRepositoryName(name)).toBe(true),
  );

  it.each([
    "",
    "Upper/case",
    "/leading",
    "trailing/",
    "double//slash",
    "a___b",
    "-start",
    "end-",
    "a/.b",
    "a:b",
    "a".repeat(256),
  ])("refuses %j", (name) => expect(isValidRepositoryName(name)).toBe(false));
});

describe("tags", () => {
  it.each(["latest", "v1.0.0", "_x", "A-b.c_d", "a".repeat(128)])("accepts %s", (tag) =>
    expect(isValidTag(tag)).toBe(true),
  );

  it.each(["", ".INVALID_MANIFEST_NAME", "-dash", "a".repeat(129), "a/b", "a:b", "sp ace"])(
    "refuses %j",
    (tag) => expect(isValidTag(tag)).toBe(false),
  );
});

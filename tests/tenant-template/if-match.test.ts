/**
 * The If-Match parser and its strong comparison (RFC 9110 sections 13.1.1 and 8.8.3.2), on header
 * values as they arrive. The registry's PATCH and DELETE through the Worker:
 * tests/tenant-template/registry/conditional-requests.test.ts.
 */
import { describe, expect, it } from "vitest";
import { IfMatch } from "../../tenant-template/src/http/if-match.ts";

const tag = (opaque: string, weak = false) => ({ weak, opaque });

describe("IfMatch.parse", () => {
  it.each([
    ['"3"', [tag("3")]],
    ['W/"3"', [tag("3", true)]],
    ['"1","2"', [tag("1"), tag("2")]],
    ['"1" , W/"2",\t"3"', [tag("1"), tag("2", true), tag("3")]],
    ['  "3"  ', [tag("3")]],
    ['"stale-etag-0"', [tag("stale-etag-0")]],
    ['""', [tag("")]],
    // etagc: %x21 / %x23-7E / obs-text, so a comma, a backslash and W/ inside the quotes are the tag's own.
    ['"a,b", "c\\d", "W/x"', [tag("a,b"), tag("c\\d"), tag("W/x")]],
    ['"caf\u00e9"', [tag("caf\u00e9")]],
    // Empty list elements are skipped (RFC 9110 section 5.6.1.2), as after joining repeated fields.
    ['"1", , "2",', [tag("1"), tag("2")]],
    [', "1"', [tag("1")]],
  ])("reads %s as its entity tags", (value, tags) => {
    expect(IfMatch.parse(value)?.condition).toEqual(tags);
  });

  it.each(["*", " * ", "\t*"])("reads %j as any current representation", (value) => {
    expect(IfMatch.parse(value)?.condition).toBe("*");
  });

  it.each([
    ["empty", ""],
    ["whitespace only", "  \t "],
    ["commas only", " , ,"],
    ["missing quotes", "3"],
    ["a bare word", "garbage"],
    ["an unterminated quote", '"3'],
    ["an unterminated quote after a good tag", '"1", "2'],
    ["a stray quote", '"3""'],
    ["W/ without quotes", "W/3"],
    ["W/ alone", "W/"],
    ["a lowercase weak prefix", 'w/"3"'],
    ["space between W/ and the quote", 'W/ "3"'],
    ["two tags without a comma", '"1" "2"'],
    ["text after a tag", '"3"x'],
    ["* in a list", '*, "3"'],
    ["two stars", "*, *"],
    ["a space inside the quotes", '"a b"'],
    ["a tab inside the quotes", '"a\tb"'],
    ["a NUL inside the quotes", '"a\u0000b"'],
    ["a control character inside the quotes", '"a\u0001b"'],
    ["a newline", '"1",\n"2"'],
    ["DEL inside the quotes", '"a\u007fb"'],
  ])("refuses %s", (_, value) => {
    expect(IfMatch.parse(value)).toBeNull();
  });

  it("refuses a long hostile value (a backtracking parse would not end within the test's timeout)", () => {
    for (const value of [`${" ".repeat(100_000)}x`, `"${"a".repeat(100_000)}`, `${'"1" ,'.repeat(20_000)}x`])
      expect(IfMatch.parse(value)).toBeNull();
  });
});

describe("IfMatch.matches", () => {
  const matches = (value: string, current: string | null) => IfMatch.parse(value)!.matches(current);

  it("holds when one listed strong tag is the current ETag", () => {
    expect(matches('"3"', '"3"')).toBe(true);
    expect(matches('"1", "3", "5"', '"3"')).toBe(true);
    expect(matches('W/"3", "3"', '"3"')).toBe(true);
  });

  it("fails for other tags, however alike", () => {
    expect(matches('"2"', '"3"')).toBe(false);
    expect(matches('"03"', '"3"')).toBe(false);
    expect(matches('"stale-etag-0"', '"3"')).toBe(false);
    expect(matches('"1", "2"', '"3"')).toBe(false);
  });

  it("uses the strong comparison: a weak tag never matches, nor does a weak current ETag", () => {
    expect(matches('W/"3"', '"3"')).toBe(false);
    expect(matches('W/"3"', 'W/"3"')).toBe(false);
    expect(matches('"3"', 'W/"3"')).toBe(false);
  });

  it("* holds for any current representation, and nothing holds without one", () => {
    expect(matches("*", '"3"')).toBe(true);
    expect(matches("*", 'W/"3"')).toBe(true);
    expect(matches("*", null)).toBe(false);
    expect(matches('"3"', null)).toBe(false);
  });
});
